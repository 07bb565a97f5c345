# SPDX-License-Identifier: MIT
"""Deployments over real HTTP (/api/2.0/ferry/deployments/..., events/search) and the CLI (the
versions here have no files, so applies skip the server's check of them: no_check; test_gateway
covers the check):
apply as JSON and YAML, reads, stale and bad applies refused with MLflow's errors and nothing
changed, actions along a rollout, promote moving the alias, gateways' figures merged into a
status, delete. Runs on both backends."""
import json
import os
import subprocess
import tempfile
import time

from support.server import expect_error

FERRY = "/api/2.0/ferry/"
INV, NF, STATE = "INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "INVALID_STATE"


def _models(c, name, n):
    c.ok(c.post("registered-models/create", {"name": name}))
    for _ in range(n):
        c.ok(c.post("model-versions/create", {"name": name, "source": "s3://bucket/model"}))


def _post(c, endpoint, doc):
    return c.post(endpoint, doc, prefix=FERRY)


def _get(c, endpoint, params):
    return c.get(endpoint, params, prefix=FERRY)


def _dep(c, name):
    return c.ok(_get(c, "deployments/get", {"name": name}))["deployment"]


def _history(c, name):
    return c.ok(_get(c, "deployments/history", {"name": name}))["changes"]


def _names(c):
    """The deployments of this test (the module's tests share a server)."""
    return [x["name"] for x in c.ok(_get(c, "deployments/list", {})).get("deployments", [])
            if x["name"].startswith("dep-")]


def _spec(name, model, weights=(90, 10), **kw):
    d = {"name": name, "targets": [{"model": "models:/%s/%d" % (model, i + 1), "weight": w}
                                   for i, w in enumerate(weights)]}
    d.update(kw)
    return d


