-- PATCH /v1/customers/<id> (a JSON merge patch of the name) over the seeded ids; no If-Match, so a
-- lost race with another writer is retried by the service rather than answered 412. Each wrk
-- thread starts at another place in the ids, so that the threads do not write the same customers.
dofile(os.getenv("BENCH_IDS"))
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
  ["Content-Type"] = "application/merge-patch+json",
}
local n = 0

request = function()
  n = n + 1
  local id = ids[((n + tid * 101) % #ids) + 1]
  return wrk.format("PATCH", "/v1/customers/" .. id, headers, string.format('{"name":"Bench %d"}', n))
end
