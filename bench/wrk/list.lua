-- GET one page of contacts with the vendor's headers (auth, accountId from the environment)
wrk.method = "GET"
wrk.headers["auth"] = os.getenv("KORE_JWT")
wrk.headers["accountId"] = os.getenv("KORE_ACCOUNT_ID")
