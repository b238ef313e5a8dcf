-- wrk script of bench/load: requests from a file (one per line, each with its own
-- user's token), in closed loop or with open-loop arrivals.
--
-- args: request_file threads mean_gap_ms
--   request_file  lines "METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY<TAB>PREFER" ("-" = none;
--                 no token: an anonymous request);
--                 thread k of `threads` takes lines k, k+threads, … and draws from them
--                 at random, so every thread carries many users
--   mean_gap_ms   used when LOAD_OPEN=1 is in the environment (open loop): every
--                 connection waits an exponential gap of that mean
--                 before each request, the first included (wrk delays a new connection's
--                 first request too), so arrivals over many connections are close to
--                 Poisson at connections / (gap + latency) per second. Without it,
--                 closed loop: a connection sends its next request when the answer arrives.
-- done() prints one RESULT line, LATENCY lines (µs) and STATUS lines the runner parses.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(args[2])
  mean_ms = tonumber(args[3])
  reqs = {}
  local n = 0
  for line in io.lines(args[1]) do
    if n % nthreads == id then
      local method, path, token, body, prefer =
        line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
      local headers = {}
      if token ~= "-" then
        headers["Authorization"] = "Bearer " .. token
      end
      if body ~= "-" then
        headers["Content-Type"] = "application/json"
      else
        body = nil
      end
      if prefer ~= "-" then
        headers["Prefer"] = prefer
      end
      table.insert(reqs, wrk.format(method, path, headers, body))
    end
    n = n + 1
  end
  statuses = {}
  bad = 0
  math.randomseed(os.time() + id * 7919)
  for _ = 1, 10 do math.random() end
end

function request()
  return reqs[math.random(1, #reqs)]
end

-- wrk decides once, when it loads the script, whether delay() exists (and then calls it
-- before every request): only an open-loop run (LOAD_OPEN=1 in the environment) has it.
if os.getenv("LOAD_OPEN") == "1" then
  function delay()
    return math.floor(-math.log(1 - math.random()) * mean_ms)
  end
end

function response(status, headers, body)
  if status >= 300 then
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
    if bad <= 3 then
      io.stderr:write("HTTP ", status, " ", body:sub(1, 300), "\n")
    end
  end
end

function done(summary, latency, requests)
  local total_bad = 0
  local codes = {}
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    for code, count in pairs(t:get("statuses")) do
      codes[code] = (codes[code] or 0) + count
    end
  end
  io.write(string.format(
    "RESULT requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d bad=%d\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, total_bad))
  for _, p in ipairs({50, 90, 95, 99, 99.9}) do
    io.write(string.format("LATENCY %g %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("LATENCY max %d\n", latency.max))
  for code, count in pairs(codes) do
    io.write(string.format("STATUS %d %d\n", code, count))
  end
end
