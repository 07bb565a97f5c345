# SPDX-License-Identifier: MIT
"""runs/log-inputs as MLflow's SQL store does it: a dataset is stored once
per (experiment, name, digest) and shared by the runs that log it; a run
records a dataset input once, with the input tags of the first time; the
dataset attributes are searchable; bad datasets store nothing."""
from support.server import expect_error

INV = "INVALID_PARAMETER_VALUE"


def _ds(name, digest, profile="{}", context=None, source='{"uri": "/data/x.csv"}'):
    d = {"dataset": {"name": name, "digest": digest, "source_type": "local", "source": source,
                     "schema": '{"mlflow_colspec": []}', "profile": profile}}
    if context:
        d["tags"] = [{"key": "mlflow.data.context", "value": context}]
    return d


def _inputs(c, rid):
    return c.get_run(rid).get("inputs", {}).get("dataset_inputs", [])


def test_dataset_is_stored_once_per_experiment_name_and_digest(srv, c):
    eid = c.create_experiment("datasets")
    other = c.create_experiment("datasets-other")
    r1 = c.create_run(eid)["info"]["run_id"]
    r2 = c.create_run(eid)["info"]["run_id"]
    r3 = c.create_run(other)["info"]["run_id"]
    c.ok(c.post("runs/log-inputs", {"run_id": r1, "datasets": [
        _ds("iris", "d1", '{"rows": 1}', "training")]}))
    # same name and digest in the same experiment: the stored dataset is reused as is
    c.ok(c.post("runs/log-inputs", {"run_id": r2, "datasets": [
        _ds("iris", "d1", '{"rows": 2}', "eval")]}))
    # another experiment has its own copy
    c.ok(c.post("runs/log-inputs", {"run_id": r3, "datasets": [
        _ds("iris", "d1", '{"rows": 3}', "eval")]}))
    i1, i2, i3 = _inputs(c, r1), _inputs(c, r2), _inputs(c, r3)
    assert [x["dataset"]["profile"] for x in i1] == ['{"rows": 1}'], i1
    assert [x["dataset"]["profile"] for x in i2] == ['{"rows": 1}'], i2
    assert [x["dataset"]["profile"] for x in i3] == ['{"rows": 3}'], i3
    # input tags belong to the run's input, not to the shared dataset
    assert i1[0]["tags"] == [{"key": "mlflow.data.context", "value": "training"}]
    assert i2[0]["tags"] == [{"key": "mlflow.data.context", "value": "eval"}]
    d = i1[0]["dataset"]
    assert (d["name"], d["digest"], d["source_type"], d["source"], d["schema"]) == (
        "iris", "d1", "local", '{"uri": "/data/x.csv"}', '{"mlflow_colspec": []}'), d


def test_a_run_records_each_dataset_once(srv, c):
    rid = c.create_run()["info"]["run_id"]
    c.ok(c.post("runs/log-inputs", {"run_id": rid, "datasets": [
        _ds("wine", "w1", context="training"), _ds("wine", "w2", context="training")]}))
    c.ok(c.post("runs/log-inputs", {"run_id": rid, "datasets": [
        _ds("wine", "w1", context="eval")]}))
    c.ok(c.post("runs/log-inputs", {"run_id": rid, "datasets": []}))
    ins = sorted(_inputs(c, rid), key=lambda x: x["dataset"]["digest"])
    assert [x["dataset"]["digest"] for x in ins] == ["w1", "w2"], ins
    assert ins[0]["tags"] == [{"key": "mlflow.data.context", "value": "training"}], ins[0]


def test_search_by_dataset_attributes(srv, c):
    eid = c.create_experiment("ds-search")
    runs = {}
    for name, ds in (("a", _ds("mnist", "m1", context="training")),
                     ("b", _ds("mnist", "m2", context="eval")),
                     ("c", _ds("cifar", "c1", context="training")), ("d", None)):
        rid = c.create_run(eid, run_name=name)["info"]["run_id"]
        if ds:
            c.ok(c.post("runs/log-inputs", {"run_id": rid, "datasets": [ds]}))
        runs[name] = rid

    def names(filt):
        r = c.ok(c.post("runs/search", {"experiment_ids": [eid], "filter": filt,
                                        "order_by": ["attributes.run_name"]}))
        return ",".join(x["info"]["run_name"] for x in r.get("runs", []))

    problems = []
    for filt, want in (("datasets.name = 'mnist'", "a,b"), ("datasets.digest = 'c1'", "c"),
                       ("datasets.context = 'training'", "a,c"),
                       ("dataset.name IN ('cifar', 'none')", "c"),
                       ("datasets.digest NOT IN ('m1')", "b,c"),
                       ("datasets.name LIKE 'mn%'", "a,b"), ("datasets.name ILIKE 'MN%'", "a,b"),
                       ("datasets.name != 'mnist'", "c"),
                       ("datasets.name = 'mnist' AND datasets.context = 'eval'", "b"),
                       ("datasets.name = 'mnist' AND metrics.x > 0", "")):
        got = names(filt)
        if got != want:
            problems.append("%s: got %r, want %r" % (filt, got, want))
    assert not problems, "\n".join(problems)


def test_bad_datasets_store_nothing(srv, c):
    rid = c.create_run()["info"]["run_id"]
    c.ok(c.post("runs/log-inputs", {"run_id": rid, "datasets": [_ds("keep", "k1")]}))
    before = c.get_run(rid)
    good = _ds("new", "n1")
    cases = [
        [good, {"dataset": {"name": "x", "source_type": "local", "source": "s"}}],  # no digest
        [good, {"dataset": {"digest": "x", "source_type": "local", "source": "s"}}],  # no name
        [good, {"dataset": {"name": "x", "digest": "x", "source": "s"}}],  # no source_type
        [good, {"tags": [{"key": "k", "value": "v"}]}],  # no dataset
        [good, _ds("x", "d" * 37)],
        [good, _ds("n" * 501, "x")],
        [good, _ds("x", "x", source="s" * 65536)],
        [good, dict(_ds("x", "x"), tags=[{"key": "k" * 256, "value": "v"}])],
        [good, dict(_ds("x", "x"), tags=[{"key": "k", "value": "v" * 501}])],
        [good, dict(_ds("x", "x"), tags=[{"value": "v"}])],
        [good, "not an object"],
        [good, {"dataset": "not an object"}],
    ]
    problems = []
    for i, datasets in enumerate(cases):
        r = c.post("runs/log-inputs", {"run_id": rid, "datasets": datasets})
        try:
            expect_error(r, 400, INV)
        except AssertionError as e:
            problems.append("case %d: %s" % (i, e))
        if c.get_run(rid) != before:
            problems.append("case %d stored something" % i)
            before = c.get_run(rid)
    c.ok(c.post("runs/delete", {"run_id": rid}))
    before = c.get_run(rid)
    r = c.post("runs/log-inputs", {"run_id": rid, "datasets": [good]})
    try:
        expect_error(r, 400, INV)
    except AssertionError as e:
        problems.append("log-inputs to a deleted run: %s" % e)
    if c.get_run(rid) != before:
        problems.append("log-inputs to a deleted run stored something")
    assert not problems, "\n".join(problems)
