-- wrk script for benchmarks/serve_load.py: POST /check with realistic account names.
--
--   wrk -t2 -c8 -d10s -s benchmarks/serve_check.lua http://127.0.0.1:PORT -- NAMES BATCH MODE THREADS
--
-- NAMES   file with one JSON string literal per line ("入民日报"), e.g. written by serve_load.py
-- BATCH   names per request: 1 sends {"name": ...}, more send {"names": [...]}
-- MODE    "repeat": the names as listed (check_many's memo answers a name it has seen);
--         "distinct": a number unique to the request is appended to every name, so each one is screened anew
-- THREADS the -t value (keeps the appended numbers of the threads apart)
--
-- done() prints one line "WRKJSON {...}": requests, duration, errors and latency percentiles in microseconds.

local count = 0

function setup(thread)
  count = count + 1
  thread:set("id", count)
end

function init(args)
  names = {}
  for line in io.lines(args[1]) do
    if #line > 0 then names[#names + 1] = line end
  end
  batch = tonumber(args[2]) or 1
  distinct = args[3] == "distinct"
  stride = tonumber(args[4]) or 1
  pos = ((id or 1) - 1) * 997 % #names  -- threads start at different names
  seq = id or 1
  wrk.method = "POST"
  wrk.path = "/check"
  wrk.headers["Content-Type"] = "application/json"
end

local function next_name()
  pos = pos % #names + 1
  local quoted = names[pos]
  if distinct then
    seq = seq + stride
    quoted = string.sub(quoted, 1, -2) .. seq .. '"'
  end
  return quoted
end

function request()
  local body
  if batch == 1 then
    body = '{"name":' .. next_name() .. '}'
  else
    local parts = {}
    for i = 1, batch do parts[i] = next_name() end
    body = '{"names":[' .. table.concat(parts, ",") .. ']}'
  end
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
