-- SPDX-License-Identifier: MIT
-- wrk script: POST the JSON body in $BODY_FILE to /invocations, as fast as wrk can.
--
--   BODY_FILE=body.json wrk -t2 -c64 -d5s -s bench/wrk/invocations.lua http://127.0.0.1:PORT
--
-- Counts answers that are not 200 so the benchmark can refuse a run that errored (response()
-- runs in each thread's own Lua state and done() in the main one, so the counts are collected
-- from the threads in done(); a plain global would always read 0 there). AUTHORIZATION,
-- when set, is sent as the Authorization header of every request. INVOCATIONS_PATH, when set,
-- is the path posted to instead of /invocations (a gateway's /endpoints/NAME/invocations).
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
local path = os.getenv("INVOCATIONS_PATH")
if not path or path == "" then
   path = "/invocations"
end
bad = 0
local threads = {}
local headers = { ["Content-Type"] = "application/json" }
local auth = os.getenv("AUTHORIZATION")
if auth and auth ~= "" then
   headers["Authorization"] = auth
end

-- Runs in the main Lua state once per thread: keep the threads to read their counts in done().
function setup(thread)
   table.insert(threads, thread)
end

function request()
   return wrk.format("POST", path, headers, body)
end

function response(status, headers, b)
   if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
   local total = 0
   for _, t in ipairs(threads) do
      total = total + (t:get("bad") or 0)
   end
   io.write(string.format("non200 %d\n", total))
   local e = summary.errors
   io.write(string.format("sockerr %d\n", e.connect + e.read + e.write + e.timeout))
   io.write(string.format("p50_ms %.3f\np99_ms %.3f\n", latency:percentile(50) / 1000,
                          latency:percentile(99) / 1000))
end
