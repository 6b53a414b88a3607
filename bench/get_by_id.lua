-- GET /v1/customers/<id> over the seeded ids, with the bench's bearer token.
-- bench/run.py writes ids.lua (ids = {...}) and passes the token in the TOKEN variable.
dofile(os.getenv("BENCH_IDS"))
local token = os.getenv("TOKEN")
local n = 0

request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  return wrk.format("GET", "/v1/customers/" .. id, {["Authorization"] = "Bearer " .. token})
end
