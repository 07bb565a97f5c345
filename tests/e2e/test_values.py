# SPDX-License-Identifier: MIT
"""Values at the edges: int64 and double round trips, NaN/Infinity as JSON
strings everywhere, MLflow's latest-metric rule, name/value length limits
counted in characters, and key validation. Bad input must store nothing."""
from support.server import API, expect_error

INV = "INVALID_PARAMETER_VALUE"


def _m(key, value, ts=1, step=0):
    return {"key": key, "value": value, "timestamp": ts, "step": step}


def test_int64_fields_round_trip_exactly(srv, c):
    big = 2 ** 62 + 12345          # beyond a double's 53-bit mantissa
    odd = 2 ** 53 + 1
    rid = c.create_run(start_time=odd)["info"]["run_id"]
    c.ok(c.post("runs/log-metric", {"run_id": rid, "key": "a", "value": 1, "timestamp": odd,
                                    "step": big}))
    c.log_batch(rid, metrics=[_m("b", 2, 2 ** 63 - 1, -(2 ** 63)), _m("b", 3, 0, -5)])
    c.ok(c.post("runs/update", {"run_id": rid, "end_time": 2 ** 63 - 1}))
    run = c.get_run(rid)
    assert run["info"]["start_time"] == odd and run["info"]["end_time"] == 2 ** 63 - 1, run
    m = {x["key"]: x for x in run["data"]["metrics"]}
    assert m["a"]["timestamp"] == odd and m["a"]["step"] == big, m
    assert isinstance(m["a"]["step"], int) and isinstance(m["a"]["timestamp"], int)
    h = c.history(rid, "b")
    assert sorted((p["step"], p["timestamp"]) for p in h) == [(-(2 ** 63), 2 ** 63 - 1), (-5, 0)]
    # int64 given as JSON strings (protobuf's JSON mapping) are accepted too
    c.ok(c.post("runs/log-metric", {"run_id": rid, "key": "s", "value": "2.5",
                                    "timestamp": str(odd), "step": str(big)}))
    assert c.history(rid, "s") == [{"key": "s", "value": 2.5, "timestamp": odd, "step": big}]


def test_doubles_round_trip_exactly(srv, c):
    rid = c.create_run()["info"]["run_id"]
    values = [0.1, 1 / 3, -2.5e-7, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
              -1.7976931348623157e308, 123456789.12345679, 1e22, 0.0, 42]
    c.log_batch(rid, metrics=[_m("v", v, 1, i) for i, v in enumerate(values)])
    got = [p["value"] for p in c.history(rid, "v")]
    assert got == values, list(zip(got, values))
    r = c.ok(c.get("metrics/get-history-bulk-interval", {"run_ids": rid, "metric_key": "v",
                                                         "max_results": 100}))
    assert [p["value"] for p in r["metrics"]] == values


def test_nan_and_infinities_everywhere(srv, c):
    rid = c.create_run()["info"]["run_id"]
    specials = ["NaN", "Infinity", "-Infinity"]
    c.log_batch(rid, metrics=[_m("x", v, 10 + i, i) for i, v in enumerate(specials)])
    for i, v in enumerate(specials):
        c.ok(c.post("runs/log-metric", {"run_id": rid, "key": "y%d" % i, "value": v,
                                        "timestamp": 1, "step": 0}))
    assert [p["value"] for p in c.history(rid, "x")] == specials
    r = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": "x", "max_results": 2}))
    assert [p["value"] for p in r["metrics"]] == specials[:2]
    r = c.ok(c.get("metrics/get-history-bulk-interval", {"run_ids": [rid], "metric_key": "x",
                                                         "max_results": 10}))
    assert [p["value"] for p in r["metrics"]] == specials
    m = {x["key"]: x["value"] for x in c.get_run(rid)["data"]["metrics"]}
    assert m == {"x": "-Infinity", "y0": "NaN", "y1": "Infinity", "y2": "-Infinity"}, m
    r = c.ok(c.post("runs/search", {"experiment_ids": ["0"],
                                    "filter": "attributes.run_id = '%s'" % rid}))
    m = {x["key"]: x["value"] for x in r["runs"][0]["data"]["metrics"]}
    assert m["y0"] == "NaN" and m["y1"] == "Infinity"
    # the raw bytes: strings, never bare NaN/Infinity tokens that JSON parsers reject
    raw = c.raw("GET", API + "metrics/get-history?run_id=%s&metric_key=x" % rid).body
    assert b'"NaN"' in raw and b'"Infinity"' in raw and b'"-Infinity"' in raw, raw
    assert b":NaN" not in raw.replace(b" ", b"") and b":Infinity" not in raw.replace(b" ", b"")


