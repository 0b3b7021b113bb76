-- Appended to every wrk script of the benchmarks: counts the answers that were not 2xx
-- (wrk's own "Non-2xx or 3xx" line lets a 3xx pass) and prints one line the bench parses.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  answered, bad, first_bad = 0, 0, 0
end

function response(status, headers, body)
  answered = answered + 1
  if status < 200 or status > 299 then
    bad = bad + 1
    if first_bad == 0 then first_bad = status end
  end
end

function done(summary, latency, requests)
  local total, failed, example = 0, 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("answered")
    failed = failed + thread:get("bad")
    if example == 0 then example = thread:get("first_bad") end
  end
  io.write(string.format("bench-status: answered %d non-2xx %d first %d\n", total, failed, example))
end
