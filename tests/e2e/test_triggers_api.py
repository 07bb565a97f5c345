# SPDX-License-Identifier: MIT
"""The triggers REST API (issue 21) under /api/2.0/ferry/triggers/ and `ferry triggers`: apply
(creation, an equal apply, a change, expect_revision), get, list, history (newest first, in
pages), fire (a manual firing recorded queued, its event fields and params), delete (its
firings stay), over REST, through the CLI on a server and on the store itself (embedded). Every
refused request leaves the triggers, their firings and the events stream as they were. With
--auth: the owner is the applier, and apply/fire/delete need EDIT on the pipeline's experiment
(or, when it does not exist, the right to create one). Runs on SQLite and PostgreSQL. The error
cases of each row are files in cases/triggers/; running the firings is the scheduler's
(test_triggers.py)."""
import json
import os
import subprocess
import tempfile

from support.server import expect_error
from test_auth import ADMIN, AuthServer, As, basic, user

FERRY = "/api/2.0/ferry/"
STATES = {"queued", "running", "succeeded", "failed", "skipped", "cancelled", "refused",
          "abandoned"}


def post(c, ep, doc):
    return c.post("triggers/" + ep, doc, prefix=FERRY)


def get(c, ep, **q):
    return c.get("triggers/" + ep, q, prefix=FERRY)


def spec(name, exp, **kw):
    s = {"name": name, "on": {"dataset": {"name": "transactions"}},
         "pipeline": {"uri": "/srv/pipelines/fraud", "experiment": exp},
         "params": {"data": "{event.dataset_uri}", "version": "{event.dataset_version}"}}
    s.update(kw)
    return s


# What the server's trigger scheduler moves on its own while a test runs (a queued firing
# starts, fails or is refused): left out of what a refused request must not change.
RUNNING = ("state", "run_id", "holder", "started_ms", "ended_ms", "detail")


def state(c):
    """The triggers, every firing and their trigger.fired events: what a refused request must
    not change (less what the scheduler changes by itself)."""
    trig = c.ok(get(c, "list"))["triggers"]
    for t in trig:
        t.pop("last_firing", None)
    firings, token = [], None
    for _ in range(1000):
        q = {"max_results": 1000}
        if token:
            q["page_token"] = token
        page = c.ok(get(c, "history", **q))
        firings += page["firings"]
        token = page.get("next_page_token")
        if not token:
            break
    for f in firings:
        for k in RUNNING:
            f.pop(k, None)
    events = c.ok(c.get("events/search", {"kinds": "trigger.fired", "max_results": 1000},
                        prefix=FERRY))["events"]
    return json.dumps([trig, firings, events], sort_keys=True)


def refused(c, r, status, code, contains=None):
    expect_error(r, status, code, contains)


