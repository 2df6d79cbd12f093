-- wrk script: departments pushing events to POST /api/v1/events at a fixed total rate.
-- Environment: KEY (an API key), FAMILIES (file of "child_id,parent_id" lines), RATE (events
-- per second in total), CONNS (wrk's -c), TODAY (YYYY-MM-DD), RUN (a tag making event IDs unique).
local threads = {}
local counter = 0
local families = {}
local key, today, run = os.getenv("KEY"), os.getenv("TODAY"), os.getenv("RUN")
-- Each connection waits this long between its requests; the few milliseconds an answer takes
-- come on top, so the wait is shortened by them to hold the total rate.
local wait_ms = 1000 * tonumber(os.getenv("CONNS")) / tonumber(os.getenv("RATE")) - 5

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("FAMILIES")) do
    local child, parent = line:match("([^,]+),([^,]+)")
    families[#families + 1] = { child = child, parent = parent }
  end
  math.randomseed(tid * 7919)
end

function request()
  counter = counter + 1
  local f = families[math.random(#families)]
  local body
  if math.random(10) <= 7 then
    -- About a child: an alert at once.
    local kinds = { "school_absence", "police_incident", "hospital_injury", "venue_admission" }
    body = string.format(
      '{"event_id":"LOAD-%s-%d-%d","kind":"%s","occurred_on":"%s","subject":{"citizen_id":"%s"}}',
      run, tid, counter, kinds[math.random(#kinds)], today, f.child)
  else
    -- About a parent: a fact, and the family re-assessed.
    body = string.format(
      '{"event_id":"LOAD-%s-%d-%d","kind":"detention","occurred_on":"%s","until":"2027-06-30","subject":{"citizen_id":"%s"}}',
      run, tid, counter, today, f.parent)
  end
  return wrk.format("POST", nil,
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key }, body)
end

function delay()
  return wait_ms
end

function done(summary, latency, requests)
  local statuses = summary.errors.status
  io.write(string.format("pushed %d events, %d non-2xx, %d socket errors\n",
    summary.requests, statuses, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
