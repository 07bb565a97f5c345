# SPDX-License-Identifier: MIT
"""runs/create, get, update, delete, restore; nested runs; bad input."""
from support.server import expect_error

MISSING = "0123456789abcdef0123456789abcdef"


def test_create_generates_name_and_tags(srv, c):
    run = c.create_run("0", tags=[{"key": "mlflow.user", "value": "ana"}])
    info = run["info"]
    assert len(info["run_id"]) == 32 and info["run_uuid"] == info["run_id"]
    assert info["status"] == "RUNNING" and info["lifecycle_stage"] == "active"
    assert info["run_name"].count("-") == 2, info["run_name"]
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["mlflow.runName"] == info["run_name"] and tags["mlflow.user"] == "ana"
    assert info["artifact_uri"].endswith("/%s/artifacts" % info["run_id"])
    assert isinstance(info["start_time"], int) and "end_time" not in info


def test_create_with_name_user_start(srv, c):
    run = c.create_run("0", run_name="named", user_id="bob", start_time=1234)
    assert run["info"]["run_name"] == "named" and run["info"]["user_id"] == "bob"
    assert run["info"]["start_time"] == 1234
    got = c.ok(c.get("runs/get", {"run_uuid": run["info"]["run_id"]}))["run"]
    assert got["info"] == run["info"]
    got = c.ok(c.post("runs/get", {"run_id": run["info"]["run_id"]},
                      prefix="/ajax-api/2.0/mlflow/"))["run"]
    assert got["info"]["run_name"] == "named"


def test_update_status_end_time_and_name(srv, c):
    rid = c.create_run()["info"]["run_id"]
    info = c.ok(c.post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 99,
                                       "run_name": "renamed"}))["run_info"]
    assert info["status"] == "FINISHED" and info["end_time"] == 99
    assert info["run_name"] == "renamed"
    tags = {t["key"]: t["value"] for t in c.get_run(rid)["data"]["tags"]}
    assert tags["mlflow.runName"] == "renamed"
    for status in ("FAILED", "KILLED", "SCHEDULED", "RUNNING"):
        info = c.ok(c.post("runs/update", {"run_uuid": rid, "status": status}))["run_info"]
        assert info["status"] == status


