// SPDX-License-Identifier: MIT
// The server's REST API, as MLflow's clients call it. Errors carry MLflow's
// error_code and message so pages can show them as they are.
const BASE = "api/2.0/mlflow/";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, body) {
  const opts = { method, headers: {} };
  let url = path.startsWith("api/") ? path : BASE + path;
  if (method === "GET" && body) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
      else q.append(k, v);
    }
    url += "?" + q.toString();
  } else if (body) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(url, opts);
  const text = await r.text();
  let js = {};
  try {
    js = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(r.status, "BAD_RESPONSE", `the server answered ${r.status}: ${text.slice(0, 200)}`);
  }
  if (!r.ok) throw new ApiError(r.status, js.error_code || "ERROR", js.message || `HTTP ${r.status}`);
  return js;
}

export const get = (path, q) => call("GET", path, q);
export const post = (path, body) => call("POST", path, body || {});
export const patch = (path, body) => call("PATCH", path, body || {});
export const del = (path, body) => call("DELETE", path, body || {});

// The URL the browser downloads an artifact from: MLflow's /get-artifact,
// which reads the run's files wherever they are kept (the proxied
// repository or a local artifact root).
export function artifactUrl(run, path) {
  return "get-artifact?" + new URLSearchParams({ run_id: run.info.run_id, path }).toString();
}

// The prediction log (issue 17): logged rows, one row with its labels'
// history, a deployment's quality per target and time bucket.
const PLOG = "api/2.0/ferry/predictions/";
export const searchPredictions = (q) => get(PLOG + "search", q);
export const getPrediction = (q) => get(PLOG + "get", q);
export const getPerformance = (q) => get("api/2.0/ferry/deployments/performance", q);
