# SPDX-License-Identifier: MIT
"""REST cases as data files: every tests/e2e/cases/<area>/<name>.json is one
test (a new case is a new file). A case is one request against a seeded store,
the expected status, and either the expected error code (plus substrings of
the message) or a pattern for the JSON answer. No case may change the store:
after each one the whole store is read back and compared with the snapshot
taken after seeding.

Case file fields:
  description   what the case shows
  request       method, path (relative to /api/2.0/mlflow/, or absolute when it
                starts with '/'), prefix ("ajax" for /ajax-api/2.0/mlflow/),
                query (GET; a list value repeats the key), body (a JSON value),
                raw (a body sent as is), raw_hex (bytes of a body, hex)
  status        the expected HTTP status
  error_code    the expected MLflow error code (error cases)
  message       substrings the error message must contain
  json          a pattern for a successful answer: objects match when every
                key given matches, lists element by element; {"$exact": v}
                must equal v; {"$unordered": [...]} matches in any order
  text          the exact text of a non-JSON answer

Values anywhere in a case may use the seeded fixture: $RUN (an active run with
params, tags, metrics and a dataset input), $DELETED_RUN, $MISSING_RUN (a
well-formed id that names no run), $EXP / $EXP_NAME (its experiment),
$DELETED_EXP, $MODEL (a logged model of $RUN with a param, a tag and a metric),
$MISSING_MODEL, $TRACE (an ended 2.x trace in $EXP named "predict", started at
1000 ms, 250 ms long, its mlflow.sourceRun $RUN), $TRACE3 (a 3.x trace in $EXP
started at 2000 ms), $MISSING_TRACE; and generators: {"$str": "x", "times": N} (a long string),
{"$repeat": N, "item": v} (a list of N copies of v, "$i" replaced by the
index), {"$json": v} (v serialised to a JSON string), {"$concat": [v, ...]} (strings
joined)."""
import json
import os
import re
import subprocess
import urllib.parse

from support.server import AJAX, API, expect_error, header
from support.snapshot import diff, snapshot

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
MISSING_RUN = "0123456789abcdef0123456789abcdef"
MISSING_TRACE = "tr-00000000000000000000000000000000"
TRACE3 = "tr-0123456789abcdef0123456789abcdef"
fixture = {}


def _seed(c, fixture):
    """Seeds the store once; fixture (a dict) keeps what was made."""
    if fixture:
        return fixture
    exp = c.create_experiment("cases-exp", tags=[{"key": "team", "value": "core"}])
    c.create_experiment("cases-other")
    dexp = c.create_experiment("cases-deleted")
    c.ok(c.post("experiments/delete", {"experiment_id": dexp}))
    run = c.create_run(exp, run_name="case-run")["info"]["run_id"]
    c.log_batch(run, metrics=[{"key": "acc", "value": 0.5 + i / 10, "timestamp": 100 + i,
                               "step": i} for i in range(5)] +
                [{"key": "loss", "value": "NaN", "timestamp": 1, "step": 0}],
                params=[{"key": "lr", "value": "0.1"}],
                tags=[{"key": "team", "value": "core"}])
    c.ok(c.post("runs/log-inputs", {"run_id": run, "datasets": [{
        "tags": [{"key": "mlflow.data.context", "value": "train"}],
        "dataset": {"name": "ds", "digest": "dg1", "source_type": "local",
                    "source": "{\"uri\": \"/d\"}"}}]}))
    dead = c.create_run(exp, run_name="case-deleted")["info"]["run_id"]
    c.log_batch(dead, params=[{"key": "p", "value": "1"}])
    c.ok(c.post("runs/delete", {"run_id": dead}))
    model = c.ok(c.post("logged-models", {
        "experiment_id": exp, "name": "case-model", "source_run_id": run,
        "params": [{"key": "alpha", "value": "0.5"}],
        "tags": [{"key": "team", "value": "core"}]}))["model"]["info"]["model_id"]
    evaluator = c.create_run(exp, run_name="case-evaluation")["info"]["run_id"]
    c.log_batch(evaluator, metrics=[{"key": "auc", "value": 0.8, "timestamp": 5, "step": 0,
                                     "model_id": model, "dataset_name": "ds",
                                     "dataset_digest": "dg1"}])
    trace = c.ok(c.post("traces", {
        "experiment_id": exp, "timestamp_ms": 1000,
        "request_metadata": [{"key": "mlflow.sourceRun", "value": run}],
        "tags": [{"key": "mlflow.traceName", "value": "predict"},
                 {"key": "team", "value": "core"}]}))["trace_info"]["request_id"]
    c.ok(c.raw("PATCH", API + "traces/" + trace, json.dumps({"timestamp_ms": 1250,
                                                             "status": "OK"})))
    c.ok(c.raw("POST", "/api/3.0/mlflow/traces", json.dumps({"trace": {"trace_info": {
        "trace_id": TRACE3, "request_time": "1970-01-01T00:00:02Z", "state": "ERROR",
        "trace_location": {"type": "MLFLOW_EXPERIMENT",
                           "mlflow_experiment": {"experiment_id": exp}},
        "trace_metadata": {"mlflow.trace_schema.version": "3"},
        "tags": {"mlflow.traceName": "chat"}}}})))
    fixture.update({"RUN": run, "DELETED_RUN": dead, "MISSING_RUN": MISSING_RUN, "EXP": exp,
                    "EXP_NAME": "cases-exp", "DELETED_EXP": dexp, "TRACE": trace,
                    "TRACE3": TRACE3, "MISSING_TRACE": MISSING_TRACE, "MODEL": model,
                    "MISSING_MODEL": "m-" + "0" * 32})
    fixture["snapshot"] = snapshot(c)
    return fixture


