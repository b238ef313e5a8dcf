-- Open-loop-ish chat completions for bench/ai.py: every connection waits an exponential
-- gap (mean args[1] ms) after each answer before its next request, so with many more
-- connections than requests in flight the arrivals are close to Poisson at
-- connections / (mean gap + latency) per second.
--
-- args: mean_gap_ms out_prefix token workspace[,workspace...] chat_path body warm_path conns_per_thread
-- Each connection's first request is a cheap GET (warm_path) so that the connections do
-- not fire a burst of chats at t=0; it is told apart by the missing x-taproot-provider
-- header. Every answer's status and x-taproot-overhead-ms go to out_prefix-<thread>.log.

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  mean_ms = tonumber(args[1])
  out = io.open(args[2] .. "-" .. id .. ".log", "w")
  out:setvbuf("line")
  -- args[4]: one workspace id, or several separated by commas (one drawn per request)
  chats = {}
  local headers
  for workspace in string.gmatch(args[4], "[^,]+") do
    headers = {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. args[3],
      ["X-Taproot-Workspace"] = workspace,
    }
    table.insert(chats, wrk.format("POST", args[5], headers, args[6]))
  end
  warm = wrk.format("GET", args[7], headers, nil)
  initial = tonumber(args[8])
  sent = 0
  math.randomseed(os.time() + id * 7919)
  for _ = 1, 10 do math.random() end
end

function request()
  sent = sent + 1
  if sent <= initial then
    return warm
  end
  return chats[math.random(1, #chats)]
end

function delay()
  return math.floor(-math.log(1 - math.random()) * mean_ms)
end

function response(status, headers, body)
  local provider = headers["x-taproot-provider"] or headers["X-Taproot-Provider"]
  local overhead = headers["x-taproot-overhead-ms"] or headers["X-Taproot-Overhead-Ms"]
  if provider ~= nil or status ~= 200 then
    out:write(status, " ", overhead or "-", "\n")
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("LATENCY %g %d\n", p, latency:percentile(p)))
  end
end
