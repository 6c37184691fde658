-- GET one page and count every response whose status is not the expected one (default 200): a page that
-- answers with a redirect to the login form is an error here, whereas wrk alone counts only 4xx/5xx.
-- Usage: wrk ... -s bench/wrk/page.lua URL -- [expected status]
-- At the end one line "BENCH {json}" carries the figures that bench/run.py reads.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(args[1]) or 200
  unexpected = 0
  last_status = 0
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    last_status = status
  end
end

function done(summary, latency, requests)
  local bad, status = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    local seen = thread:get("last_status")
    if seen ~= 0 then status = seen end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "http_errors": %d, "timeout": %d, "unexpected": %d, ' ..
    '"unexpected_status": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, errors.connect, errors.read, errors.write, errors.status, errors.timeout, bad, status))
end