def test_latest_metric_follows_mlflows_rule(srv, c):
    """Latest = greatest step, then greatest timestamp, then greatest value."""
    rid = c.create_run()["info"]["run_id"]

    def latest():
        m = {x["key"]: x for x in c.get_run(rid)["data"]["metrics"]}["k"]
        return (m["step"], m["timestamp"], m["value"])

    steps = [(_m("k", 1.0, 10, 3), (3, 10, 1.0)), (_m("k", 0.0, 20, 3), (3, 20, 0.0)),
             (_m("k", 5.0, 20, 3), (3, 20, 5.0)), (_m("k", 4.0, 20, 3), (3, 20, 5.0)),
             (_m("k", 9.0, 99, 2), (3, 20, 5.0)), (_m("k", -1.0, 1, 4), (4, 1, -1.0))]
    for metric, want in steps:
        c.log_batch(rid, metrics=[metric])
        assert latest() == want, (metric, latest(), want)
    assert len(c.history(rid, "k")) == 6
    # the same point again leaves the latest value unchanged
    c.log_batch(rid, metrics=[_m("k", -1.0, 1, 4)])
    assert latest() == (4, 1, -1.0)


def test_limits_count_characters_not_bytes(srv, c):
    """MLflow's limits are len() of a Python str: characters. Each case on its own."""
    rid = c.create_run()["info"]["run_id"]
    eid = c.create_experiment("limits")
    key250 = "é" * 250
    accepted = [
        ("param value of 6000 chars", "runs/log-parameter",
         {"run_id": rid, "key": "p6000", "value": "✓" * 6000}),
        ("param key of 250 chars", "runs/log-parameter",
         {"run_id": rid, "key": key250, "value": "v"}),
        ("tag value of 5000 chars", "runs/set-tag",
         {"run_id": rid, "key": "t5000", "value": "語" * 5000}),
        ("metric key of 250 chars", "runs/log-metric",
         {"run_id": rid, "key": key250, "value": 1, "timestamp": 1}),
        ("experiment name of 500 chars", "experiments/create", {"name": "名" * 500}),
        ("experiment tag of 250/5000 chars", "experiments/set-experiment-tag",
         {"experiment_id": eid, "key": "ü" * 250, "value": "ö" * 5000}),
        ("run name of 250 chars", "runs/create",
         {"experiment_id": eid, "run_name": "ñ" * 250}),
    ]
    problems = []
    for what, ep, doc in accepted:
        r = c.post(ep, doc)
        if r.status != 200:
            problems.append("%s: POST %s answered %r" % (what, ep, r))
    run = c.get_run(rid)
    params = {p["key"]: p["value"] for p in run["data"].get("params", [])}
    tags = {t["key"]: t["value"] for t in run["data"].get("tags", [])}
    for what, ok in (("param value", params.get("p6000") == "✓" * 6000),
                     ("param key", params.get(key250) == "v"),
                     ("tag value", tags.get("t5000") == "語" * 5000)):
        if not ok:
            problems.append("%s of characters beyond ASCII not stored intact" % what)
    assert not problems, "\n".join(problems)


def test_limits_one_past_are_rejected(srv, c):
    rid = c.create_run()["info"]["run_id"]
    eid = c.create_experiment("past-limits")
    before = c.get_run(rid)
    exps = c.ok(c.post("experiments/search", {"view_type": "ALL", "max_results": 1000}))
    cases = [
        c.post("runs/log-parameter", {"run_id": rid, "key": "e" * 251, "value": "v"}),
        c.post("runs/set-tag", {"run_id": rid, "key": "e" * 251, "value": "v"}),
        c.post("runs/log-metric", {"run_id": rid, "key": "e" * 251, "value": 1, "timestamp": 1}),
        c.post("runs/log-batch", {"run_id": rid, "metrics": [_m("e" * 251, 1.0)]}),
        c.post("runs/update", {"run_id": rid, "run_name": "n" * 251}),
        c.post("experiments/create", {"name": "n" * 501}),
        c.post("experiments/update", {"experiment_id": eid, "new_name": "n" * 501}),
        c.post("experiments/set-experiment-tag", {"experiment_id": eid, "key": "u" * 251,
                                                  "value": "v"}),
        c.post("experiments/set-experiment-tag", {"experiment_id": eid, "key": "k",
                                                  "value": "o" * 5001}),
        c.post("experiments/create", {"name": "tagged", "tags": [{"key": "k",
                                                                  "value": "o" * 5001}]}),
    ]
    for i, r in enumerate(cases):
        expect_error(r, 400, INV)
        assert c.get_run(rid) == before, "case %d changed the run" % i
        assert c.ok(c.post("experiments/search", {"view_type": "ALL",
                                                  "max_results": 1000})) == exps, \
            "case %d changed the experiments" % i


