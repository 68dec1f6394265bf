-- wrk script for bench/feed_search.py: rotates through the request paths listed (one a line)
-- in the file named by the first script argument, each thread from its own starting point,
-- and prints one machine-readable summary line when the run ends.
--   wrk -t2 -c16 -d10s --latency -s bench/feed_search.lua http://127.0.0.1:8801 -- paths.txt

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

local paths = {}
local position = 0
local headers = {
  ["Accept"] = "application/json",
  ["Accept-Encoding"] = "gzip",
  ["Accept-Language"] = "ru",
  ["User-Agent"] = "okhttp/4.12.0 360-bench",
}

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open the paths file")
  for line in file:lines() do
    if #line > 0 then
      table.insert(paths, line)
    end
  end
  file:close()
  assert(#paths > 0, "the paths file is empty")
  -- Threads start at different places, so two threads do not ask the same path in step.
  local number = thread_number or 1
  position = ((number - 1) * 7919) % #paths
end

-- As behind nginx (TRUSTED_PROXIES=127.0.0.1/32): many clients, each with its own throttle
-- history and view counters, rather than one client making every request.
local clients = 4096
local client = 0

function request()
  position = position % #paths + 1
  client = (client + 1) % clients
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", thread_number or 1,
    math.floor(client / 256), client % 256)
  return wrk.format("GET", paths[position], headers)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d " ..
    "status=%d timeout=%d p50=%d p90=%d p95=%d p99=%d max=%d mean=%.1f\n",
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
