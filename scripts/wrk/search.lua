-- Cycles through the queries in the file named by WRK_QUERIES (one per
-- line, already URL-encoded), so each request is a real search.
local queries = {}
local path = os.getenv("WRK_QUERIES")
for line in io.lines(path) do
  if line ~= "" then queries[#queries + 1] = line end
end
local counter = 0
request = function()
  counter = counter + 1
  local q = queries[(counter % #queries) + 1]
  return wrk.format("GET", "/tim-kiem?q=" .. q)
end
done = function(summary, latency, requests)
  io.write(string.format("queries: %d distinct\n", #queries))
end
