# SPDX-License-Identifier: MIT
"""runs/search: MLflow's filter grammar, ferry's OR/NOT/parentheses, order_by,
pagination, view types, several experiments, and malformed filters."""
from support.server import expect_error

ROWS = [  # name, lr, model, team, acc, loss
    ("a", "0.01", "xgb", "vision", 0.9, 0.1),
    ("b", "0.1", "xgb", "Vision", 0.4, 0.5),
    ("c", "0.01", "rf", "nlp", "NaN", 0.3),
    ("d", "0.5", "lin reg", None, 0.7, 0.2),
    ("e", None, None, "nlp", None, 0.9),
]
state = {}


def _seed(c):
    if state:
        return state
    exp = c.create_experiment("search-runs")
    other = c.create_experiment("search-other")
    for i, (name, lr, model, team, acc, loss) in enumerate(ROWS):
        rid = c.create_run(exp, run_name=name, start_time=100 * (i + 1))["info"]["run_id"]
        metrics = [{"key": "train loss", "value": loss, "timestamp": 1, "step": 0}]
        if acc is not None:
            metrics.append({"key": "acc", "value": acc, "timestamp": 1, "step": 0})
        params = [{"key": k, "value": v} for k, v in (("lr", lr), ("model.kind", model)) if v]
        tags = [{"key": "team", "value": team}] if team else []
        c.log_batch(rid, metrics, params, tags)
        state[name] = rid
    c.ok(c.post("runs/update", {"run_id": state["e"], "status": "FINISHED", "end_time": 999}))
    rid = c.create_run(other, run_name="f")["info"]["run_id"]
    c.log_batch(rid, [{"key": "acc", "value": 0.95, "timestamp": 1, "step": 0}],
                [{"key": "lr", "value": "0.01"}])
    state.update(exp=exp, other=other)
    return state


def _names(c, filt=None, order=None, exps=None, get=False, **kw):
    s = state
    q = dict(kw, experiment_ids=exps or [s["exp"]])
    if filt is not None:
        q["filter"] = filt
    if order is not None:
        q["order_by"] = order
    r = c.get("runs/search", q) if get else c.post("runs/search", q)
    return ",".join(x["info"]["run_name"] for x in c.ok(r).get("runs", []))


def test_metric_param_tag_attribute_filters(srv, c):
    _seed(c)
    o = ["attributes.run_name"]
    cases = [
        ("metrics.acc > 0.5", "a,d"), ("metrics.acc <= 0.7", "b,d"), ("metrics.acc != 0.4", "a,d"),
        ("metric.`train loss` < 0.25", "a,d"), ("metrics.\"train loss\" >= 0.5", "b,e"),
        ("params.lr = '0.01'", "a,c"), ("params.lr != '0.01'", "b,d"),
        ("params.\"model.kind\" = 'lin reg'", "d"), ("params.model.kind LIKE 'x%'", "a,b"),
        ("tags.team LIKE 'v%'", "a"), ("tags.team ILIKE 'v%'", "a,b"),
        ("tags.team IN ('nlp', 'none')", "c,e"), ("params.lr NOT IN ('0.01')", "b,d"),
        ("attributes.status = 'FINISHED'", "e"), ("run.start_time >= 400", "d,e"),
        ("attributes.run_name IN ('a', 'c')", "a,c"), ("attributes.end_time > 0", "e"),
        ("attributes.run_id = '%s'" % state["b"], "b"),
    ]
    for filt, want in cases:
        assert _names(c, filt, o) == want, (filt, _names(c, filt, o), want)