def test_apply_read_refuse_and_act_along_a_rollout(srv, c):
    _models(c, "dep-m", 3)
    c.ok(c.post("registered-models/alias", {"name": "dep-m", "alias": "champion",
                                            "version": "1"}))
    yaml = ("name: dep-a\n"
            "targets:\n"
            "  - {model: \"models:/dep-m@champion\", weight: 90}\n"
            "  - {model: \"models:/dep-m/2\"}\n"
            "shadow: [{model: \"models:/dep-m/3\"}]\n"
            "rollout: {steps: [10, 50, 100], interval: 1s}\n"
            "promote_alias: champion\n")
    r = c.ok(_post(c, "deployments/apply", {"no_check": True, "spec_yaml": yaml, "revision": 0}))
    d = r["deployment"]
    assert r["changed"] is True and d["name"] == "dep-a" and d["revision"] == 1, r
    assert [(t["name"], t["version"]) for t in d["spec"]["targets"]] == [
        ("dep-m", 1), ("dep-m", 2)], d  # the alias resolved when applied
    assert d["spec"]["shadow"][0]["version"] == 3
    assert d["status"]["phase"] == "PROGRESSING" and d["status"]["weights"] == [90, 10], d
    assert d["created_ms"] > 0 and d["change"] == 1

    # the same spec as JSON: nothing changes
    r = c.ok(_post(c, "deployments/apply", {"no_check": True, "spec": d["spec"], "revision": 1}))
    assert r["changed"] is False and r["deployment"]["revision"] == 1, r
    # a plain A/B deployment next to it, applied as JSON
    r = c.ok(_post(c, "deployments/apply", {"no_check": True, "spec": _spec("dep-b", "dep-m", (50, 50))}))
    assert r["deployment"]["status"]["phase"] == "STABLE"
    assert _names(c) == ["dep-a", "dep-b"]

    # refused, with nothing changed
    before = _dep(c, "dep-a"), len(_history(c, "dep-a"))
    plain = _spec("dep-a", "dep-m", (100,))
    expect_error(_post(c, "deployments/apply", {"no_check": True, "spec": plain, "revision": 7}), 400, STATE,
                 "revision 1, not 7")
    expect_error(_post(c, "deployments/apply", {"no_check": True, "spec": plain, "revision": 0}), 400,
                 "RESOURCE_ALREADY_EXISTS", "already at revision 1")
    expect_error(_post(c, "deployments/apply", {"no_check": True, "spec": _spec("dep-a", "dep-m", (50, 50, 0, 0))
                                                }), 404, NF, "models:/dep-m/4")
    bad = [
        (_spec("dep-a", "dep-m", (60, 30)), "sum"),
        (_spec("dep-a", "dep-m", (110, -10)), "targets[0].weight"),
        (dict(_spec("dep-a", "dep-m"), rollout={"steps": [10, 10, 100]}), "increase"),
        (dict(_spec("dep-a", "dep-m"), colour="blue"), "unknown key"),
        (dict(_spec("dep-a", "dep-m"), name="bad name!"), "name"),
    ]
    for spec, why in bad:
        expect_error(_post(c, "deployments/apply", {"no_check": True, "spec": spec}), 400, INV, why)
    expect_error(_post(c, "deployments/apply", {"no_check": True, "spec_yaml": "name: [unclosed"}), 400, INV)
    expect_error(_post(c, "deployments/apply", {"no_check": True, "spec_yaml": "- a list"}), 400, INV, "mapping")
    expect_error(_post(c, "deployments/apply", {"no_check": True}), 400, INV, "spec")
    expect_error(_post(c, "deployments/apply", {"no_check": True, "spec": plain, "spec_yaml": yaml}), 400, INV)
    expect_error(_post(c, "deployments/apply", {"no_check": True, "spec": "name: x"}), 400, INV, "spec")
    assert (_dep(c, "dep-a"), len(_history(c, "dep-a"))) == before
    expect_error(_get(c, "deployments/get", {"name": "nope"}), 404, NF)
    expect_error(_get(c, "deployments/get", {}), 400, INV, "name")

    # actions along the rollout
    d = c.ok(_post(c, "deployments/step", {"name": "dep-a", "change": 1}))["deployment"]
    assert d["status"]["weights"] == [50, 50] and d["status"]["step"] == 1, d
    expect_error(_post(c, "deployments/step", {"name": "dep-a", "change": 1}), 400, STATE)
    d = c.ok(_post(c, "deployments/pause", {"name": "dep-a", "reason": "look"}))["deployment"]
    assert d["status"]["phase"] == "PAUSED", d
    expect_error(_post(c, "deployments/pause", {"name": "dep-a"}), 400, STATE)
    d = c.ok(_post(c, "deployments/resume", {"name": "dep-a"}))["deployment"]
    assert d["status"]["phase"] == "PROGRESSING", d
    d = c.ok(_post(c, "deployments/rollback", {"name": "dep-a", "reason": "p99 too high"}))[
        "deployment"]
    assert d["status"]["phase"] == "ROLLED_BACK" and d["status"]["weights"] == [100, 0], d
    assert d["status"]["reason"] == "p99 too high" and d["revision"] == 1
    expect_error(_post(c, "deployments/promote", {"name": "nope"}), 404, NF)
    r = c.ok(_post(c, "deployments/promote", {"name": "dep-a", "reason": "looks good"}))
    d = r["deployment"]
    assert "alias_error" not in r, r
    assert d["revision"] == 2 and len(d["spec"]["targets"]) == 1, d
    assert d["spec"]["targets"][0]["version"] == 2 and d["status"]["weights"] == [100]
    got = c.ok(c.get("registered-models/alias", {"name": "dep-m", "alias": "champion"}))
    assert got["model_version"]["version"] == "2", got

    h = _history(c, "dep-a")
    assert [x["action"] for x in h] == ["apply", "step", "pause", "resume", "rollback",
                                        "promote"], h
    assert [x["change"] for x in h] == list(range(1, 7))
    assert h[4]["reason"] == "p99 too high" and h[4]["status"]["phase"] == "ROLLED_BACK"
    assert h[5]["revision"] == 2 and h[5]["spec"]["targets"][0]["version"] == 2
    assert all(x["time_ms"] > 0 and "user_id" in x for x in h)

    # the events stream
    ev = c.ok(_get(c, "events/search", {}))["events"]
    kinds = [e["kind"] for e in ev if e["subject"] == "dep-a"]
    assert kinds[0] == "deployment.apply" and kinds[-1] == "deployment.promote", kinds
    ids = [e["id"] for e in ev]
    assert ids == sorted(ids) and isinstance(ev[0]["payload"], dict), ev[0]
    some = c.ok(_get(c, "events/search", {"kinds": "deployment.rollback,deployment.promote"}))
    assert [e["kind"] for e in some["events"] if e["subject"] == "dep-a"] == [
        "deployment.rollback", "deployment.promote"], some
    some = c.ok(_get(c, "events/search", {"kinds": ["deployment.rollback", "deployment.pause"]}))
    assert [e["kind"] for e in some["events"] if e["subject"] == "dep-a"] == [
        "deployment.pause", "deployment.rollback"], some
    after = c.ok(_get(c, "events/search", {"after_id": ids[-2], "max_results": 5}))["events"]
    assert [e["id"] for e in after] == ids[-1:], after
    assert len(c.ok(_get(c, "events/search", {"max_results": 2}))["events"]) == 2
    expect_error(_get(c, "events/search", {"max_results": 0}), 400, INV, "max_results")

    # delete (POST, or the DELETE method)
    c.ok(_post(c, "deployments/delete", {"name": "dep-b"}))
    expect_error(_get(c, "deployments/get", {"name": "dep-b"}), 404, NF)
    expect_error(_post(c, "deployments/delete", {"name": "dep-b"}), 404, NF)
    c.ok(c.raw("DELETE", FERRY + "deployments/delete", json.dumps({"name": "dep-a"})))
    assert _names(c) == []


