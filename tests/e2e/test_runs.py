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
