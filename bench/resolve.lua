-- wrk script: GET <path>?system=<system>&source_id=<random existing source id>.
-- Arguments after `--`: <customer count> <system> <source id prefix>.
-- Source ids are <prefix><15-digit zero-padded index>, as bench/core.py ingests them,
-- so lookups spread over every row instead of hitting one cached page.

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
  base = wrk.path .. "?system=" .. system .. "&source_id=" .. prefix
end

function request()
  return wrk.format("GET", base .. string.format("%015d", math.random(0, count - 1)))
end