def _hist(index, count):
    """domain/latency_hist.h's text: count values in bucket index."""
    return "v1;%d;%d:%d" % (count * 1000, index, count)


def test_gateways_figures_merge_into_the_status(srv, c):
    _models(c, "fig-m", 2)
    d = c.ok(_post(c, "deployments/apply", {"no_check": True, "spec": _spec("fig", "fig-m")}))["deployment"]
    now = int(time.time()) * 1000
    # gateway a saw 98 fast answers of fig-m/1 (bucket 40: ~1.5 ms), gateway b 2 slow ones
    # (bucket 100: ~270 ms); the p99 of all 100 is the slow one's, which no average of the two
    # gateways' p99s gives
    rows = [
        dict(deployment="fig", revision=d["revision"], gateway="gw-a", target="fig-m/1",
             second_ms=now, requests=98, errors=1, client_errors=3, hist=_hist(40, 98)),
        dict(deployment="fig", revision=d["revision"], gateway="gw-b", target="fig-m/1",
             second_ms=now - 1000, requests=2, errors=0, client_errors=0, hist=_hist(100, 2)),
        dict(deployment="fig", revision=d["revision"], gateway="gw-a", target="fig-m/2",
             second_ms=now, requests=10, errors=5, client_errors=0, hist=_hist(45, 10)),
    ]
    c.ok(_post(c, "deployments/stats/report", {"stats": rows}))
    got = c.ok(_get(c, "deployments/stats", {"name": "fig", "revision": d["revision"],
                                             "since_ms": now - 5000}))["stats"]
    assert sorted((s["gateway"], s["target"], s["requests"]) for s in got) == [
        ("gw-a", "fig-m/1", 98), ("gw-a", "fig-m/2", 10), ("gw-b", "fig-m/1", 2)], got
    st = c.ok(_get(c, "deployments/status", {"name": "fig"}))
    assert st["deployment"]["name"] == "fig"
    t = {x["target"]: x for x in st["targets"]}
    assert list(t) == ["fig-m/1", "fig-m/2"], st
    a = t["fig-m/1"]
    assert (a["weight"], a["requests"], a["errors"], a["client_errors"]) == (90, 100, 1, 3), a
    assert abs(a["error_rate"] - 0.01) < 1e-9 and a["shadow"] is False
    assert 1.3 < a["p50_ms"] < 1.7, a
    assert 260 < a["p99_ms"] < 295, a
    assert abs(a["rps"] - 100 / 60.0) < 0.01, a
    b = t["fig-m/2"]
    assert b["weight"] == 10 and abs(b["error_rate"] - 0.5) < 1e-9, b
    # a narrow window leaves out what is older: one that reaches half a second before gw-a's
    # second keeps it and leaves out gw-b's (measured from now, as a loaded machine may be
    # seconds past it)
    time.sleep(max(0.0, now / 1000.0 + 0.6 - time.time()))
    narrow = int(time.time() * 1000) - now + 500
    st = c.ok(_get(c, "deployments/status", {"name": "fig", "window_ms": narrow}))
    assert {x["target"]: x["requests"] for x in st["targets"]}["fig-m/1"] == 98, (narrow, st)
    expect_error(_get(c, "deployments/status", {"name": "fig", "window_ms": 5}), 400, INV,
                 "window_ms")
    # bad figures are refused, nothing stored
    bad = dict(rows[0], hist="3:10", gateway="gw-c")
    expect_error(_post(c, "deployments/stats/report", {"stats": [bad]}), 400, INV, "hist")
    expect_error(_post(c, "deployments/stats/report", {"stats": [dict(rows[0], requests=-1)]}),
                 400, INV)
    expect_error(_post(c, "deployments/stats/report", {}), 400, INV, "stats")
    got = c.ok(_get(c, "deployments/stats", {"name": "fig", "revision": d["revision"]}))["stats"]
    assert len(got) == 3 and all(s["gateway"] != "gw-c" for s in got), got