def test_over_long_values_are_refused_or_truncated(srv, c):
    """MLflow 2.17 truncates param values to 6000 and run-tag values to 8000 characters
    (MLFLOW_TRUNCATE_LONG_VALUES); refusing with 400 and storing nothing is the strict
    alternative. Anything else (a longer value stored, a cut mid-character) is wrong."""
    rid = c.create_run()["info"]["run_id"]
    problems = []
    for ep, field, key, value, limit in (
            ("runs/log-parameter", "params", "p", "v" * 6001, 6000),
            ("runs/log-parameter", "params", "pu", "✓" * 6001, 6000),
            ("runs/set-tag", "tags", "t", "x" * 8001, 8000),
            ("runs/set-tag", "tags", "tu", "語" * 8001, 8000),
            ("runs/log-batch", "params", "pb", "b" * 7000, 6000)):
        doc = {"run_id": rid, "key": key, "value": value}
        if ep == "runs/log-batch":
            doc = {"run_id": rid, "params": [{"key": key, "value": value}]}
        r = c.post(ep, doc)
        stored = {x["key"]: x["value"] for x in c.get_run(rid)["data"].get(field, [])}.get(key)
        if r.status == 200:
            if stored != value[:limit]:
                problems.append("%s %s: 200 but stored %r chars (want the first %d)" % (
                    ep, key, len(stored or ""), limit))
        else:
            try:
                expect_error(r, 400, INV)
            except AssertionError as e:
                problems.append("%s %s: %s" % (ep, key, e))
            if stored is not None:
                problems.append("%s %s: refused but stored" % (ep, key))
    assert not problems, "\n".join(problems)


def test_key_names_are_validated(srv, c):
    """MLflow: alphanumerics, '_', '-', '.', ' ', '/', and no path tricks."""
    rid = c.create_run()["info"]["run_id"]
    good = ["a b/c-d.e_f", "loss/val", "x.y.z", "Ünïcode_ключ", "0", "ns:name"]
    c.log_batch(rid, metrics=[_m(k, 1.0) for k in good],
                params=[{"key": k, "value": "v"} for k in good],
                tags=[{"key": k, "value": "v"} for k in good])
    before = c.get_run(rid)
    bad = ["a@b", "semi;colon", "quote'", "back\\slash", "a//b", "./a", "a/.", "../up", "/abs",
           "tail/", "tab\tkey", "new\nline", ".", "..", ""]
    for k in bad:
        for ep, doc in (("runs/log-metric", {"key": k, "value": 1, "timestamp": 1}),
                        ("runs/log-parameter", {"key": k, "value": "v"}),
                        ("runs/set-tag", {"key": k, "value": "v"}),
                        ("runs/log-batch", {"params": [{"key": k, "value": "v"}]})):
            doc["run_id"] = rid
            expect_error(c.post(ep, doc), 400, INV)
        assert c.get_run(rid) == before, "key %r changed the run" % k


