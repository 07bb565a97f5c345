# SPDX-License-Identifier: MIT
"""Writes fenced by a lease over REST (X-Ferry-Lease-Name, -Holder, -Epoch): a controller that
holds a lease names its epoch on its writes, and once another holder took the lease (or it
expired) those writes are refused, with nothing written. Runs on both backends."""
import json
import time

from support.server import expect_error

FERRY = "/api/2.0/ferry/"


def _fence(name, holder, epoch):
    return {"X-Ferry-Lease-Name": name, "X-Ferry-Lease-Holder": holder,
            "X-Ferry-Lease-Epoch": str(epoch)}


def _post(c, endpoint, doc, headers):
    return c.raw("POST", "/api/2.0/mlflow/" + endpoint, json.dumps(doc), headers)


def test_a_stale_controller_cannot_move_the_alias(srv, c):
    c.ok(c.post("registered-models/create", {"name": "fenced-model"}))
    for _ in range(2):
        c.ok(c.post("model-versions/create", {"name": "fenced-model", "source": "s3://b/m"}))
    a = c.ok(c.post("leases/acquire", {"name": "rollout/fenced-model", "holder": "ctl-a",
                                       "ttl_ms": 60000}, prefix=FERRY))["lease"]
    c.ok(_post(c, "registered-models/alias", {"name": "fenced-model", "alias": "champion",
                                              "version": "1"},
               _fence("rollout/fenced-model", "ctl-a", a["epoch"])))
    # ctl-a stalls; its lease is released (or expires) and ctl-b takes over
    c.ok(c.post("leases/release", {"name": "rollout/fenced-model", "holder": "ctl-a",
                                   "epoch": a["epoch"]}, prefix=FERRY))
    b = c.ok(c.post("leases/acquire", {"name": "rollout/fenced-model", "holder": "ctl-b",
                                       "ttl_ms": 60000}, prefix=FERRY))["lease"]
    assert b["epoch"] == a["epoch"] + 1, (a, b)
    stale = _post(c, "registered-models/alias", {"name": "fenced-model", "alias": "champion",
                                                 "version": "2"},
                  _fence("rollout/fenced-model", "ctl-a", a["epoch"]))
    expect_error(stale, 400, "INVALID_STATE", "is stale: 'ctl-b' holds epoch %d" % b["epoch"])
    got = c.ok(c.get("registered-models/alias", {"name": "fenced-model", "alias": "champion"}))
    assert got["model_version"]["version"] == "1", got  # nothing of the stale write landed
    c.ok(_post(c, "registered-models/alias", {"name": "fenced-model", "alias": "champion",
                                              "version": "2"},
               _fence("rollout/fenced-model", "ctl-b", b["epoch"])))
    got = c.ok(c.get("registered-models/alias", {"name": "fenced-model", "alias": "champion"}))
    assert got["model_version"]["version"] == "2", got
    # the fence is the request's alone: the next request without it writes freely
    c.ok(c.post("registered-models/set-tag", {"name": "fenced-model", "key": "k", "value": "v"}))


def test_expired_or_never_taken_leases_fence_everything(srv, c):
    c.ok(c.post("leases/acquire", {"name": "short-lived", "holder": "h", "ttl_ms": 1},
                prefix=FERRY))
    # a request can land within the lease's millisecond: wait (bounded) until
    # the database's clock has passed its expiry
    for _ in range(200):
        got = c.ok(c.get("leases/get", {"name": "short-lived"}, prefix=FERRY))
        lease = got.get("lease", got)
        if int(lease["now_ms"]) >= int(lease["expires_ms"]):
            break
        time.sleep(0.002)
    r = _post(c, "experiments/create", {"name": "fenced-exp"}, _fence("short-lived", "h", 1))
    expect_error(r, 400, "INVALID_STATE", "expired")
    r = _post(c, "experiments/create", {"name": "fenced-exp"}, _fence("no-such-lease", "h", 1))
    expect_error(r, 400, "INVALID_STATE", "never taken")
    expect_error(c.get("experiments/get-by-name", {"experiment_name": "fenced-exp"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")


def test_incomplete_or_malformed_fences_are_refused(srv, c):
    doc = {"name": "never-created"}
    half = {"X-Ferry-Lease-Name": "l", "X-Ferry-Lease-Epoch": "1"}
    expect_error(_post(c, "experiments/create", doc, half), 400, "INVALID_PARAMETER_VALUE",
                 "X-Ferry-Lease-Holder")
    for epoch in ("x", "0", "-3", "1.5", "99999999999999999999999"):
        expect_error(_post(c, "experiments/create", doc, _fence("l", "h", epoch)), 400,
                     "INVALID_PARAMETER_VALUE", "poch")
    expect_error(_post(c, "experiments/create", doc, _fence("", "h", 1)), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.get("experiments/get-by-name", {"experiment_name": "never-created"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")
