-- wrk script: directors' task lists under many sessions. Environment: COOKIES (a file of
-- session tokens, one per line; each request uses the next), PATHS (comma-separated pages),
-- THINK_MS (each connection — a director's phone — waits this long between page loads; 0 or
-- unset: none, every connection asks again as soon as answered).
local tokens = {}
local paths = {}
local n = 0

function init(args)
  for line in io.lines(os.getenv("COOKIES")) do tokens[#tokens + 1] = line end
  for p in string.gmatch(os.getenv("PATHS") or "/m/alerts", "[^,]+") do paths[#paths + 1] = p end
  n = math.random(#tokens)
end

-- wrk sends every connection's first request at the same instant; 50 page views queued at
-- once would make up most of the slowest 1 % of a minute at ~100 requests/s and measure the
-- tool's start rather than the phones. So each connection's first request (the first FIRST of
-- each thread: connections ÷ threads) is the health check, answered without a session or the
-- database, and the pages follow spread by the think time.
local first = tonumber(os.getenv("FIRST") or "0")
local sent = 0

function request()
  sent = sent + 1
  if sent <= first then return wrk.format("GET", "/healthz") end
  n = n + 1
  local token = tokens[(n % #tokens) + 1]
  local path = paths[(n % #paths) + 1]
  return wrk.format("GET", path, { ["Cookie"] = "humiao_session=" .. token })
end

local think = tonumber(os.getenv("THINK_MS") or "0")

function delay()
  -- Spread evenly: a phone does not reload in step with the others.
  if think > 0 then return math.random(math.floor(think / 2), think + math.floor(think / 2)) end
  return 0
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  non-2xx %d\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.errors.status))
end