def test_wrong_types_are_rejected_and_store_nothing(srv, c):
    rid = c.create_run()["info"]["run_id"]
    c.log_batch(rid, metrics=[_m("m", 1.0)], params=[{"key": "p", "value": "1"}])
    before = c.get_run(rid)

    def lm(**kw):
        doc = {"run_id": rid, "key": "m", "value": 1, "timestamp": 1, "step": 0}
        doc.update(kw)
        return ("runs/log-metric", doc)

    cases = [
        lm(value=True), lm(value=None), lm(value=[1]), lm(value={"v": 1}), lm(value=""),
        lm(value="1.0abc"), lm(value="nan(0x1)"), lm(value="0x10"), lm(value="1,5"),
        lm(timestamp="abc"), lm(timestamp=1.5), lm(timestamp=-1), lm(timestamp=True),
        lm(timestamp="12abc"), lm(step="x"), lm(step=2 ** 63), lm(step=[0]), lm(step=0.5),
        lm(key=5), lm(key=None), lm(run_id=123), lm(run_id=["a"]),
        ("runs/log-parameter", {"run_id": rid, "key": "p2", "value": ["x"]}),
        ("runs/log-parameter", {"run_id": rid, "key": {"k": 1}, "value": "x"}),
        ("runs/set-tag", {"run_id": rid, "key": "t", "value": 3.5}),
        ("runs/log-batch", {"run_id": rid, "metrics": [1, 2]}),
        ("runs/log-batch", {"run_id": rid, "params": {"k": "v"}}),
        ("runs/log-batch", {"run_id": rid, "tags": ["k=v"]}),
        ("runs/log-batch", {"run_id": rid, "metrics": [_m("ok", 1.0), _m("bad", "x")]}),
        ("runs/log-batch", {"run_id": rid, "metrics": [_m("ok", 1.0)],
                            "tags": [{"value": "t"}]}),
        ("runs/update", {"run_id": rid, "status": 7}),
        ("runs/update", {"run_id": rid, "run_name": 7}),
        ("runs/create", {"experiment_id": {"id": "0"}}),
        ("runs/create", {"experiment_id": ["0"]}),
        ("runs/create", {"experiment_id": "0", "tags": {"a": "b"}}),
        ("runs/create", {"experiment_id": "0", "tags": [{"key": "a", "value": 1}]}),
        ("runs/create", {"experiment_id": "0", "user_id": {}}),
        ("runs/search", {"experiment_ids": [0.5]}),
        ("runs/search", {"experiment_ids": ["0"], "max_results": "ten"}),
        ("runs/search", {"experiment_ids": ["0"], "order_by": "metrics.m SIDEWAYS"}),
        ("runs/search", {"experiment_ids": ["0"], "order_by": [5]}),
        ("experiments/search", {"max_results": [1]}),
        ("experiments/get", {"experiment_id": ["0"]}),
        ("metrics/get-history", {"run_id": rid, "metric_key": ["m"]}),
        ("metrics/get-history", {"run_id": rid, "metric_key": "m", "max_results": -1}),
    ]
    def run_ids():
        r = c.ok(c.post("runs/search", {"experiment_ids": ["0"], "max_results": 1000,
                                        "run_view_type": "ALL"}))
        return sorted(x["info"]["run_id"] for x in r.get("runs", []))

    runs_in_0 = run_ids()
    problems = []
    for ep, doc in cases:
        r = c.post(ep, doc)
        try:
            expect_error(r, 400, (INV, "BAD_REQUEST"))
        except AssertionError as e:
            problems.append("POST %s %s: %s" % (ep, str(doc)[:120], e))
        if c.get_run(rid) != before:
            problems.append("POST %s %s changed the run" % (ep, str(doc)[:120]))
            before = c.get_run(rid)
    if run_ids() != runs_in_0:
        problems.append("a run was created by a bad runs/create")
    assert not problems, "\n".join(problems)


def test_big_numbers_in_json_are_rejected_cleanly(srv, c):
    rid = c.create_run()["info"]["run_id"]
    before = c.get_run(rid)
    for body in ('{"run_id": "%s", "key": "m", "value": 1e400, "timestamp": 1}',
                 '{"run_id": "%s", "key": "m", "value": 1, "timestamp": 1' + "0" * 40 + '}',
                 '{"run_id": "%s", "key": "m", "value": 1, "timestamp": 1, "step": -'
                 + "9" * 30 + '}'):
        r = c.raw("POST", API + "runs/log-metric", body % rid)
        expect_error(r, 400, (INV, "BAD_REQUEST"))
    assert c.get_run(rid) == before


def test_error_messages_quoting_unicode_input_are_valid_utf8(srv, c):
    """A message that quotes (and shortens) what the client sent must not cut a character."""
    rid = c.create_run()["info"]["run_id"]
    cases = [
        ("experiments/create", {"name": "名" * 600}),
        ("runs/log-parameter", {"run_id": rid, "key": "é" * 300, "value": "v"}),
        ("runs/set-tag", {"run_id": rid, "key": "ü" * 251, "value": "v"}),
        ("runs/log-metric", {"run_id": rid, "key": "✓" * 260, "value": 1, "timestamp": 1}),
        ("runs/log-parameter", {"run_id": rid, "key": "名" * 100 + "@", "value": "v"}),
        ("runs/log-parameter", {"run_id": rid, "key": "k", "value": "語" * 7000}),
        ("experiments/get-by-name", {"experiment_name": "実験" * 300}),
        ("runs/search", {"experiment_ids": ["0"], "filter": "params.`名前` = '値" + "語" * 300}),
        ("runs/search", {"experiment_ids": ["0"], "filter": "名前 > 1"}),
    ]
    problems = []
    for ep, doc in cases:
        r = c.post(ep, doc)
        try:
            expect_error(r, (400, 404), (INV, "RESOURCE_DOES_NOT_EXIST"))
        except AssertionError as e:
            problems.append("POST %s: %s" % (ep, str(e)[:600]))
    assert not problems, "\n".join(problems)


