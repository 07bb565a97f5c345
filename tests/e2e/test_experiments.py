# SPDX-License-Identifier: MIT
"""experiments/*: happy paths on both prefixes and GET/POST, and bad input
that must change nothing."""
import os

from support.server import expect_error


def _snapshot(c):
    r = c.post("experiments/search", {"view_type": "ALL", "max_results": 1000})
    return sorted((e["experiment_id"], e["name"], e["lifecycle_stage"], str(e.get("tags")))
                  for e in c.ok(r).get("experiments", []))


def test_default_experiment_exists(srv, c):
    e = c.ok(c.get("experiments/get", {"experiment_id": "0"}))["experiment"]
    assert e["name"] == "Default" and e["lifecycle_stage"] == "active"
    assert isinstance(e["creation_time"], int)
    e2 = c.ok(c.get("experiments/get-by-name", {"experiment_name": "Default"}))["experiment"]
    assert e2["experiment_id"] == "0"
    e3 = c.ok(c.post("experiments/get", {"experiment_id": "0"}))["experiment"]
    assert e3 == e
    e4 = c.ok(c.get("experiments/get", {"experiment_id": "0"}, prefix="/ajax-api/2.0/mlflow/"))
    assert e4["experiment"] == e


def test_create_get_rename_tags(srv, c):
    eid = c.create_experiment("exp-a", tags=[{"key": "team", "value": "vision"}])
    e = c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"]
    assert e["name"] == "exp-a" and e["artifact_location"].endswith("/" + eid)
    assert e["tags"] == [{"key": "team", "value": "vision"}]
    assert c.ok(c.post("experiments/update", {"experiment_id": eid, "new_name": "exp-b"})) == {}
    e = c.ok(c.get("experiments/get-by-name", {"experiment_name": "exp-b"}))["experiment"]
    assert e["experiment_id"] == eid
    c.ok(c.post("experiments/set-experiment-tag", {"experiment_id": eid, "key": "k", "value": "v"}))
    c.ok(c.post("experiments/set-experiment-tag", {"experiment_id": eid, "key": "k", "value": "w"}))
    e = c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"]
    assert {"key": "k", "value": "w"} in e["tags"]
    c.ok(c.post("experiments/delete-experiment-tag", {"experiment_id": eid, "key": "k"}))
    e = c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"]
    assert all(t["key"] != "k" for t in e.get("tags", []))


def test_unicode_names_and_artifact_location(srv, c):
    eid = c.create_experiment("expérience ✓ 実験")
    e = c.ok(c.get("experiments/get-by-name", {"experiment_name": "expérience ✓ 実験"}))
    assert e["experiment"]["experiment_id"] == eid
    eid = c.create_experiment("with-loc", artifact_location="s3://bucket/path")
    e = c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"]
    assert e["artifact_location"] == "s3://bucket/path"
    # relative: against the server's directory (below its artifacts destination, one of the
    # artifact roots it may write to)
    eid = c.create_experiment("relative-loc", artifact_location="mlartifacts/rel/dir")
    e = c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"]
    assert os.path.isabs(e["artifact_location"]) and e["artifact_location"].endswith(
        "/mlartifacts/rel/dir")


def test_delete_and_restore(srv, c):
    eid = c.create_experiment("to-delete")
    run = c.create_run(eid)["info"]["run_id"]
    c.ok(c.post("experiments/delete", {"experiment_id": eid}))
    e = c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"]
    assert e["lifecycle_stage"] == "deleted"
    assert c.get_run(run)["info"]["lifecycle_stage"] == "deleted"
    expect_error(c.post("runs/create", {"experiment_id": eid}), 400, "INVALID_PARAMETER_VALUE")
    expect_error(c.post("experiments/create", {"name": "to-delete"}), 400,
                 "RESOURCE_ALREADY_EXISTS")
    expect_error(c.post("experiments/delete", {"experiment_id": eid}), 400,
                 "INVALID_PARAMETER_VALUE")
    c.ok(c.post("experiments/restore", {"experiment_id": eid}))
    assert c.get_run(run)["info"]["lifecycle_stage"] == "active"
    expect_error(c.post("experiments/delete", {"experiment_id": "0"}), 400,
                 "INVALID_PARAMETER_VALUE")


