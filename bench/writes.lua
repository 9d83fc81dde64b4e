-- wrk script: PUT each line of a prepared file, once, in order across threads.
-- Arguments after `--`: <file> <threads>. Each line is "<path>\t<JSON body>"; thread k of n
-- sends lines k, k+n, k+2n ... so no two requests write the same source record, and stops
-- (wrk.thread:stop) when its share runs out, so nothing is sent twice.

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
end

function init(args)
  local file, threads = args[1], tonumber(args[2])
  lines = {}
  local k = 0
  for line in io.lines(file) do
    if k % threads == (thread_no - 1) then
      lines[#lines + 1] = line
    end
    k = k + 1
  end
  next_line = 1
  headers = {["Content-Type"] = "application/json"}  -- with -H's (wrk.format takes these instead)
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
end

function request()
  local line = lines[next_line]
  if line == nil then
    wrk.thread:stop()
    line = lines[#lines]
  end
  next_line = next_line + 1
  local tab = string.find(line, "\t", 1, true)
  return wrk.format("PUT", string.sub(line, 1, tab - 1), headers, string.sub(line, tab + 1))
end
