-- POST /v1/customers with a small body and an email unique to this request: the run's stamp
-- (BENCH_RUN, new for every wrk invocation), the thread's number and a per-thread counter.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local run = os.getenv("BENCH_RUN")
local headers = {["Authorization"] = "Bearer " .. os.getenv("TOKEN"), ["Content-Type"] = "application/json"}
local n = 0

request = function()
  n = n + 1
  local body = string.format('{"name":"Bench %d","email":"w%s-%d-%d@example.com"}', n, run, tid, n)
  return wrk.format("POST", "/v1/customers", headers, body)
end
