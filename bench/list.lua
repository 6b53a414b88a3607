-- GET /v1/customers?limit=50, the first page, with the bench's bearer token (TOKEN).
local headers = {["Authorization"] = "Bearer " .. os.getenv("TOKEN")}

request = function()
  return wrk.format("GET", "/v1/customers?limit=50", headers)
end
