-- POST pre-built gzip envelopes (bench/sentry.py writes them, one file per wrk thread), each
-- with its own event_id; headers as the Python SDK sends them.
local threads = {}
local bodies = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODIES") .. "." .. tid, "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while pos <= #data do
    local nl = data:find("\n", pos, true)
    local len = tonumber(data:sub(pos, nl - 1))
    table.insert(bodies, data:sub(nl + 1, nl + len))
    pos = nl + 1 + len
  end
  path = os.getenv("BENCH_PATH")
  headers = {["Content-Type"] = "application/x-sentry-envelope", ["Content-Encoding"] = "gzip",
             ["X-Sentry-Auth"] = os.getenv("BENCH_AUTH"), ["User-Agent"] = "sentry.python/2.75.0"}
end

request = function()
  counter = counter + 1
  -- past the end it wraps: those are retries of accepted events (answered, not counted)
  local body = bodies[(counter - 1) % #bodies + 1]
  return wrk.format("POST", path, headers, body)
end
