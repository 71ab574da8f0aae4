-- Shared by every benchmark script: number the threads (so each seeds its own random
-- sequence) and, when the run ends, print one JSON line for bench/run.py.
-- wrk loads a script once per thread and once more for setup()/done(); run.py starts
-- wrk in this directory so dofile("report.lua") finds this file.

local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end

function seed_random()
  math.randomseed(os.time() * 1000 + (thread_number or 0))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors_connect": %d, "errors_read": %d, "errors_write": %d, '
      .. '"errors_status": %d, "errors_timeout": %d, '
      .. '"latency_mean_us": %.1f, "latency_p50_us": %d, "latency_p90_us": %d, '
      .. '"latency_p99_us": %d, "latency_max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max
  ))
end
