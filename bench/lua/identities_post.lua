-- POST /api/v1/identities/ for a random existing identity with its 5 traits, new values
-- each time (as an SDK identifying a user whose attributes changed; the traits are
-- stored, so this is the write path). Arguments as identities_get.lua.
dofile("report.lua")

local identifier_format, identity_count
local plans = { "free", "pro", "enterprise", "team" }
local countries = { "US", "GB", "DE", "FR", "CA", "ES", "IN", "BR", "JP", "AU" }
local domains = { "gmail.com", "example.com", "corp.test", "yahoo.com" }

function init(args)
  identifier_format = args[1]
  identity_count = tonumber(args[2])
  seed_random()
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local number = math.random(1, identity_count)
  local body = string.format(
    '{"identifier": "%s", "traits": ['
      .. '{"trait_key": "plan", "trait_value": "%s"}, '
      .. '{"trait_key": "age", "trait_value": %d}, '
      .. '{"trait_key": "country", "trait_value": "%s"}, '
      .. '{"trait_key": "email", "trait_value": "user%d@%s"}, '
      .. '{"trait_key": "beta", "trait_value": %s}]}',
    string.format(identifier_format, number),
    plans[math.random(#plans)],
    math.random(18, 80),
    countries[math.random(#countries)],
    number, domains[math.random(#domains)],
    math.random() < 0.3 and "true" or "false"
  )
  return wrk.format("POST", "/api/v1/identities/", nil, body)
end
