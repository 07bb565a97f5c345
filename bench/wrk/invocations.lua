-- SPDX-License-Identifier: MIT
-- wrk script: POST the JSON body in $BODY_FILE to /invocations, as fast as wrk can.
--
--   BODY_FILE=body.json wrk -t2 -c64 -d5s -s bench/wrk/invocations.lua http://127.0.0.1:PORT
--
-- Counts answers that are not 200 so the benchmark can refuse a run that errored. AUTHORIZATION,
-- when set, is sent as the Authorization header of every request.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
local bad = 0
local headers = { ["Content-Type"] = "application/json" }
local auth = os.getenv("AUTHORIZATION")
if auth and auth ~= "" then
   headers["Authorization"] = auth
end

function request()
   return wrk.format("POST", "/invocations", headers, body)
end

function response(status, headers, b)
   if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
   io.write(string.format("non200 %d\n", bad))
   io.write(string.format("p50_ms %.3f\np99_ms %.3f\n", latency:percentile(50) / 1000,
                          latency:percentile(99) / 1000))
end
