-- SPDX-License-Identifier: MIT
-- wrk script: POST runs/log-metric to one run, as fast as wrk can.
--
--   RUN_ID=<run id> wrk -t2 -c64 -d5s -s bench/wrk/log_metric.lua http://127.0.0.1:PORT
--
-- Each wrk thread logs its own key ("wrk_t1", "wrk_t2", ...) with steps 1, 2,
-- 3, ... so no two requests write the same point, and the number stored can
-- be checked afterwards with metrics/get-history. Only RUN_ID is required;
-- METRIC_PREFIX changes the key prefix (default "wrk_t"); AUTHORIZATION, when set, is
-- sent as the Authorization header ("Basic ...", "Bearer ...") of every request.

local run_id = os.getenv("RUN_ID")
local prefix = os.getenv("METRIC_PREFIX") or "wrk_t"
local threads = {}

-- Runs once per thread in the main Lua state: give each thread its number.
function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   if not run_id or run_id == "" then
      error("set RUN_ID to the run to log to (create one with runs/create)")
   end
   key = prefix .. tostring(tid or 0)
   counter = 0
   ts0 = os.time() * 1000
   headers = { ["Content-Type"] = "application/json" }
   local auth = os.getenv("AUTHORIZATION")
   if auth and auth ~= "" then
      headers["Authorization"] = auth
   end
   path = "/api/2.0/mlflow/runs/log-metric"
end

function request()
   counter = counter + 1
   local body = string.format(
      '{"run_id":"%s","key":"%s","value":%d.5,"timestamp":%d,"step":%d}',
      run_id, key, counter, ts0 + counter, counter)
   return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
   io.write(string.format("log-metric: %d requests, %d errors (connect %d, read %d, " ..
                          "write %d, status %d, timeout %d), keys %s1..%s%d\n",
                          summary.requests,
                          summary.errors.connect + summary.errors.read + summary.errors.write +
                             summary.errors.status + summary.errors.timeout,
                          summary.errors.connect, summary.errors.read, summary.errors.write,
                          summary.errors.status, summary.errors.timeout,
                          prefix, prefix, #threads))
end