def test_delete_restore_and_writes_to_deleted_run(srv, c):
    rid = c.create_run()["info"]["run_id"]
    c.log_batch(rid, params=[{"key": "p", "value": "1"}])
    c.ok(c.post("runs/delete", {"run_id": rid}))
    assert c.get_run(rid)["info"]["lifecycle_stage"] == "deleted"
    before = c.get_run(rid)
    for r in (c.post("runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1}),
              c.post("runs/log-parameter", {"run_id": rid, "key": "q", "value": "1"}),
              c.post("runs/set-tag", {"run_id": rid, "key": "t", "value": "1"}),
              c.post("runs/update", {"run_id": rid, "status": "FINISHED"})):
        expect_error(r, 400, "INVALID_PARAMETER_VALUE", "active")
    assert c.get_run(rid) == before
    c.ok(c.post("runs/restore", {"run_id": rid}))
    assert c.get_run(rid)["info"]["lifecycle_stage"] == "active"


def test_nested_runs(srv, c):
    parent = c.create_run()["info"]["run_id"]
    child = c.create_run("0", tags=[{"key": "mlflow.parentRunId", "value": parent}])
    r = c.ok(c.post("runs/search", {"experiment_ids": ["0"],
                                    "filter": "tags.mlflow.parentRunId = '%s'" % parent}))
    assert [x["info"]["run_id"] for x in r["runs"]] == [child["info"]["run_id"]]


def test_bad_input(srv, c):
    rid = c.create_run(run_name="keep")["info"]["run_id"]
    before = c.get_run(rid)
    cases = [
        (c.post("runs/create", {}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/create", {"experiment_id": "424242"}), 404, "RESOURCE_DOES_NOT_EXIST"),
        (c.post("runs/create", {"experiment_id": "x'; --"}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/create", {"experiment_id": "0", "start_time": "soon"}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/create", {"experiment_id": "0", "run_name": "a",
                                "tags": [{"key": "mlflow.runName", "value": "b"}]}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/create", {"experiment_id": "0", "run_name": "n" * 300}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.get("runs/get", {"run_id": MISSING}), 404, "RESOURCE_DOES_NOT_EXIST"),
        (c.get("runs/get", {}), 400, "INVALID_PARAMETER_VALUE"),
        (c.get("runs/get", {"run_id": "../../etc"}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/update", {"run_id": rid, "status": "DONE"}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/update", {"run_id": rid, "end_time": [1]}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/update", {"run_id": MISSING, "status": "FINISHED"}), 404,
         "RESOURCE_DOES_NOT_EXIST"),
        (c.post("runs/delete", {"run_id": MISSING}), 404, "RESOURCE_DOES_NOT_EXIST"),
        (c.post("runs/restore", {"run_id": MISSING}), 404, "RESOURCE_DOES_NOT_EXIST"),
    ]
    for r, status, code in cases:
        expect_error(r, status, code)
        assert c.get_run(rid) == before, "run changed after %r" % r
    assert "Run with id" in c.get("runs/get", {"run_id": MISSING}).json["message"] or \
        "run with id" in c.get("runs/get", {"run_id": MISSING}).json["message"]


def test_start_time_defaults_to_now_and_ids_are_unique(srv, c):
    import time
    t0 = int(time.time() * 1000)
    runs = [c.create_run()["info"] for _ in range(20)]
    t1 = int(time.time() * 1000)
    for info in runs:
        assert t0 - 5000 <= info["start_time"] <= t1 + 5000, (t0, info["start_time"], t1)
        assert info["experiment_id"] == "0" and info["user_id"] is not None
    assert len({i["run_id"] for i in runs}) == 20
    assert all(i["run_name"] for i in runs)


def test_run_name_and_tag_stay_in_step(srv, c):
    # a run_name given together with the same mlflow.runName tag is fine
    run = c.create_run(run_name="same", tags=[{"key": "mlflow.runName", "value": "same"}])
    assert run["info"]["run_name"] == "same"
    # the tag alone names the run
    run = c.create_run(tags=[{"key": "mlflow.runName", "value": "from-tag"}])
    assert run["info"]["run_name"] == "from-tag"
    rid = run["info"]["run_id"]
    c.log_batch(rid, tags=[{"key": "mlflow.runName", "value": "batch-name"}])
    assert c.get_run(rid)["info"]["run_name"] == "batch-name"
    c.ok(c.post("runs/update", {"run_id": rid, "run_name": "upd"}))
    run = c.get_run(rid)
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert run["info"]["run_name"] == "upd" == tags["mlflow.runName"]
    r = c.ok(c.post("runs/search", {"experiment_ids": ["0"],
                                    "filter": "attributes.run_name = 'upd'"}))
    assert [x["info"]["run_id"] for x in r["runs"]] == [rid]


def test_more_bad_run_input(srv, c):
    rid = c.create_run(run_name="anchor")["info"]["run_id"]
    c.log_batch(rid, params=[{"key": "p", "value": "1"}])
    before = c.get_run(rid)
    cases = [
        (c.post("runs/get", {"run_id": rid + "\x00tail"}), (400, 404),
         ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "BAD_REQUEST")),
        (c.post("runs/set-tag", {"run_id": rid + "\x00x", "key": "t", "value": "v"}), (400, 404),
         ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "BAD_REQUEST")),
        (c.post("runs/log-parameter", {"run_id": rid, "key": "p\x00q", "value": "2"}), 400,
         ("INVALID_PARAMETER_VALUE", "BAD_REQUEST")),
        (c.get("runs/get", {"run_id": rid.upper()}), (400, 404),
         ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")),
        (c.get("runs/get", {"run_id": rid + " "}), (400, 404),
         ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")),
        (c.get("runs/get", {"run_id": "%"}), 400, "INVALID_PARAMETER_VALUE"),
        (c.get("runs/get", {"run_id": "a" * 300}), (400, 404),
         ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")),
        (c.post("runs/create", {"experiment_id": "0", "tags": [{"key": "bad key!",
                                                               "value": "v"}]}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/update", {"run_id": rid, "status": "finished"}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/update", {"run_id": rid, "end_time": "late"}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/update", {"status": "FINISHED"}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/delete", {}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/restore", {"run_id": 5}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/delete-tag", {"run_id": rid}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-inputs", {"run_id": rid, "datasets": "x"}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-inputs", {"run_id": rid, "datasets": [{"dataset": {
            "name": "n", "digest": "d" * 37, "source_type": "local", "source": "s"}}]}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-inputs", {"run_id": rid, "datasets": [{"dataset": {
            "name": "n" * 501, "digest": "d", "source_type": "local", "source": "s"}}]}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-inputs", {"run_id": rid, "datasets": [{
            "tags": [{"key": "k", "value": "v" * 501}],
            "dataset": {"name": "n", "digest": "d", "source_type": "local", "source": "s"}}]}),
         400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-inputs", {"run_id": rid, "datasets": [{"dataset": {
            "name": "n", "digest": "d", "source_type": "local"}}]}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-inputs", {"run_id": MISSING, "datasets": []}), 404,
         "RESOURCE_DOES_NOT_EXIST"),
    ]
    problems = []
    for i, (r, status, code) in enumerate(cases):
        try:
            expect_error(r, status, code)
        except AssertionError as e:
            problems.append("case %d: %s" % (i, e))
        if c.get_run(rid) != before:
            problems.append("case %d changed the run" % i)
            before = c.get_run(rid)
    assert not problems, "\n".join(problems)
