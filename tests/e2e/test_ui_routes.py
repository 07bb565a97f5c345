# SPDX-License-Identifier: MIT
"""The routes MLflow's web UI calls besides the REST API, as MLflow's server answers them:
experiments/search-datasets, runs/create-promptlab-run, upload-artifact, model-versions/get-artifact
and gateway-proxy (against a small gateway on loopback)."""
import http.server
import json
import os
import tempfile
import threading
import urllib.parse

from support.server import AJAX, Server, expect_error

OWN_SERVER = True
INV = "INVALID_PARAMETER_VALUE"


def _dataset(name, digest):
    return {"name": name, "digest": digest, "source_type": "local", "source": "{}"}


def _flows(c):
    exp = c.create_experiment("ui-routes")
    other = c.create_experiment("ui-routes-2")
    r1 = c.create_run(exp)["info"]["run_id"]
    r2 = c.create_run(other)["info"]["run_id"]
    c.ok(c.post("runs/log-inputs", {"run_id": r1, "datasets": [
        {"dataset": _dataset("train", "d1"),
         "tags": [{"key": "mlflow.data.context", "value": "training"}]},
        {"dataset": _dataset("eval", "d2")}]}))
    c.ok(c.post("runs/log-inputs", {"run_id": r2, "datasets": [
        {"dataset": _dataset("train", "d1"),
         "tags": [{"key": "mlflow.data.context", "value": "eval"}]}]}))
    # search-datasets: each (experiment, dataset, context) once; no context is left out
    got = c.ok(c.post("experiments/search-datasets", {"experiment_ids": [exp, other]},
                      prefix=AJAX))["dataset_summaries"]
    assert sorted((d["experiment_id"], d["name"], d["digest"], d.get("context")) for d in got) \
        == sorted([(exp, "eval", "d2", None), (exp, "train", "d1", "training"),
                   (other, "train", "d1", "eval")]), got
    assert c.ok(c.post("experiments/search-datasets", {"experiment_ids": ["123456"]},
                       prefix=AJAX)) == {}

    # create-promptlab-run: a finished run with the prompt's params, tags and table
    run = c.ok(c.post("runs/create-promptlab-run", {
        "experiment_id": exp, "run_name": "prompt-1", "tags": [{"key": "team", "value": "nlp"}],
        "prompt_template": "Translate {{text}}", "prompt_parameters": [
            {"key": "text", "value": "bonjour"}],
        "model_route": "chat", "model_parameters": [{"key": "temperature", "value": "0.2"}],
        "model_input": "Translate bonjour", "model_output": "hello",
        "model_output_parameters": [{"key": "latency", "value": "12"}],
        "mlflow_version": "2.17.2", "user_id": "ana", "start_time": 1000}, prefix=AJAX))["run"]
    info = run["info"]
    assert info["status"] == "FINISHED" and info["user_id"] == "ana" and \
        info["start_time"] == 1000 and info["run_name"] == "prompt-1", info
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params == {"temperature": "0.2", "model_route": "chat",
                      "prompt_template": "Translate {{text}}"}, params
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["mlflow.runSourceType"] == "PROMPT_ENGINEERING" and tags["team"] == "nlp"
    assert json.loads(tags["mlflow.loggedArtifacts"]) == [
        {"path": "eval_results_table.json", "type": "table"}]
    r = c.raw("GET", "/get-artifact?" + urllib.parse.urlencode(
        {"run_id": info["run_id"], "path": "eval_results_table.json"}))
    assert r.status == 200 and json.loads(r.body) == {
        "columns": ["text", "prompt", "output", "latency"],
        "data": [["bonjour", "Translate bonjour", "hello", "12"]]}, r

    # upload-artifact: the body becomes a file of the run, read back by get-artifact
    q = urllib.parse.urlencode({"run_uuid": r1, "path": "notes/readme.md"})
    r = c.raw("POST", AJAX + "upload-artifact?" + q, b"# hello\n",
              {"Content-Type": "application/octet-stream"})
    assert r.status == 200 and r.body == b"", r
    r = c.raw("GET", "/get-artifact?" + urllib.parse.urlencode(
        {"run_id": r1, "path": "notes/readme.md"}))
    assert r.status == 200 and r.body == b"# hello\n" and \
        r.headers["Content-Type"] == "text/plain", r
    return exp, r1


