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

// Monitors and their alerts (issue 18): a deployment's monitors, their
// windows' reports (figures only, or one window's whole report), the
// alerts they opened and each alert's deliveries to the monitor's sinks.
const MON = "api/2.0/ferry/monitors/";
const ALERTS = "api/2.0/ferry/alerts/";
export const listMonitors = (deployment) => get(MON + "list", { deployment }).then((r) => r.monitors || []);
export const listMonitorReports = (name, max = 500) => get(MON + "reports", { name, max_results: max }).then((r) => r.reports || []);
export const getMonitorReport = (name, windowStart) => get(MON + "report", { name, window_start: windowStart }).then((r) => r.report);
export const listAlerts = (q) => get(ALERTS + "list", q).then((r) => r.alerts || []);
export const ackAlert = (id) => post(ALERTS + "ack", { alert_id: id }).then((r) => r.alert);
export const resolveAlert = (id) => post(ALERTS + "resolve", { alert_id: id }).then((r) => r.alert);
export const alertDeliveries = (id) => get(ALERTS + "deliveries", { alert_id: id }).then((r) => r.deliveries || []);