def test_bad_input_changes_nothing(srv, c):
    c.create_experiment("stable", tags=[{"key": "a", "value": "b"}])
    before = _snapshot(c)
    cases = [
        (c.post("experiments/create", {"name": "stable"}), 400, "RESOURCE_ALREADY_EXISTS"),
        (c.post("experiments/create", {"name": ""}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("experiments/create", {}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("experiments/create", {"name": 42}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("experiments/create", {"name": "x" * 600}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("experiments/create", {"name": "t", "tags": "notalist"}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("experiments/create", {"name": "t", "tags": [{"key": "", "value": "v"}]}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.get("experiments/get", {"experiment_id": "987654"}), 404, "RESOURCE_DOES_NOT_EXIST"),
        (c.get("experiments/get", {"experiment_id": "abc"}), 400, "INVALID_PARAMETER_VALUE"),
        (c.get("experiments/get", {}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("experiments/get", {"experiment_id": {"nested": 1}}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.get("experiments/get-by-name", {"experiment_name": "nope"}), 404,
         "RESOURCE_DOES_NOT_EXIST"),
        (c.post("experiments/update", {"experiment_id": "987654", "new_name": "z"}), 404,
         "RESOURCE_DOES_NOT_EXIST"),
        (c.post("experiments/update", {"experiment_id": "0", "new_name": "stable"}), 400,
         "RESOURCE_ALREADY_EXISTS"),
        (c.post("experiments/update", {"experiment_id": "0"}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("experiments/delete", {"experiment_id": "987654"}), 404,
         "RESOURCE_DOES_NOT_EXIST"),
        (c.post("experiments/restore", {"experiment_id": "0"}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("experiments/set-experiment-tag", {"experiment_id": "987654", "key": "k",
                                                   "value": "v"}), 404,
         "RESOURCE_DOES_NOT_EXIST"),
        (c.post("experiments/set-experiment-tag", {"experiment_id": "0", "key": "k",
                                                   "value": "v" * 5001}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("experiments/delete-experiment-tag", {"experiment_id": "0", "key": "nope"}), 404,
         "RESOURCE_DOES_NOT_EXIST"),
    ]
    for r, status, code in cases:
        expect_error(r, status, code)
        assert _snapshot(c) == before, "state changed after %r" % r


def test_search_filter_order_and_pages(srv, c):
    for i in range(7):
        c.create_experiment("search-%d" % i, tags=[{"key": "parity", "value": str(i % 2)}])
    r = c.ok(c.post("experiments/search", {"filter": "name LIKE 'search-%' AND tags.parity = '1'",
                                           "order_by": ["name DESC"]}))
    assert [e["name"] for e in r["experiments"]] == ["search-5", "search-3", "search-1"]
    r = c.ok(c.get("experiments/search", {"filter": "name = 'search-2' OR name = 'search-4'",
                                          "order_by": "name"}))
    assert [e["name"] for e in r["experiments"]] == ["search-2", "search-4"]
    names, token, pages = [], None, 0
    while True:
        q = {"filter": "name LIKE 'search-%'", "max_results": 3}
        if token:
            q["page_token"] = token
        r = c.ok(c.post("experiments/search", q))
        names += [e["name"] for e in r.get("experiments", [])]
        pages += 1
        token = r.get("next_page_token")
        if not token:
            break
    assert sorted(names) == ["search-%d" % i for i in range(7)] and pages == 3
    # default order: newest first, ties by id ascending (MLflow's rule)
    r = c.ok(c.post("experiments/search", {"filter": "name LIKE 'search-%'"}))
    keys = [(-e["creation_time"], int(e["experiment_id"])) for e in r["experiments"]]
    assert keys == sorted(keys), keys


def test_search_bad_input(srv, c):
    expect_error(c.post("experiments/search", {"filter": "name >>> 'x'"}), 400,
                 "INVALID_PARAMETER_VALUE", "position")
    expect_error(c.post("experiments/search", {"filter": "metrics.a > 1"}), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.post("experiments/search", {"order_by": ["colour"]}), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.post("experiments/search", {"max_results": 0}), 400, "INVALID_PARAMETER_VALUE")
    expect_error(c.post("experiments/search", {"max_results": 50001}), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.post("experiments/search", {"page_token": "garbage"}), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.post("experiments/search", {"view_type": "SOME"}), 400,
                 "INVALID_PARAMETER_VALUE")


def test_search_view_types_tags_and_orders(srv, c):
    ids = {}
    for name, team in (("vt-a", "x y"), ("vt-b", "x.y"), ("vt-c", None)):
        tags = [{"key": "team name", "value": team}] if team else []
        ids[name] = c.create_experiment(name, tags=tags)
    c.ok(c.post("experiments/delete", {"experiment_id": ids["vt-b"]}))

    def names(**q):
        q.setdefault("filter", "name LIKE 'vt-%'")
        r = c.ok(c.post("experiments/search", q))
        return [e["name"] for e in r.get("experiments", [])]

    assert names(order_by=["name"]) == ["vt-a", "vt-c"]
    assert names(view_type="DELETED_ONLY") == ["vt-b"]
    assert names(view_type="ALL", order_by=["name DESC"]) == ["vt-c", "vt-b", "vt-a"]
    assert names(view_type="ALL", filter="tags.`team name` = 'x.y'") == ["vt-b"]
    assert names(view_type="ALL", filter="tags.\"team name\" LIKE 'x%'",
                 order_by=["experiment_id DESC"]) == ["vt-b", "vt-a"]
    assert names(filter="name ILIKE 'VT-A'") == ["vt-a"]
    assert names(filter="name != 'vt-a' AND name LIKE 'vt-%'") == ["vt-c"]
    e = c.ok(c.get("experiments/get", {"experiment_id": ids["vt-a"]}))["experiment"]
    assert names(filter="creation_time >= %d AND name LIKE 'vt-%%'" % e["creation_time"],
                 order_by=["creation_time", "name"]) == ["vt-a", "vt-c"]
    assert names(order_by=["last_update_time DESC", "name"])[-1] in ("vt-a", "vt-c")
    # GET with repeated order_by keys
    r = c.ok(c.get("experiments/search", {"filter": "name LIKE 'vt-%'", "view_type": "ALL",
                                          "order_by": ["name DESC", "experiment_id"]}))
    assert [x["name"] for x in r["experiments"]] == ["vt-c", "vt-b", "vt-a"]
    # one at a time through everything, each experiment exactly once
    seen, token = [], None
    while True:
        q = {"view_type": "ALL", "max_results": 1}
        if token:
            q["page_token"] = token
        r = c.ok(c.post("experiments/search", q))
        seen += [x["experiment_id"] for x in r.get("experiments", [])]
        token = r.get("next_page_token")
        if not token:
            break
    everything = c.ok(c.post("experiments/search", {"view_type": "ALL", "max_results": 50000}))
    assert sorted(seen) == sorted(x["experiment_id"] for x in everything["experiments"])
    assert len(seen) == len(set(seen))


def test_deleted_experiment_refuses_changes(srv, c):
    eid = c.create_experiment("frozen", tags=[{"key": "k", "value": "v"}])
    c.ok(c.post("experiments/delete", {"experiment_id": eid}))
    before = _snapshot(c)
    cases = [
        c.post("experiments/update", {"experiment_id": eid, "new_name": "thawed"}),
        c.post("experiments/set-experiment-tag", {"experiment_id": eid, "key": "k",
                                                  "value": "w"}),
        c.post("runs/create", {"experiment_id": eid}),
    ]
    for r in cases:
        expect_error(r, 400, "INVALID_PARAMETER_VALUE")
        assert _snapshot(c) == before, "state changed after %r" % r
    # a deleted experiment is still found by name and its name stays taken
    e = c.ok(c.get("experiments/get-by-name", {"experiment_name": "frozen"}))["experiment"]
    assert e["lifecycle_stage"] == "deleted"
    c.ok(c.post("experiments/restore", {"experiment_id": eid}))
    c.ok(c.post("experiments/update", {"experiment_id": eid, "new_name": "thawed"}))


def test_update_and_tags_touch_last_update_time(srv, c):
    eid = c.create_experiment("timed")
    e0 = c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"]
    assert e0["last_update_time"] >= e0["creation_time"] > 1600000000000
    c.ok(c.post("experiments/update", {"experiment_id": eid, "new_name": "timed2"}))
    e1 = c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"]
    assert e1["last_update_time"] >= e0["last_update_time"]
    assert e1["creation_time"] == e0["creation_time"]
    # the old name is free again, the new one is taken
    c.create_experiment("timed")
    expect_error(c.post("experiments/create", {"name": "timed2"}), 400, "RESOURCE_ALREADY_EXISTS")


def test_more_bad_experiment_input(srv, c):
    c.create_experiment("anchor")
    before = _snapshot(c)
    cases = [
        # MLflow's _create_experiment: no URL fragments or params, no '..' in the query
        (("POST", "experiments/create", {"name": "art1", "artifact_location": "s3://b/p#frag"}),
         400, "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/create", {"name": "art2", "artifact_location": "s3://b/p;x=1"}),
         400, "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/create", {"name": "art4",
                                       "artifact_location": "s3://b/p?x=../../etc"}),
         400, "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/create", {"name": "art5",
                                       "artifact_location": "s3://b/p?x=%2E%2E%2Fetc"}),
         400, "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/create", {"name": "art3", "artifact_location": 5}), 400,
         "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/create", {"name": "dup-tags", "tags": [
            {"key": "a", "value": "1"}, {"key": "a/../b", "value": "2"}]}), 400,
         "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/create", {"name": None}), 400, "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/create", {"name": ["anchor2"]}), 400, "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/update", {"experiment_id": "0", "new_name": ""}), 400,
         "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/update", {"experiment_id": "0", "new_name": 7}), 400,
         "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/set-experiment-tag", {"experiment_id": "0", "key": "",
                                                   "value": "v"}), 400,
         "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/set-experiment-tag", {"experiment_id": "0", "key": "k@k",
                                                   "value": "v"}), 400,
         "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/set-experiment-tag", {"experiment_id": "0", "value": "v"}), 400,
         "INVALID_PARAMETER_VALUE"),
        (("POST", "experiments/delete-experiment-tag", {"experiment_id": "987654", "key": "k"}),
         404, "RESOURCE_DOES_NOT_EXIST"),
        (("POST", "experiments/restore", {"experiment_id": "987654"}), 404,
         "RESOURCE_DOES_NOT_EXIST"),
        (("GET", "experiments/get", {"experiment_id": "-1"}), (400, 404),
         ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")),
        (("GET", "experiments/get", {"experiment_id": "99999999999999999999999"}), (400, 404),
         ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")),
        (("GET", "experiments/get", {"experiment_id": "0 OR 1=1"}), 400,
         "INVALID_PARAMETER_VALUE"),
        (("GET", "experiments/get-by-name", {}), 400, "INVALID_PARAMETER_VALUE"),
        (("GET", "experiments/get-by-name", {"experiment_name": "Default%"}), 404,
         "RESOURCE_DOES_NOT_EXIST"),
        (("GET", "experiments/get-by-name", {"experiment_name": "default"}), 404,
         "RESOURCE_DOES_NOT_EXIST"),
        (("POST", "experiments/get-by-name", {"experiment_name": "Default\x00tail"}), (400, 404),
         ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "BAD_REQUEST")),
        (("POST", "experiments/create", {"name": "anchor\x00hidden"}), 400,
         ("INVALID_PARAMETER_VALUE", "BAD_REQUEST", "RESOURCE_ALREADY_EXISTS")),
    ]
    problems = []
    for i, ((method, ep, doc), status, code) in enumerate(cases):
        r = c.post(ep, doc) if method == "POST" else c.get(ep, doc)
        try:
            expect_error(r, status, code)
        except AssertionError as e:
            problems.append("case %d: %s" % (i, e))
        if _snapshot(c) != before:
            problems.append("case %d changed the experiments: %r" % (i, r))
            before = _snapshot(c)
    assert not problems, "\n".join(problems)