def test_apply_read_fire_and_delete_over_rest(srv, c):
    c.create_experiment("trig-api")
    s1 = spec("retrain", "trig-api")
    r = c.ok(post(c, "apply", {"spec": s1}))
    t = r["trigger"]
    assert r["changed"] is True and t["revision"] == 1 and t["kind"] == "dataset", r
    assert t["enabled"] is True and t["owner"] == "" and "last_firing" not in t, t
    assert t["spec"]["pipeline"]["uri"] == "/srv/pipelines/fraud", t
    assert t["spec"]["concurrency"] == "skip" and t["spec"]["on"] == {
        "dataset": {"name": "transactions"}}, t
    # an equal apply changes nothing; expect_revision guards a change
    r = c.ok(post(c, "apply", {"spec": s1}))
    assert r["changed"] is False and r["trigger"]["revision"] == 1, r
    before = state(c)
    refused(c, post(c, "apply", {"spec": s1, "expect_revision": 0}), 400,
            "RESOURCE_ALREADY_EXISTS")
    refused(c, post(c, "apply", {"spec": dict(s1, concurrency="queue"), "expect_revision": 5}),
            400, "INVALID_STATE")
    refused(c, post(c, "apply", {"spec": dict(s1, concurrency="sometimes")}), 400,
            "INVALID_PARAMETER_VALUE", "concurrency")
    refused(c, post(c, "apply", {"spec": dict(s1, pipeline={"uri": "./fraud"})}), 400,
            "INVALID_PARAMETER_VALUE", "absolute")
    refused(c, post(c, "apply", {"spec": dict(s1, params={"d": "{event.alert_id}"})}), 400,
            "INVALID_PARAMETER_VALUE", "alert_id")
    assert state(c) == before
    r = c.ok(post(c, "apply", {"spec": dict(s1, concurrency="queue"), "expect_revision": 1}))
    assert r["changed"] is True and r["trigger"]["revision"] == 2, r
    assert r["trigger"]["spec"]["concurrency"] == "queue", r
    # the YAML form
    yaml = ("name: nightly\non: {schedule: \"0 3 * * *\"}\n"
            "pipeline: {uri: \"git+https://example.com/p.git#fraud\", version: main}\n"
            "enabled: false\n")
    r = c.ok(post(c, "apply", {"spec_yaml": yaml}))
    assert r["trigger"]["kind"] == "schedule" and r["trigger"]["enabled"] is False, r
    names = [t["name"] for t in c.ok(get(c, "list"))["triggers"]]
    assert names == ["nightly", "retrain"], names
    got = c.ok(get(c, "get", name="retrain"))["trigger"]
    assert got["revision"] == 2 and got["spec"]["params"] == s1["params"], got

    # a manual firing: event fields given, a param overridden, another added
    f = c.ok(post(c, "fire", {"name": "retrain", "params": {
        "event.dataset_uri": "data:/transactions/3", "event.dataset_version": "3",
        "extra": "x"}}))["firing"]
    assert f["state"] == "queued" and f["event_key"].startswith("manual:"), f
    assert f["trigger"] == "retrain" and f["event_id"] is None and f["user_id"] == "", f
    assert f["params"] == {"data": "data:/transactions/3", "version": "3", "extra": "x"}, f
    assert f["event"]["dataset_version"] == "3" and f["event"]["kind"] == "manual", f
    before = state(c)
    refused(c, post(c, "fire", {"name": "retrain", "params": {"event.alert_id": "1"}}), 400,
            "INVALID_PARAMETER_VALUE", "alert_id")
    refused(c, post(c, "fire", {"name": "retrain", "params": {"x": ["a"]}}), 400,
            "INVALID_PARAMETER_VALUE", "params.x")
    refused(c, post(c, "fire", {"name": "nope"}), 404, "RESOURCE_DOES_NOT_EXIST")
    refused(c, post(c, "fire", {"name": "retrain", "params": "x=1"}), 400,
            "INVALID_PARAMETER_VALUE")
    assert state(c) == before
    ids = [f["id"]] + [c.ok(post(c, "fire", {"name": "retrain"}))["firing"]["id"]
                       for _ in range(2)]
    # a disabled trigger can still be fired by hand
    c.ok(post(c, "fire", {"name": "nightly"}))
    hist = c.ok(get(c, "history", name="retrain"))
    assert [h["id"] for h in hist["firings"]] == ids[::-1] and "next_page_token" not in hist
    assert all(h["state"] in STATES for h in hist["firings"]), hist
    page = c.ok(get(c, "history", name="retrain", max_results=2))
    assert [h["id"] for h in page["firings"]] == ids[:0:-1] and page["next_page_token"], page
    page = c.ok(get(c, "history", name="retrain", max_results=2,
                    page_token=page["next_page_token"]))
    assert [h["id"] for h in page["firings"]] == ids[:1] and "next_page_token" not in page
    assert len(c.ok(get(c, "history"))["firings"]) == 4
    got = c.ok(get(c, "get", name="retrain"))["trigger"]
    assert got["last_firing"]["id"] == ids[-1], got
    evs = c.ok(c.get("events/search", {"kinds": "trigger.fired"}, prefix=FERRY))["events"]
    assert [e["subject"] for e in evs] == ["retrain"] * 3 + ["nightly"], evs
    assert json.loads(json.dumps(evs[0]["payload"]))["firing_id"] == ids[0], evs[0]

    # delete: the firings stay
    before = state(c)
    refused(c, post(c, "delete", {"name": "nope"}), 404, "RESOURCE_DOES_NOT_EXIST")
    refused(c, post(c, "delete", {}), 400, "INVALID_PARAMETER_VALUE")
    assert state(c) == before
    assert c.ok(post(c, "delete", {"name": "retrain"})) == {}
    refused(c, get(c, "get", name="retrain"), 404, "RESOURCE_DOES_NOT_EXIST")
    refused(c, post(c, "delete", {"name": "retrain"}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert len(c.ok(get(c, "history", name="retrain"))["firings"]) == 3
    assert [t["name"] for t in c.ok(get(c, "list"))["triggers"]] == ["nightly"]


def _cli(ferry, uri, cwd):
    def run(*args):
        return subprocess.run([ferry, "--tracking-uri", uri, "triggers"] + list(args),
                              capture_output=True, timeout=60, cwd=cwd)
    return run


def _cli_round(c, ferry, uri, prefix, embedded):
    work = tempfile.mkdtemp(prefix="ferry-trig-cli-")
    os.makedirs(os.path.join(work, "pipelines", "fraud"))
    path = os.path.join(work, "t.yaml")
    name = prefix + "-cli"
    with open(path, "w") as f:
        f.write("name: %s\non:\n  registry: {model: fraud, event: alias_moved, alias: champion}\n"
                "pipeline: {uri: \"pipelines/fraud\", experiment: %s-exp}\n"
                "params: {model: \"{event.model_uri}\"}\n" % (name, prefix))
    ferry_ = _cli(ferry, uri, work)
    r = ferry_("apply", "-f", path, "--revision", "0")
    assert r.returncode == 0 and r.stdout == ("trigger %s revision 1 applied\n" % name).encode(), r
    r = ferry_("apply", "-f", path)
    assert r.returncode == 0 and r.stdout.endswith(b"revision 1 unchanged\n"), r
    r = ferry_("apply", "-f", path, "--revision", "4")
    assert r.returncode == 1 and r.stderr.startswith(b"ferry: "), r
    got = c.ok(get(c, "get", name=name))["trigger"]
    real = os.path.realpath(os.path.join(work, "pipelines", "fraud"))
    assert got["spec"]["pipeline"]["uri"] == real, got
    r = ferry_("list")
    assert r.returncode == 0 and name.encode() in r.stdout and b"alias_moved" in r.stdout, r
    r = ferry_("list", "--json")
    assert name in [t["name"] for t in json.loads(r.stdout)["triggers"]], r
    r = ferry_("get", name)
    assert r.returncode == 0 and json.loads(r.stdout)["name"] == name, r
    r = ferry_("fire", name, "-P", "event.model_uri=models:/fraud/7", "-P", "extra=1")
    assert r.returncode == 0 and b"fired: firing" in r.stdout and b"queued" in r.stdout, r
    assert (b"a ferry server on this store runs it" in r.stdout) == embedded, r
    r = ferry_("history", name, "--json")
    firings = json.loads(r.stdout)["firings"]
    assert len(firings) == 1 and firings[0]["params"] == {
        "model": "models:/fraud/7", "extra": "1"}, firings
    r = ferry_("history", name)
    assert r.returncode == 0 and b"manual:" in r.stdout, r
    before = state(c)
    for args, code, what in [
            (("fire", name, "-P", "event.nope=1"), 1, b"nope"),
            (("fire", name, "-P", "noequals"), 2, b"KEY=VALUE"),
            (("fire", "missing-trigger"), 1, b"missing-trigger"),
            (("apply",), 2, b"-f"),
            (("apply", "-f", os.path.join(work, "absent.yaml")), 1, b"absent.yaml"),
            (("history", name, "--max", "0"), 2, b"--max"),
            (("get",), 2, b"usage"),
            (("frobnicate",), 2, b"frobnicate"),
            (("delete", "missing-trigger"), 1, b"missing-trigger")]:
        r = ferry_(*args)
        assert r.returncode == code and what in r.stderr + r.stdout, (args, r)
    with open(path, "w") as f:
        f.write("name: %s\non: {schedule: \"99 * * * *\"}\npipeline: {uri: /p}\n" % name)
    r = ferry_("apply", "-f", path)
    assert r.returncode == 1 and b"99" in r.stderr, r
    with open(path, "w") as f:
        f.write("name: %s\non: {schedule: \"* * * * *\"}\npipeline: {uri: ./gone}\n" % name)
    r = ferry_("apply", "-f", path)
    assert r.returncode == 1 and b"gone" in r.stderr, r
    assert state(c) == before
    r = ferry_("delete", name)
    assert r.returncode == 0 and r.stdout == ("trigger %s deleted\n" % name).encode(), r
    r = ferry_("history", name)
    assert r.returncode == 0 and b"manual:" in r.stdout, r


def test_cli_through_a_server(srv, c):
    _cli_round(c, srv.ferry, srv.url, "srv", embedded=False)


def test_cli_on_the_store_itself(srv, c):
    _cli_round(c, srv.ferry, srv.store, "emb", embedded=True)


def test_with_auth_the_owner_and_the_rights_to_run_the_pipeline(srv, c):
    s = AuthServer(srv.ferry).start()
    try:
        admin = As(s, basic(*ADMIN))
        alice, bob = user(s, "trig-alice"), user(s, "trig-bob")
        exp = admin.ok(admin.post("experiments/create", {"name": "trig-auth"}))["experiment_id"]
        admin.ok(admin.post("experiments/permissions/create", {
            "experiment_id": exp, "username": "trig-alice", "permission": "EDIT"}))
        # EDIT on the experiment: alice applies; she owns it
        t = alice.ok(post(alice, "apply", {"spec": spec("a-trig", "trig-auth")}))["trigger"]
        assert t["owner"] == "trig-alice", t
        f = alice.ok(post(alice, "fire", {"name": "a-trig"}))["firing"]
        assert f["user_id"] == "trig-alice", f
        # bob reads (the server's default READ) but may not run alice's pipeline
        before = state(admin)
        assert bob.ok(get(bob, "get", name="a-trig"))["trigger"]["owner"] == "trig-alice"
        assert len(bob.ok(get(bob, "history", name="a-trig"))["firings"]) == 1
        assert bob.ok(get(bob, "list"))["triggers"]
        for r in [post(bob, "apply", {"spec": spec("b-trig", "trig-auth")}),
                  post(bob, "apply", {"spec": spec("a-trig", "bob-new-exp")}),
                  post(bob, "fire", {"name": "a-trig"}),
                  post(bob, "delete", {"name": "a-trig"})]:
            refused(bob, r, 403, "PERMISSION_DENIED")
        assert state(admin) == before
        # an experiment that does not exist yet: the right to create one is enough
        t = bob.ok(post(bob, "apply", {"spec": spec("b-trig", "bob-new-exp")}))["trigger"]
        assert t["owner"] == "trig-bob", t
        bob.ok(post(bob, "fire", {"name": "b-trig"}))
        bob.ok(post(bob, "delete", {"name": "b-trig"}))
        # no pipeline.experiment: the runs' experiment is the trigger's name; once it exists
        # (the first firing creates it), only those with EDIT there may change the trigger
        nameless = spec("alice-nightly", None)
        del nameless["pipeline"]["experiment"]
        alice.ok(post(alice, "apply", {"spec": nameless}))
        nexp = admin.ok(admin.post("experiments/create", {"name": "alice-nightly"}))
        admin.ok(admin.post("experiments/permissions/create", {
            "experiment_id": nexp["experiment_id"], "username": "trig-alice",
            "permission": "MANAGE"}))
        before = state(admin)
        for r in [post(bob, "apply", {"spec": nameless}),
                  post(bob, "fire", {"name": "alice-nightly"}),
                  post(bob, "delete", {"name": "alice-nightly"})]:
            refused(bob, r, 403, "PERMISSION_DENIED")
        assert state(admin) == before
        alice.ok(post(alice, "delete", {"name": "alice-nightly"}))
        # an admin may change anyone's; the owner becomes the admin
        t = admin.ok(post(admin, "apply", {"spec": spec("a-trig", "trig-auth",
                                                        concurrency="replace")}))["trigger"]
        assert t["owner"] == ADMIN[0] and t["revision"] == 2, t
        # no credentials: 401
        anon = As(s, {})
        expect_error(get(anon, "list"), 401, "UNAUTHENTICATED")
    finally:
        s.stop()