class _Gateway(http.server.BaseHTTPRequestHandler):
    seen = []

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        _Gateway.seen.append((self.command, self.path, body, self.headers.get("Authorization")))
        if self.path.startswith("/api/2.0/endpoints"):
            out, status = {"endpoints": [{"name": "chat"}]}, 200
        elif self.path.startswith("/endpoints/chat/invocations"):
            out, status = {"echo": json.loads(body)}, 200
        else:
            out, status = {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no route"}, 404
        data = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


def test_ui_routes_and_the_gateway_proxy(ferry):
    gw = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    t = threading.Thread(target=gw.serve_forever, daemon=True)
    t.start()
    work = tempfile.mkdtemp(prefix="ferry-ui-routes-")
    srv = Server(ferry, db=os.path.join(work, "t.db"),
                 extra=["--deployments-target", "http://127.0.0.1:%d" % gw.server_port])
    env_token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    os.environ["MLFLOW_TRACKING_TOKEN"] = "secret-for-the-tracking-server"
    try:
        srv.start()
    finally:
        if env_token is None:
            del os.environ["MLFLOW_TRACKING_TOKEN"]
        else:
            os.environ["MLFLOW_TRACKING_TOKEN"] = env_token
    c = srv.client()
    try:
        exp, run = _flows(c)
        # a registered version's files, through the registry (a runs:/ source followed)
        c.ok(c.post("registered-models/create", {"name": "ui-model"}))
        c.ok(c.post("model-versions/create", {"name": "ui-model", "run_id": run,
                                              "source": "runs:/%s/notes" % run}))
        r = c.raw("GET", "/model-versions/get-artifact?" + urllib.parse.urlencode(
            {"name": "ui-model", "version": "1", "path": "readme.md"}))
        assert r.status == 200 and r.body == b"# hello\n", r
        expect_error(c.raw("GET", "/model-versions/get-artifact?" + urllib.parse.urlencode(
            {"name": "ui-model", "version": "2", "path": "readme.md"})), 404,
            "RESOURCE_DOES_NOT_EXIST", "Model Version (name=ui-model, version=2) not found")
        expect_error(c.raw("GET", "/model-versions/get-artifact?" + urllib.parse.urlencode(
            {"name": "ui-model", "version": "1", "path": "missing.md"})), 404,
            "RESOURCE_DOES_NOT_EXIST")

        # gateway-proxy: GET and POST reach the gateway, the answer comes back as it is
        got = c.ok(c.get("gateway-proxy", {"gateway_path": "api/2.0/endpoints/"}, prefix=AJAX))
        assert got == {"endpoints": [{"name": "chat"}]}, got
        got = c.ok(c.post("gateway-proxy", {"gateway_path": "endpoints/chat/invocations",
                                            "json_data": {"prompt": "hi"}}, prefix=AJAX))
        assert got == {"echo": {"prompt": "hi"}}, got
        expect_error(c.post("gateway-proxy", {"json_data": {}}, prefix=AJAX), 400, INV,
                     "Deployments proxy request must specify a gateway_path.")
        expect_error(c.post("gateway-proxy", {"gateway_path": "nowhere"}, prefix=AJAX), 500,
                     "INTERNAL_ERROR", "Deployments proxy request failed")
        # the tracking server's credentials never reach the gateway
        assert _Gateway.seen and all(auth is None and b"secret" not in body
                                     for _, _, body, auth in _Gateway.seen), _Gateway.seen
    finally:
        c.close()
        assert srv.stop() == 0
        gw.shutdown()
        gw.server_close()