def test_deployments_cli(srv, c):
    _models(c, "cli-m", 2)
    work = tempfile.mkdtemp(prefix="ferry-deploy-cli-")
    spec = os.path.join(work, "spec.yaml")
    with open(spec, "w") as f:
        f.write("name: cli-dep\n"
                "targets:\n"
                "  - {model: \"models:/cli-m/1\", weight: 80}\n"
                "  - {model: \"models:/cli-m/2\"}\n"
                "rollout: {steps: [20, 100], interval: 30s}\n"
                "promote_alias: prod\n")

    def ferry(*args):
        return subprocess.run([srv.ferry, "--tracking-uri", srv.url, "deployments"] + list(args),
                              capture_output=True, timeout=60, cwd=work)

    r = ferry("apply", "-f", spec, "--revision", "0", "--no-check")
    assert r.returncode == 0 and r.stdout == b"deployment cli-dep revision 1 applied\n", r
    r = ferry("apply", "-f", spec, "--no-check")
    assert r.returncode == 0 and r.stdout == b"deployment cli-dep revision 1 unchanged\n", r
    r = ferry("apply", "-f", spec, "--revision", "5", "--no-check")
    assert r.returncode == 1 and b"revision 1, not 5" in r.stderr, r
    r = ferry("list")
    assert r.returncode == 0 and b"cli-dep" in r.stdout and b"PROGRESSING" in r.stdout, r
    assert b"cli-m/1:80 cli-m/2:20" in r.stdout, r
    r = ferry("get", "cli-dep")
    assert r.returncode == 0 and b"PROGRESSING (step 1 of 2: 20%)" in r.stdout, r
    r = ferry("get", "cli-dep", "--json")
    d = json.loads(r.stdout)["deployment"]
    assert d["revision"] == 1 and d["status"]["weights"] == [80, 20], d
    r = ferry("promote", "cli-dep", "--reason", "ship it")
    assert r.returncode == 0 and b"promote" in r.stdout and b"revision 2" in r.stdout, r
    got = c.ok(c.get("registered-models/alias", {"name": "cli-m", "alias": "prod"}))
    assert got["model_version"]["version"] == "2", got
    r = ferry("history", "cli-dep")
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 0 and len(lines) == 3 and "ship it" in lines[2], r
    assert "promote" in lines[2] and "apply" in lines[1], lines
    r = ferry("status", "cli-dep", "--window", "30s")
    assert r.returncode == 0 and b"cli-m/2" in r.stdout and b"over the last 30s" in r.stdout, r
    r = ferry("events", "--kinds", "deployment.promote")
    assert r.returncode == 0 and b"deployment.promote" in r.stdout, r
    r = ferry("rollback", "cli-dep")
    assert r.returncode == 1 and r.stderr.startswith(b"ferry: "), r
    r = ferry("get", "nope")
    assert r.returncode == 1 and b"nope" in r.stderr, r
    r = ferry("delete", "cli-dep")
    assert r.returncode == 0 and r.stdout == b"deployment cli-dep deleted\n", r
    r = ferry("frobnicate")
    assert r.returncode == 2, r


def test_a_stale_controller_cannot_step(srv, c):
    """The controller's step under a lease (X-Ferry-Lease-*): refused once another holder took
    the lease, nothing changed; the holder's own step goes through."""
    _models(c, "fence-m", 2)
    spec = _spec("fence-dep", "fence-m", (90, None), rollout={"steps": [10, 50, 100]})
    del spec["targets"][1]["weight"]
    d = c.ok(_post(c, "deployments/apply", {"no_check": True, "spec": spec}))["deployment"]
    a = c.ok(_post(c, "leases/acquire", {"name": "rollout/fence-dep", "holder": "gw-a",
                                         "ttl_ms": 60000}))["lease"]
    c.ok(_post(c, "leases/release", {"name": "rollout/fence-dep", "holder": "gw-a",
                                     "epoch": a["epoch"]}))
    b = c.ok(_post(c, "leases/acquire", {"name": "rollout/fence-dep", "holder": "gw-b",
                                         "ttl_ms": 60000}))["lease"]

    def step(holder, epoch):
        return c.raw("POST", FERRY + "deployments/step",
                     json.dumps({"name": "fence-dep", "change": d["change"]}),
                     {"X-Ferry-Lease-Name": "rollout/fence-dep", "X-Ferry-Lease-Holder": holder,
                      "X-Ferry-Lease-Epoch": str(epoch)})

    expect_error(step("gw-a", a["epoch"]), 400, STATE, "stale")
    assert _dep(c, "fence-dep") == d
    got = c.ok(step("gw-b", b["epoch"]))["deployment"]
    assert got["status"]["weights"] == [50, 50], got


