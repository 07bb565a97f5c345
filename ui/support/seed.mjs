// SPDX-License-Identifier: MIT
// Seeds a server with what the UI tests browse: two experiments, runs with
// params, metrics (one with a spike), tags and a nested child, artifacts of
// every previewable kind, and a registered model with versions and an alias.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api } from "./server.mjs";

const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
  "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2d2a2a50000000049454e44ae426082", "hex");

async function put(base, run, path, data) {
  const root = run.info.artifact_uri.replace(/^mlflow-artifacts:\//, "");
  const r = await fetch(base + "api/2.0/mlflow-artifacts/artifacts/" + root + "/" + path, { method: "PUT", body: data });
  if (!r.ok) throw new Error(`upload ${path}: ${r.status} ${await r.text()}`);
}

export async function seed(base) {
  const exp = (await api(base, "experiments/create", { name: "fraud-detection" })).experiment_id;
  const other = (await api(base, "experiments/create", { name: "churn" })).experiment_id;
  const runs = [];
  for (let i = 0; i < 6; i++) {
    const run = (await api(base, "runs/create", {
      experiment_id: exp, run_name: `trial-${i}`, start_time: 1700000000000 + i * 60000,
      tags: [{ key: "mlflow.source.name", value: "train.py" }, { key: "team", value: i % 2 ? "red" : "blue" }],
    })).run;
    const t0 = 1700000000000 + i * 60000;
    const metrics = [];
    for (let s = 0; s < 50; s++) metrics.push({ key: "loss", value: 1 / (s + 1 + i), timestamp: t0 + s * 1000, step: s });
    metrics.push({ key: "accuracy", value: 0.8 + i / 100, timestamp: t0, step: 0 });
    await api(base, "runs/log-batch", {
      run_id: run.info.run_id, metrics,
      params: [{ key: "lr", value: String(0.01 * (i + 1)) }, { key: "depth", value: String(3 + (i % 3)) }],
    });
    await api(base, "runs/update", { run_id: run.info.run_id, status: i === 5 ? "FAILED" : "FINISHED", end_time: t0 + 50000 });
    runs.push(run);
  }
  const child = (await api(base, "runs/create", {
    experiment_id: exp, run_name: "child-of-trial-0",
    tags: [{ key: "mlflow.parentRunId", value: runs[0].info.run_id }],
  })).run;
  await api(base, "runs/create", { experiment_id: other, run_name: "churn-baseline" });
  // a long history with one spike that downsampling must keep
  const long = runs[0].info.run_id;
  for (let b = 0; b < 20; b++) {
    const metrics = [];
    for (let s = b * 1000; s < (b + 1) * 1000; s++)
      metrics.push({ key: "long", value: s === 12345 ? 1000 : Math.sin(s / 100), timestamp: 1700000000000 + s, step: s });
    await api(base, "runs/log-batch", { run_id: long, metrics });
  }
  const r0 = runs[0];
  await put(base, r0, "notes.txt", "hello from trial-0\n");
  await put(base, r0, "metrics.json", JSON.stringify({ auc: 0.91, f1: 0.8 }));
  await put(base, r0, "data/sample.csv", "a,b,c\n1,2,3\n4,\"five, with comma\",6\n");
  await put(base, r0, "plots/pixel.png", PNG);
  await put(base, r0, "model/MLmodel",
    "artifact_path: model\nflavors:\n  xgboost: {data: model.xgb, model_class: xgboost.sklearn.XGBClassifier}\n" +
    "signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"amount\", \"required\": true}, {\"type\": \"long\", \"name\": \"age\", \"required\": true}]'\n" +
    "  outputs: '[{\"type\": \"long\", \"required\": true}]'\n");
  await api(base, "registered-models/create", { name: "fraud" });
  for (const r of runs.slice(0, 2))
    await api(base, "model-versions/create", { name: "fraud", source: r.info.artifact_uri + "/model", run_id: r.info.run_id });
  await api(base, "model-versions/transition-stage", { name: "fraud", version: "1", stage: "Production", archive_existing_versions: false });
  await api(base, "registered-models/alias", { name: "fraud", alias: "champion", version: "1" });
  // a run whose artifacts are a plain local directory, as an embedded client leaves them
  const dir = mkdtempSync(join(tmpdir(), "ferry-ui-local-"));
  const localExp = (await api(base, "experiments/create", { name: "local-files", artifact_location: "file://" + dir })).experiment_id;
  const local = (await api(base, "runs/create", { experiment_id: localExp, run_name: "offline" })).run;
  const root = local.info.artifact_uri.replace(/^file:\/\//, "");
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "readme.md"), "logged offline\n");
  return { exp, other, runs, child, local };
}