_VAR = re.compile(r"\$(DELETED_RUN|MISSING_RUN|RUN|DELETED_EXP|EXP_NAME|EXP|MISSING_MODEL|MODEL"
                  r"|MISSING_TRACE|TRACE3|TRACE)\b")


def _expand(v, fx, i=None):
    """Fixture names and generators replaced by their values."""
    if isinstance(v, str):
        if i is not None:
            if v == "$i":
                return i
            v = v.replace("$i", str(i))
        return _VAR.sub(lambda m: fx[m.group(1)], v)
    if isinstance(v, list):
        return [_expand(x, fx, i) for x in v]
    if isinstance(v, dict):
        if "$str" in v:
            return v["$str"] * v["times"]
        if "$repeat" in v:
            return [_expand(v["item"], fx, k) for k in range(v["$repeat"])]
        if "$json" in v:
            return json.dumps(_expand(v["$json"], fx, i))
        if "$concat" in v:
            return "".join(_expand(x, fx, i) for x in v["$concat"])
        return {k: _expand(x, fx, i) for k, x in v.items()}
    return v


def _match(want, got, where="$"):
    if isinstance(want, dict) and "$exact" in want:
        assert got == want["$exact"], "%s: expected exactly %r, got %.300r" % (
            where, want["$exact"], got)
    elif isinstance(want, dict) and "$unordered" in want:
        items = list(got or [])
        assert len(items) == len(want["$unordered"]), "%s: expected %d items, got %.300r" % (
            where, len(want["$unordered"]), got)
        for w in want["$unordered"]:
            for k, g in enumerate(items):
                try:
                    _match(w, g, where)
                except AssertionError:
                    continue
                del items[k]
                break
            else:
                raise AssertionError("%s: nothing matches %r in %.300r" % (where, w, got))
    elif isinstance(want, dict):
        assert isinstance(got, dict), "%s: expected an object, got %.200r" % (where, got)
        for k, w in want.items():
            assert k in got, "%s: no field %r in %.300r" % (where, k, got)
            _match(w, got[k], "%s.%s" % (where, k))
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), \
            "%s: expected %d items, got %.300r" % (where, len(want), got)
        for k, (w, g) in enumerate(zip(want, got)):
            _match(w, g, "%s[%d]" % (where, k))
    else:
        assert want == got and type(want) is type(got), "%s: expected %r, got %r" % (
            where, want, got)


def _send(c, req, fx):
    path = _expand(req["path"], fx)
    if not path.startswith("/"):
        path = (AJAX if req.get("prefix") == "ajax" else API) + path
    method = req["method"]
    if "raw_hex" in req:
        return c.raw(method, path, bytes.fromhex(req["raw_hex"]))
    if "raw" in req:
        return c.raw(method, path, _expand(req["raw"], fx).encode("utf-8"))
    if method == "GET":
        q = _expand(req.get("query", {}), fx)
        if q:
            path += "?" + urllib.parse.urlencode(q, doseq=True)
        return c.raw("GET", path)
    return c.raw(method, path, json.dumps(_expand(req.get("body", {}), fx)))


def _check_answer(case, r, fx):
    if "error_code" in case:
        msg = expect_error(r, case["status"], case["error_code"])
        for needle in _expand(case.get("message", []), fx):
            assert needle in msg, "%r not in the message %r" % (needle, msg)
        return
    assert r.status == case["status"], "expected %d, got %r" % (case["status"], r)
    if "text" in case:
        assert r.body.decode("utf-8") == case["text"], r
        return
    assert header(r, "Content-Type").startswith("application/json"), r.headers
    assert isinstance(r.json, dict), "not a JSON object: %r" % r
    if "json" in case:
        _match(_expand(case["json"], fx), r.json)


