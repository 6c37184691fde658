-- A crowd checking in to one activity: each request is one member's phone POSTing the activity's current entry
-- code, with that member's session and CSRF token (prepared by bench/activities.py, which logged them in).
-- Usage: wrk -t1 ... -s bench/wrk/checkin.lua URL -- DATA_FILE
-- DATA_FILE: line 1 the check-in path; line 2 the first code window (Unix time // 30) and the entry code of
-- that window and each next one (computed by services.activities.codes); then one line per planned scan,
-- "session_id csrf_cookie form_token" (a member's line appears twice where a repeat is sent on purpose).
-- The code sent is the one of the window the request is made in. After the planned scans the thread stops;
-- requests made before it stops repeat the plan from the start (counted as "extra").
-- Expected answer: 302 back to the activity's page (recorded, or "already recorded"). Anything else is an error.
-- Requires one wrk thread (-t1).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  path = file:read("*l")
  local header = file:read("*l")
  codes = {}
  for word in header:gmatch("%S+") do table.insert(codes, word) end
  first_window = tonumber(table.remove(codes, 1))
  scans = {}
  for line in file:lines() do
    if #line > 0 then
      local session, cookie, token = line:match("^(%S+) (%S+) (%S+)$")
      table.insert(scans, {session = session, cookie = cookie, token = token})
    end
  end
  file:close()
  detail = path:gsub("check%-in/$", "")
  sent, answered, recorded, extra, unexpected, last_status, stale = 0, 0, 0, 0, 0, 0, 0
end

function request()
  local index = sent % #scans + 1
  if sent >= #scans then extra = extra + 1 end
  sent = sent + 1
  local scan = scans[index]
  local window = math.floor(os.time() / 30)
  local code = codes[window - first_window + 1]
  if code == nil then
    stale = stale + 1
    code = codes[#codes]
  end
  local body = "csrfmiddlewaretoken=" .. scan.token .. "&kind=entry&code=" .. code
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "sessionid=" .. scan.session .. "; csrftoken=" .. scan.cookie,
  }
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  answered = answered + 1
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and location:sub(-#detail) == detail then
    recorded = recorded + 1
  else
    unexpected = unexpected + 1
    last_status = status
  end
  if answered >= #scans then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local bad, ok, status, more, missing = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    ok = ok + thread:get("recorded")
    more = more + thread:get("extra")
    missing = missing + thread:get("stale")
    local seen = thread:get("last_status")
    if seen ~= 0 then status = seen end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "http_errors": %d, "timeout": %d, "unexpected": %d, ' ..
    '"unexpected_status": %d, "answered_302": %d, "extra": %d, "no_code_for_window": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, errors.connect, errors.read, errors.write, errors.status, errors.timeout, bad, status, ok, more,
    missing))
end
