-- POST one new contact per request; numbers are random 10-digit US-style numbers
wrk.method = "POST"
wrk.headers["auth"] = os.getenv("KORE_JWT")
wrk.headers["accountId"] = os.getenv("KORE_ACCOUNT_ID")
wrk.headers["Content-Type"] = "application/json"
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))

request = function()
  local number = string.format("%d%09d", math.random(2, 9), math.random(0, 999999999))
  local body = '[{"firstName":"load","lastName":"test","salutation":"Mr",' ..
               '"cellPhone":{"phoneNumber":"' .. number .. '","countryCode":"+1","extension":""}}]'
  return wrk.format(nil, nil, nil, body)
end
