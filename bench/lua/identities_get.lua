-- GET /api/v1/identities/?identifier=<a random existing identity>.
-- Arguments: the identifier's printf format (e.g. perf-user-%04d) and how many exist.
dofile("report.lua")

local identifier_format, identity_count

function init(args)
  identifier_format = args[1]
  identity_count = tonumber(args[2])
  seed_random()
end

function request()
  local identifier = string.format(identifier_format, math.random(1, identity_count))
  return wrk.format("GET", "/api/v1/identities/?identifier=" .. identifier)
end
