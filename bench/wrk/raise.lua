-- POST a community's public request page with a new request on every request, each with its own phone and the
-- SMS code communities.phone_codes made for that phone (bench/resident_requests.py asks for them before the run).
-- Usage: wrk -t1 ... -s bench/wrk/raise.lua URL -- DATA_FILE
-- DATA_FILE (written by bench/resident_requests.py): line 1 the CSRF cookie value, line 2 the url-encoded fields that never
-- change (CSRF form token, text), then one line per request: the page's path, a space, and its url-encoded fields
-- (category, building, phone, code). Lines are used in order; past the last one they are used again, and those
-- POSTs fail (a code works once): the stage makes more codes than a run can use.
-- Expected answer: 302 to the request's tracking page. Anything else counts as an error.
-- Requires one wrk thread (-t1): the counter is per thread.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  cookie = file:read("*l")
  fixed = file:read("*l")
  paths = {}
  bodies = {}
  for line in file:lines() do
    local space = line:find(" ", 1, true)
    if space then
      table.insert(paths, line:sub(1, space - 1))
      table.insert(bodies, line:sub(space + 1))
    end
  end
  file:close()
  n = 0
  created = 0
  unexpected = 0
  last_status = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "csrftoken=" .. cookie
end

function request()
  local index = n % #paths + 1
  n = n + 1
  return wrk.format("POST", paths[index], nil, fixed .. bodies[index])
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and location:find("/requests/t/", 1, true) then
    created = created + 1
  else
    unexpected = unexpected + 1
    last_status = status
  end
end

function done(summary, latency, requests)
  local bad, ok, status = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    ok = ok + thread:get("created")
    local seen = thread:get("last_status")
    if seen ~= 0 then status = seen end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "http_errors": %d, "timeout": %d, "unexpected": %d, ' ..
    '"unexpected_status": %d, "created": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, errors.connect, errors.read, errors.write, errors.status, errors.timeout, bad, status, ok))
end