def run_case(case, c, fixture=fixture):
    """Sends one case to the server c talks to (seeded into fixture the first time) and checks
    the answer and that the store is as it was. Returns the answer."""
    fx = _seed(c, fixture)
    r = _send(c, case["request"], fx)
    problems = []
    try:
        _check_answer(case, r, fx)
    except AssertionError as e:
        problems.append(str(e))
    after = snapshot(c)
    d = diff(fx["snapshot"], after)
    fx["snapshot"] = after  # one case's damage fails that case, not every later one
    if d:
        problems.append("the store changed: %s" % d)
    assert not problems, "\n".join(problems)
    return r


def _make(path):
    def test(srv, c):
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
        run_case(case, c)
    return test


def _collect():
    for area in sorted(os.listdir(CASES)):
        d = os.path.join(CASES, area)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith(".json"):
                globals()["test_%s/%s" % (area, name[:-5])] = _make(os.path.join(d, name))


_collect()


def _route_pattern(template):
    """A regex for a route template: {name} is one segment, {name...} the rest."""
    out = ""
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            out += "(.*)" if part.endswith("...}") else "([^/]+)"
        else:
            out += re.escape(part)
    return re.compile("^" + out + "$")


def _routes(ferry):
    """The server's own list of its routes: (methods, path, operation, kind)."""
    p = subprocess.run([ferry, "server", "--routes"], capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    routes = []
    for line in p.stdout.decode("utf-8").splitlines():
        methods, path, name, kind, _access, _field = line.split(" ")
        routes.append((set(methods.split(",")), path, name, kind))
    return routes


# Rows a data file cannot exercise as an error: a fixed answer that takes no input.
# gateway-proxy: without a gateway (as the cases' server runs) MLflow answers every request with
# an empty gateway; its errors are tested against a gateway in test_ui_routes.py
NO_BAD_INPUT = {"health", "version", "ui/", "ui/index.html", "ui/static/{file...}",
                "gateway-proxy", "deployments/list", "monitors/list", "metrics",
                "triggers/list"}


def test_every_route_has_error_cases(srv, c):
    """Each operation the server answers (as it lists them itself, `ferry server --routes`) has
    at least one error case file that reaches it: same method, a path its template matches."""
    routes = _routes(srv.ferry)
    names = {r[2] for r in routes}
    assert len(names) > 60 and "ferry/models/resolve" in names, sorted(names)
    covered = set()
    for area in os.listdir(CASES):
        for name in os.listdir(os.path.join(CASES, area)):
            with open(os.path.join(CASES, area, name), encoding="utf-8") as f:
                case = json.load(f)
            if "error_code" not in case:
                continue
            req = case["request"]
            path = req["path"]
            if not path.startswith("/"):
                path = (AJAX if req.get("prefix") == "ajax" else API) + path
            path = _expand(path, {k: "x" for k in ("RUN", "DELETED_RUN", "MISSING_RUN", "EXP",
                                                   "EXP_NAME", "DELETED_EXP", "MODEL",
                                                   "MISSING_MODEL", "TRACE", "TRACE3",
                                                   "MISSING_TRACE")})
            path = path.split("?")[0]
            # as the server routes: literal paths before templates
            for methods, template, op, _ in sorted(routes, key=lambda r: "{" in r[1]):
                if req["method"] in methods and _route_pattern(template).match(path):
                    covered.add(op)
                    break
    missing = sorted(names - covered - NO_BAD_INPUT)
    assert not missing, "operations without error cases: %s" % missing


def test_every_mlflow_rest_path_is_served(srv, c):
    """Every REST endpoint MLflow 2.17.2 has (its protos and its server's own routes) and the
    MLflow 3 ones ferry serves, as listed in mlflow_rest_paths.txt, is a route of
    `ferry server --routes` with that method (under /ajax-api/ too for the API's routes, as
    MLflow's UI calls them)."""
    routes = _routes(srv.ferry)
    listed, missing = 0, []
    with open(os.path.join(HERE, "mlflow_rest_paths.txt"), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            method, path = line.split()[:2]
            listed += 1
            paths = [path]
            if path.startswith("/api/") and "mlflow-artifacts" not in path:
                paths.append("/ajax-api/" + path[len("/api/"):])
            for p in paths:
                sample = re.sub(r"\{[^}]*\}", "x", p)
                if not any(method in methods and _route_pattern(t).match(sample)
                           for methods, t, _, _ in routes):
                    missing.append("%s %s" % (method, p))
    assert listed > 90, listed
    assert not missing, "MLflow endpoints ferry does not serve: %s" % missing