def test_batch_semantics_match_mlflows_store(srv, c):
    rid = c.create_run()["info"]["run_id"]
    c.log_batch(rid, params=[{"key": "p", "value": "1"}])
    # a param logged again with the same value is fine, next to new ones
    c.log_batch(rid, params=[{"key": "p", "value": "1"}, {"key": "q", "value": "2"}])
    # the last of duplicate tags in one batch wins
    c.log_batch(rid, tags=[{"key": "t", "value": "1"}, {"key": "t", "value": "2"}])
    # an identical point (key, value, timestamp, step) is stored once, as MLflow's
    # primary key makes it; a point differing in value is a second point
    m = _m("m", 1.0, 5, 1)
    c.log_batch(rid, metrics=[m, m])
    c.log_batch(rid, metrics=[m])
    c.log_batch(rid, metrics=[_m("m", 2.0, 5, 1)])
    run = c.get_run(rid)
    assert {p["key"]: p["value"] for p in run["data"]["params"]} == {"p": "1", "q": "2"}
    assert {t["key"]: t["value"] for t in run["data"]["tags"]}["t"] == "2"
    assert sorted(p["value"] for p in c.history(rid, "m")) == [1.0, 2.0]
    # lifecycle calls are idempotent, as in MLflow
    c.ok(c.post("runs/restore", {"run_id": rid}))
    c.ok(c.post("runs/delete", {"run_id": rid}))
    c.ok(c.post("runs/delete", {"run_id": rid}))
    before = c.get_run(rid)
    for ep, doc in (("runs/delete-tag", {"key": "t"}),
                    ("runs/log-batch", {"params": [{"key": "z", "value": "1"}]}),
                    ("runs/log-model", {"model_json": '{"artifact_path": "m", "flavors": {}, '
                                                      '"utc_time_created": "x", "run_id": "r"}'}),
                    ("runs/log-inputs", {"datasets": []})):
        doc["run_id"] = rid
        expect_error(c.post(ep, doc), 400, INV, "active")
        assert c.get_run(rid) == before, ep
    # reads still work on a deleted run
    assert sorted(p["value"] for p in c.history(rid, "m")) == [1.0, 2.0]


def test_protobuf_json_mapping_inputs(srv, c):
    """MLflow parses bodies with protobuf's JSON mapping: int64 as number, integral float or
    numeric string; enums by name or number (or numeric string); null = unset; and it turns a
    numeric experiment_id into a string first."""
    rid = c.create_run()["info"]["run_id"]
    problems = []
    accepted = [
        ("runs/create", {"experiment_id": 0}),
        ("runs/search", {"experiment_ids": [0], "max_results": 1}),
        ("experiments/get", {"experiment_id": 0}),
        ("runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 12.0}),
        ("runs/log-metric", {"run_id": rid, "key": "m", "value": 2, "timestamp": "13",
                             "step": None}),
        ("runs/update", {"run_id": rid, "status": 3}),
        ("runs/update", {"run_id": rid, "status": "4"}),
        ("runs/update", {"run_id": rid, "status": "RUNNING", "end_time": "77"}),
        ("runs/search", {"experiment_ids": ["0"], "run_view_type": 3, "max_results": "5"}),
        ("experiments/search", {"view_type": "2", "max_results": 3.0}),
    ]
    for ep, doc in accepted:
        r = c.post(ep, doc)
        if r.status != 200:
            problems.append("POST %s %s: want 200, got %r" % (ep, doc, r))
    info = c.get_run(rid)["info"]
    if info["status"] != "RUNNING" or info.get("end_time") != 77:
        problems.append("runs/update by numbers/strings left %r" % info)
    if sorted(p["timestamp"] for p in c.history(rid, "m")) != [12, 13]:
        problems.append("history %r" % c.history(rid, "m"))
    assert not problems, "\n".join(problems)


def test_duplicate_param_keys_in_one_batch(srv, c):
    """MLflow refuses duplicate param keys within one log-batch, even with equal values."""
    rid = c.create_run()["info"]["run_id"]
    before = c.get_run(rid)
    for params in ([{"key": "d", "value": "1"}, {"key": "d", "value": "1"}],
                   [{"key": "d", "value": "1"}, {"key": "d", "value": "2"}]):
        expect_error(c.post("runs/log-batch", {"run_id": rid, "params": params,
                                               "metrics": [_m("x", 1.0)]}),
                     400, INV, "d")
        assert c.get_run(rid) == before