def test_or_not_parentheses_extension(srv, c):
    _seed(c)
    o = ["attributes.run_name"]
    cases = [
        ("metrics.acc > 0.8 OR params.lr = '0.5'", "a,d"),
        ("NOT metrics.acc > 0.5", "b,c,e"),
        ("params.lr = '0.01' AND (tags.team = 'nlp' OR metrics.acc > 0.8)", "a,c"),
        ("tags.team = 'nlp' OR params.lr = '0.01' AND metrics.acc > 0.8", "a,c,e"),
        ("not (params.lr = '0.01' or params.lr = '0.1') and attributes.run_name != 'e'", "d"),
    ]
    for filt, want in cases:
        assert _names(c, filt, o) == want, (filt, _names(c, filt, o), want)
    assert _names(c, "metrics.acc > 0.8 OR params.lr = '0.5'", o, get=True) == "a,d"


def test_order_by(srv, c):
    _seed(c)
    assert _names(c) == "e,d,c,b,a"
    assert _names(c, order=["metrics.acc DESC"]) == "a,d,b,c,e"
    assert _names(c, order=["metrics.acc ASC"]) == "b,d,a,c,e"
    assert _names(c, order=["params.lr DESC", "attributes.run_name DESC"]) == "d,b,c,a,e"
    assert _names(c, order=["tags.team"]) == "b,e,c,a,d"
    assert _names(c, order=["start_time"]) == "a,b,c,d,e"
    assert _names(c, order=["metrics.acc DESC"], exps=[state["exp"], state["other"]]) == \
        "f,a,d,b,c,e"


def test_pagination_covers_every_run_once(srv, c):
    _seed(c)
    seen, token = [], None
    for _ in range(10):
        q = {"experiment_ids": [state["exp"]], "max_results": 2, "order_by": ["metrics.acc DESC"]}
        if token:
            q["page_token"] = token
        r = c.ok(c.post("runs/search", q))
        seen += [x["info"]["run_name"] for x in r.get("runs", [])]
        token = r.get("next_page_token")
        if not token:
            break
    assert ",".join(seen) == "a,d,b,c,e"


def test_view_types(srv, c):
    _seed(c)
    c.ok(c.post("runs/delete", {"run_id": state["c"]}))
    try:
        assert _names(c, order=["run_name"]) == "a,b,d,e"
        assert _names(c, run_view_type="DELETED_ONLY") == "c"
        assert _names(c, order=["run_name"], run_view_type="ALL") == "a,b,c,d,e"
        assert _names(c, run_view_type=2) == "c"
    finally:
        c.ok(c.post("runs/restore", {"run_id": state["c"]}))


def test_malformed_filters(srv, c):
    _seed(c)
    exp = [state["exp"]]
    cases = [
        ("metrics.acc >>> 0.5", "position 14"), ("foo.acc > 0.5", "foo"),
        ("params.lr = '0.01", "unterminated"), ("metrics.acc LIKE '1'", "LIKE"),
        ("params.lr > '1'", ">"), ("metrics.acc > 'high'", "number"),
        ("attributes.colour = 'red'", "colour"), ("metrics.acc > 0.5 AND", "end of input"),
        ("(metrics.acc > 0.5", "')'"), ("params.lr IN ()", "value"), ("metrics.acc", "comparator"),
        ("tags.t = 'x'; DROP TABLE runs", ";"),
    ]
    for filt, needle in cases:
        expect_error(c.post("runs/search", {"experiment_ids": exp, "filter": filt}), 400,
                     "INVALID_PARAMETER_VALUE", needle)
    for bad in ({"order_by": ["metrics.acc SIDEWAYS"]}, {"max_results": 0},
                {"max_results": 50001}, {"page_token": "bm90IGEgdG9rZW4="},
                {"run_view_type": "SOMETIMES"}, {"experiment_ids": ["1 OR 1=1"]},
                {"experiment_ids": "notalist", "filter": 5}):
        q = {"experiment_ids": exp}
        q.update(bad)
        expect_error(c.post("runs/search", q), 400, "INVALID_PARAMETER_VALUE")
    assert _names(c, order=["run_name"]) == "a,b,c,d,e"  # nothing changed


def test_empty_result_is_empty_object(srv, c):
    _seed(c)
    r = c.ok(c.post("runs/search", {"experiment_ids": [state["exp"]],
                                    "filter": "metrics.acc > 100"}))
    assert r == {}
