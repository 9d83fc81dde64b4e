-- wrk script: POST /graphql resolve(domain: CUSTOMER, system, sourceId) of a random existing
-- source id (a variable), asking the core of what REST's resolve answers (id, name, country, status...).
-- Arguments after `--`: <customer count> <system> <source id prefix> (as bench/resolve.lua).

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
end

function init(args)
  count = tonumber(args[1] or "100000")
  system = args[2] or "salesforce"
  prefix = args[3] or "001"
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
  -- one query text with a variable, as an integration sends it (parsed and validated once)
  query = 'query($s: String!) { resolve(domain: CUSTOMER, system: \\"' .. system .. '\\", sourceId: $s) ' ..
    '{ id passed record { ... on Customer { id version name legalName country currency status updatedAt } } } }'
  headers = {["Content-Type"] = "application/json"}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
end

function request()
  local id = prefix .. string.format("%015d", math.random(0, count - 1))
  local body = '{"query": "' .. query .. '", "variables": {"s": "' .. id .. '"}}'
  return wrk.format("POST", "/graphql", headers, body)
end
