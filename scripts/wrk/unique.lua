-- Every request gets a unique query string, so no cache can answer it:
-- the page is rendered for each request (the uncached figure).
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", wrk.path .. "?r=" .. counter .. "-" .. math.random(1, 1000000000))
end
