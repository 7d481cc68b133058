-- POST reports: every other one repeats one of 200 earlier fingerprints, the rest are new.
-- With LOGCENTER_BENCH_STORM=1 every report is the same crash (one fingerprint: a storm).
local storm = os.getenv("LOGCENTER_BENCH_STORM") == "1"
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + (tid or 0))
end

request = function()
  counter = counter + 1
  local line
  if storm then
    line = 42
  elseif counter % 2 == 0 then
    line = math.random(1, 200)
  else
    line = 1000000 * ((tid or 0) + 1) + counter
  end
  local body = string.format(
    '{"project_id":"bench","source":"runtime","level":"ERROR","environment":"production",' ..
    '"error":{"type":"ValueError","message":"invalid literal for int() with base 10: \'abc\'",' ..
    '"file_path":"app/handlers/orders.py","line_number":%d,' ..
    '"stack_trace":"Traceback (most recent call last):\\n  File \\"app/handlers/orders.py\\", line %d\\nValueError"},' ..
    '"context":{"request_id":"r-%d","user":"u-42"}}', line, line, counter)
  return wrk.format("POST", "/api/v1/logs/report", {["Content-Type"] = "application/json"}, body)
end
