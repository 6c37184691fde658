-- POST the registration form with a new, valid member on every request: unique GB 11643 ID numbers and
-- mobile numbers by construction, from a counter that starts above every number an earlier run used.
-- Usage: wrk -t1 ... -s bench/wrk/register.lua URL -- DATA_FILE FIRST_N
-- DATA_FILE (written by bench/run.py): line 1 the CSRF cookie value, line 2 the url-encoded fields that
-- never change (CSRF form token included), then one line per place: the url-encoded unit and community
-- fields; an empty line; then the SMS codes (communities.phone_codes, purpose registration) of persons
-- FIRST_N, FIRST_N + 1, …, one a line, in order. Person n gets phone 192 + n (8 digits; 192 is not a prefix
-- the demo city uses) and an ID number in region 38900k (38 is no real province): birth day n // 1000 after
-- 1970-01-01, order code n % 1000.
-- Expected answer: 302 to the introduction letter. Anything else counts as an error. A person past the last
-- code is sent without one (refused, an error, counted in "no_code"): the run makes more codes than it can use.
-- Requires one wrk thread (-t1): the counter is per thread.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local CHECK = "10X98765432"

local function id_number(n)
  local region = 389000 + math.floor(n / 10000000)
  local day = math.floor(n / 1000) % 10000
  local first17 = string.format("%06d%s%03d", region, os.date("!%Y%m%d", day * 86400), n % 1000)
  local total = 0
  for i = 1, 17 do
    total = total + tonumber(first17:sub(i, i)) * WEIGHTS[i]
  end
  local index = total % 11 + 1
  return first17 .. CHECK:sub(index, index)
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  cookie = file:read("*l")
  fixed = file:read("*l")
  places = {}
  codes = {}
  local list = places
  for line in file:lines() do
    if #line == 0 then
      list = codes
    else
      table.insert(list, line)
    end
  end
  file:close()
  n = tonumber(args[2])
  first_n = n
  created = 0
  no_code = 0
  verifying = true
  unexpected = 0
  last_status = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "csrftoken=" .. cookie
end

function request()
  local code = codes[n - first_n + 1]
  local body = fixed .. "&id_number=" .. id_number(n) .. "&phone=192" .. string.format("%08d", n) ..
    "&phone_code=" .. (code or "") .. places[(n - first_n) % #places + 1]
  if verifying then
    -- wrk calls request() once right after init to check its shape, and never sends that one: person n waits
    -- for the first request sent (otherwise neither registered nor its code used).
    verifying = false
  else
    if code == nil then no_code = no_code + 1 end
    n = n + 1
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and location:find("/registration/letters/", 1, true) then
    created = created + 1
  else
    unexpected = unexpected + 1
    last_status = status
  end
end

function done(summary, latency, requests)
  local bad, ok, status, last_n, missing = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    ok = ok + thread:get("created")
    last_n = thread:get("n")
    missing = missing + thread:get("no_code")
    local seen = thread:get("last_status")
    if seen ~= 0 then status = seen end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "http_errors": %d, "timeout": %d, "unexpected": %d, ' ..
    '"unexpected_status": %d, "created": %d, "next_n": %d, "no_code": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, errors.connect, errors.read, errors.write, errors.status, errors.timeout, bad, status, ok, last_n, missing))
end