def test_the_loop_of_a_deployment_from_rest_and_the_cli(srv, c):
    """deployments/loop: the versions of its model, a rollout started, rolled back, restarted
    and promoted, oldest first with the fixed vocabulary; the same events from `ferry
    deployments loop` (JSON lines, and one line each as text); a window and max_results."""
    _models(c, "loop-m", 2)
    spec = _spec("loop-dep", "loop-m", (75, None), rollout={"steps": [25, 100]},
                 promote_alias="champion")
    del spec["targets"][1]["weight"]
    c.ok(_post(c, "deployments/apply", {"no_check": True, "spec": spec}))
    c.ok(_post(c, "deployments/rollback", {"name": "loop-dep", "reason": "p99 1200 ms > 50 ms"}))
    c.ok(_post(c, "deployments/resume", {"name": "loop-dep"}))
    c.ok(_post(c, "deployments/promote", {"name": "loop-dep"}))
    got = c.ok(_get(c, "deployments/loop", {"name": "loop-dep"}))
    ev = got["events"]
    assert got.get("truncated") is False, got
    assert [e["event"] for e in ev] == ["version_registered", "version_registered",
                                        "rollout_step", "rolled_back", "rollout_step",
                                        "promoted"], ev
    assert [e["version"] for e in ev[:2]] == ["1", "2"], ev
    assert ev[2]["candidate"] == "loop-m/2" and ev[2]["weight"] == 25 and ev[2]["step"] == 0
    assert ev[3]["reason"] == "p99 1200 ms > 50 ms" and ev[3]["candidate"] == "loop-m/2", ev[3]
    assert ev[5]["model"] == "loop-m" and ev[5]["version"] == "2", ev[5]
    assert ev[5]["alias"] == "champion" and ev[5]["action"] == "promote", ev[5]
    assert all(e["time"].endswith("Z") and len(e["time"]) == 24 for e in ev), ev
    assert [e["time_ms"] for e in ev] == sorted(e["time_ms"] for e in ev), ev
    # a window from the rollback on, and the newest two
    w = c.ok(_get(c, "deployments/loop", {"name": "loop-dep", "start_time": ev[3]["time_ms"]}))
    assert [e["event"] for e in w["events"]] == ["rolled_back", "rollout_step", "promoted"], w
    w = c.ok(_get(c, "deployments/loop", {"name": "loop-dep", "max_results": 2}))
    assert w["truncated"] is True and [e["event"] for e in w["events"]] == [
        "rollout_step", "promoted"], w
    # the CLI over REST: JSON lines equal to the API's events, and one text line each
    r = subprocess.run([srv.ferry, "--tracking-uri", srv.url, "deployments", "loop", "loop-dep",
                        "--json"], capture_output=True, timeout=60)
    assert r.returncode == 0, r
    assert [json.loads(x) for x in r.stdout.decode().splitlines()] == ev, r.stdout
    r = subprocess.run([srv.ferry, "--tracking-uri", srv.url, "deployments", "loop", "loop-dep"],
                       capture_output=True, timeout=60)
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 0 and len(lines) == 6, r
    assert lines[3].startswith(ev[3]["time"]) and " rolled_back " in lines[3], lines
    assert 'reason="p99 1200 ms > 50 ms"' in lines[3], lines
    r = subprocess.run([srv.ferry, "--tracking-uri", srv.url, "deployments", "loop", "nope"],
                       capture_output=True, timeout=60)
    assert r.returncode == 1 and b"nope" in r.stderr, r
    r = subprocess.run([srv.ferry, "--tracking-uri", srv.url, "deployments", "loop", "loop-dep",
                        "--max-results", "0"], capture_output=True, timeout=60)
    assert r.returncode == 2, r
