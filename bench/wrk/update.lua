-- PUT a new first name on one existing contact (the URL names it)
wrk.method = "PUT"
wrk.headers["auth"] = os.getenv("KORE_JWT")
wrk.headers["accountId"] = os.getenv("KORE_ACCOUNT_ID")
wrk.headers["Content-Type"] = "application/json"
local n = 0

request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"firstName":"name' .. n .. '"}')
end
