# SPDX-License-Identifier: MIT
"""The whole store as read back through the REST API, to prove that a rejected
request changed nothing: take a snapshot, send the bad request, compare."""


def search_all(c, endpoint, doc, field):
    """Every item of a paged search (POST), following next_page_token to the end."""
    items, token = [], None
    for _ in range(10000):
        q = dict(doc)
        if token:
            q["page_token"] = token
        r = c.ok(c.post(endpoint, q))
        items += r.get(field, [])
        token = r.get("next_page_token")
        if not token:
            return items
    raise AssertionError("%s never stopped paging" % endpoint)


def _search_traces(c, experiment_ids):
    """Every trace of the experiments (2.x search: GET, arguments in the query)."""
    items, token = [], None
    for _ in range(10000):
        q = {"experiment_ids": experiment_ids, "max_results": 500}
        if token:
            q["page_token"] = token
        r = c.ok(c.get("traces", q))
        items += r.get("traces", [])
        token = r.get("next_page_token")
        if not token:
            return items
    raise AssertionError("traces never stopped paging")


def canon(v):
    """A comparable form of a JSON value; lists (tags, params, inputs) are unordered."""
    if isinstance(v, dict):
        return tuple(sorted((k, canon(x)) for k, x in v.items()))
    if isinstance(v, list):
        return tuple(sorted((canon(x) for x in v), key=repr))
    return v


def snapshot(c):
    """Every experiment (any lifecycle stage) with its tags, every run in them with info,
    params, tags, latest metrics and inputs, the full history of every metric, and every
    logged model with its params, tags and metrics, and every trace (info, request metadata,
    tags)."""
    exps = search_all(c, "experiments/search", {"view_type": "ALL", "max_results": 1000},
                      "experiments")
    state = {"experiments": {e["experiment_id"]: canon(e) for e in exps}, "runs": {},
             "traces": {}}
    ids = sorted(state["experiments"])
    runs = []
    for i in range(0, len(ids), 100):
        runs += search_all(c, "runs/search", {"experiment_ids": ids[i:i + 100],
                                              "run_view_type": "ALL", "max_results": 1000},
                           "runs")
    for i in range(0, len(ids), 100):
        for t in _search_traces(c, ids[i:i + 100]):
            state["traces"][t["request_id"]] = canon(t)
    for run in runs:
        rid = run["info"]["run_id"]
        full = c.ok(c.get("runs/get", {"run_id": rid}))["run"]
        hist = {}
        for m in full.get("data", {}).get("metrics", []):
            r = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": m["key"]}))
            hist[m["key"]] = canon(r.get("metrics", []))
        state["runs"][rid] = (canon(full), tuple(sorted(hist.items())))
    state["logged_models"] = {}
    for i in range(0, len(ids), 100):
        for m in search_all(c, "logged-models/search", {"experiment_ids": ids[i:i + 100],
                                                        "max_results": 1000}, "models"):
            state["logged_models"][m["info"]["model_id"]] = canon(m)
    return state


def _delta(a, b, path=""):
    """Where two canonical values differ: descends while one part changed."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        only_a = [x for x in a if x not in b]
        only_b = [x for x in b if x not in a]
        if len(only_a) == 1 and len(only_b) == 1:
            x, y = only_a[0], only_b[0]
            if isinstance(x, tuple) and isinstance(y, tuple) and len(x) == 2 == len(y) \
                    and x[0] == y[0] and isinstance(x[0], str):
                return _delta(x[1], y[1], path + "." + x[0])
            return _delta(x, y, path)
        return "%s: removed %.300r, added %.300r" % (path or "$", only_a, only_b)
    return "%s: %.300r -> %.300r" % (path or "$", a, b)


def diff(a, b):
    """How two snapshots differ, briefly ('' when equal)."""
    out = []
    for kind in ("experiments", "runs", "traces"):
        for k in sorted(set(a[kind]) | set(b[kind])):
            if k not in a[kind]:
                out.append("new %s %s: %.300r" % (kind[:-1], k, b[kind][k]))
            elif k not in b[kind]:
                out.append("lost %s %s" % (kind[:-1], k))
            elif a[kind][k] != b[kind][k]:
                out.append("changed %s %s at %s" % (kind[:-1], k,
                                                     _delta(a[kind][k], b[kind][k])))
    return "; ".join(out[:5])


def assert_unchanged(c, before, after_what):
    d = diff(before, snapshot(c))
    assert not d, "the store changed after %s: %s" % (after_what, d)
