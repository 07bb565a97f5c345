# SPDX-License-Identifier: MIT
"""The model registry over real HTTP: registered models, versions, stages, aliases, search and
ferry's audit trail; bad input gets MLflow's errors and changes nothing."""
import base64

from support.server import expect_error

FERRY = "/api/2.0/ferry/"
INV, NF, EXISTS = "INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "RESOURCE_ALREADY_EXISTS"


def _model(c, name, **kw):
    return c.ok(c.post("registered-models/create", dict(name=name, **kw)))["registered_model"]


def _version(c, name, source="s3://bucket/model", **kw):
    return c.ok(c.post("model-versions/create", dict(name=name, source=source, **kw)))[
        "model_version"]


def _get(c, name):
    return c.ok(c.get("registered-models/get", {"name": name}))["registered_model"]


def _v(c, name, version):
    return c.ok(c.get("model-versions/get", {"name": name, "version": version}))["model_version"]


def _history(c, name):
    return c.ok(c.get("registered-models/history", {"name": name}, prefix=FERRY))["events"]


def test_models_create_get_update_tag_delete(srv, c):
    m = _model(c, "reg-a", description="first", tags=[{"key": "team", "value": "vision"}])
    assert m["name"] == "reg-a" and m["description"] == "first"
    assert m["tags"] == [{"key": "team", "value": "vision"}]
    assert m["creation_timestamp"] == m["last_updated_timestamp"] > 0
    assert "latest_versions" not in m and "aliases" not in m
    expect_error(c.post("registered-models/create", {"name": "reg-a"}), 400, EXISTS, "reg-a")
    m = c.ok(c.raw("PATCH", "/api/2.0/mlflow/registered-models/update",
                   '{"name": "reg-a", "description": "second"}'))["registered_model"]
    assert m["description"] == "second"
    c.ok(c.post("registered-models/set-tag", {"name": "reg-a", "key": "stage", "value": "beta"}))
    assert {t["key"] for t in _get(c, "reg-a")["tags"]} == {"team", "stage"}
    c.ok(c.raw("DELETE", "/api/2.0/mlflow/registered-models/delete-tag",
               '{"name": "reg-a", "key": "stage"}'))
    assert [t["key"] for t in _get(c, "reg-a")["tags"]] == ["team"]
    expect_error(c.raw("DELETE", "/api/2.0/mlflow/registered-models/delete-tag",
                       '{"name": "reg-a", "key": "stage"}'), 404, NF)
    before = _get(c, "reg-a")
    for bad, status, code in (
            ({"name": ""}, 400, INV), ({"name": "reg-a", "tags": [{"key": "", "value": "x"}]},
                                       400, INV)):
        expect_error(c.post("registered-models/create", bad), status, code)
    assert _get(c, "reg-a") == before
    c.ok(c.raw("DELETE", "/api/2.0/mlflow/registered-models/delete", '{"name": "reg-a"}'))
    expect_error(c.get("registered-models/get", {"name": "reg-a"}), 404, NF, "reg-a")
    # the audit trail outlives the model
    assert [e["action"] for e in _history(c, "reg-a")] == [
        "create_model", "update_model", "set_tag", "delete_tag", "delete_model"]


def test_versions_number_stage_and_archive(srv, c):
    run = c.create_run()["info"]["run_id"]
    _model(c, "reg-b")
    v1 = _version(c, "reg-b", source="runs:/%s/model" % run, run_id=run,
                  tags=[{"key": "k", "value": "v"}], description="d1")
    assert (v1["version"], v1["current_stage"], v1["status"], v1["run_id"]) == (
        "1", "None", "READY", run)
    assert v1["tags"] == [{"key": "k", "value": "v"}] and v1["description"] == "d1"
    assert [_version(c, "reg-b")["version"] for _ in range(3)] == ["2", "3", "4"]
    # numbers are never reused, also after deleting the newest version
    c.ok(c.raw("DELETE", "/api/2.0/mlflow/model-versions/delete",
               '{"name": "reg-b", "version": "4"}'))
    expect_error(c.get("model-versions/get", {"name": "reg-b", "version": "4"}), 404, NF)
    assert _version(c, "reg-b")["version"] == "5"
    # stages: names are case-insensitive on input, canonical on output
    v = c.ok(c.post("model-versions/transition-stage",
                    {"name": "reg-b", "version": "1", "stage": "production",
                     "archive_existing_versions": False}))["model_version"]
    assert v["current_stage"] == "Production"
    c.ok(c.post("model-versions/transition-stage",
                {"name": "reg-b", "version": "2", "stage": "Production"}))
    v = c.ok(c.post("model-versions/transition-stage",
                    {"name": "reg-b", "version": 3, "stage": "Production",
                     "archive_existing_versions": True}))["model_version"]
    assert v["current_stage"] == "Production"
    assert [_v(c, "reg-b", n)["current_stage"] for n in ("1", "2", "3")] == [
        "Archived", "Archived", "Production"]
    latest = c.ok(c.post("registered-models/get-latest-versions",
                         {"name": "reg-b", "stages": ["Production", "archived"]}))
    # MLflow's order: stages as their first version came (v1 went Archived first), no aliases
    assert [(x["version"], x["current_stage"]) for x in latest["model_versions"]] == [
        ("2", "Archived"), ("3", "Production")]
    assert all("aliases" not in x for x in latest["model_versions"])
    assert {x["current_stage"]: x["version"] for x in _get(c, "reg-b")["latest_versions"]} == {
        "None": "5", "Production": "3", "Archived": "2"}
    # bad input changes nothing
    before = [_v(c, "reg-b", n) for n in ("1", "2", "3")]
    for bad, status, code in (
            ({"name": "reg-b", "version": "3", "stage": "Prod"}, 400, INV),
            ({"name": "reg-b", "version": "3", "stage": "None",
              "archive_existing_versions": True}, 400, INV),
            ({"name": "reg-b", "version": "abc", "stage": "Staging"}, 400, INV),
            ({"name": "reg-b", "version": "-1", "stage": "Staging"}, 404, NF),  # as MLflow
            ({"name": "reg-b", "version": "99", "stage": "Staging"}, 404, NF),
            ({"name": "nope", "version": "1", "stage": "Staging"}, 404, NF)):
        expect_error(c.post("model-versions/transition-stage", bad), status, code)
    assert [_v(c, "reg-b", n) for n in ("1", "2", "3")] == before
    # versions: description, tags, download uri
    v = c.ok(c.raw("PATCH", "/api/2.0/mlflow/model-versions/update",
                   '{"name": "reg-b", "version": "1", "description": "new"}'))["model_version"]
    assert v["description"] == "new"
    c.ok(c.post("model-versions/set-tag", {"name": "reg-b", "version": "1", "key": "ok",
                                           "value": "yes"}))
    assert {t["key"] for t in _v(c, "reg-b", "1")["tags"]} == {"k", "ok"}
    c.ok(c.raw("DELETE", "/api/2.0/mlflow/model-versions/delete-tag",
               '{"name": "reg-b", "version": "1", "key": "k"}'))
    assert _v(c, "reg-b", "1")["tags"] == [{"key": "ok", "value": "yes"}]
    r = c.ok(c.get("model-versions/get-download-uri", {"name": "reg-b", "version": "1"}))
    assert r == {"artifact_uri": "runs:/%s/model" % run}
    # the run id is kept as given (the registry may live apart from the runs, as in MLflow);
    # a source that climbs is refused
    v = c.ok(c.post("model-versions/create", {"name": "reg-b", "source": "s3://b/m",
                                               "run_id": "0" * 32}))["model_version"]
    assert v["run_id"] == "0" * 32 and v["version"] == "6"
    expect_error(c.post("model-versions/create", {"name": "reg-b",
                                                   "source": "file:///srv/../../etc"}), 400, INV)
    assert _version(c, "reg-b")["version"] == "7"


def test_aliases_move_and_follow_renames(srv, c):
    _model(c, "reg-c")
    for _ in range(3):
        _version(c, "reg-c")
    c.ok(c.post("registered-models/alias", {"name": "reg-c", "alias": "champion", "version": "1"}))
    c.ok(c.post("registered-models/alias", {"name": "reg-c", "alias": "challenger",
                                            "version": "2"}))
    r = c.ok(c.get("registered-models/alias", {"name": "reg-c", "alias": "champion"}))
    assert r["model_version"]["version"] == "1" and r["model_version"]["aliases"] == ["champion"]
    # moving an alias moves it: one version per alias
    c.ok(c.post("registered-models/alias", {"name": "reg-c", "alias": "champion", "version": "3"}))
    assert "aliases" not in _v(c, "reg-c", "1")
    assert _v(c, "reg-c", "3")["aliases"] == ["champion"]
    assert _get(c, "reg-c")["aliases"] == [{"alias": "challenger", "version": "2"},
                                          {"alias": "champion", "version": "3"}]
    # bad aliases and missing versions change nothing
    before = _get(c, "reg-c")
    for bad, status, code in (
            ({"name": "reg-c", "alias": "champion", "version": "9"}, 404, NF),
            ({"name": "reg-c", "alias": "v3", "version": "1"}, 400, INV),
            ({"name": "reg-c", "alias": "latest", "version": "1"}, 400, INV),
            ({"name": "reg-c", "alias": "a b", "version": "1"}, 400, INV),
            ({"name": "reg-c", "alias": "x", "version": "one"}, 400, INV)):
        expect_error(c.post("registered-models/alias", bad), status, code)
    assert _get(c, "reg-c") == before
    # rename carries versions and aliases; the old name is free again
    m = c.ok(c.post("registered-models/rename", {"name": "reg-c", "new_name": "reg-c2"}))
    assert m["registered_model"]["name"] == "reg-c2"
    r = c.ok(c.get("registered-models/alias", {"name": "reg-c2", "alias": "champion"}))
    assert r["model_version"]["version"] == "3" and r["model_version"]["name"] == "reg-c2"
    expect_error(c.get("registered-models/get", {"name": "reg-c"}), 404, NF)
    _model(c, "reg-taken")
    expect_error(c.post("registered-models/rename", {"name": "reg-c2", "new_name": "reg-taken"}),
                 400, EXISTS)
    # deleting a version drops its aliases; deleting an alias twice is fine
    c.ok(c.raw("DELETE", "/api/2.0/mlflow/model-versions/delete",
               '{"name": "reg-c2", "version": "2"}'))
    # MLflow answers a missing alias with INVALID_PARAMETER_VALUE
    expect_error(c.get("registered-models/alias", {"name": "reg-c2", "alias": "challenger"}),
                 400, INV, "Registered model alias challenger not found.")
    c.ok(c.raw("DELETE", "/api/2.0/mlflow/registered-models/alias",
               '{"name": "reg-c2", "alias": "champion"}'))
    c.ok(c.raw("DELETE", "/api/2.0/mlflow/registered-models/alias",
               '{"name": "reg-c2", "alias": "champion"}'))
    assert "aliases" not in _get(c, "reg-c2")
    # the whole story, under the new name, with who did it
    events = _history(c, "reg-c2")
    assert [e["action"] for e in events] == [
        "create_model", "create_version", "create_version", "create_version", "set_alias",
        "set_alias", "set_alias", "rename", "delete_version", "delete_alias"]
    assert events[6]["detail"] == "@champion: 1 -> 3" and events[7]["detail"] == "reg-c -> reg-c2"
    expect_error(c.get("registered-models/history", {"name": "never-was"}, prefix=FERRY), 404, NF)


def test_audit_records_the_basic_auth_user(srv, c):
    auth = {"Authorization": "Basic " + base64.b64encode(b"alice:secret").decode()}
    r = c.raw("POST", "/api/2.0/mlflow/registered-models/create", '{"name": "reg-d"}', auth)
    assert r.status == 200, r
    r = c.raw("POST", "/api/2.0/mlflow/model-versions/create",
              '{"name": "reg-d", "source": "s3://b/m"}', auth)
    assert r.json["model_version"]["user_id"] == "alice"
    assert [e["user_id"] for e in _history(c, "reg-d")] == ["alice", "alice"]


def test_search_filters_order_and_pages(srv, c):
    run = c.create_run()["info"]["run_id"]
    for i in range(7):
        _model(c, "search-%d" % i, tags=[{"key": "parity", "value": "even" if i % 2 == 0 else
                                          "odd"}])
        _version(c, "search-%d" % i, run_id=run if i < 3 else None,
                 source="runs:/%s/m" % run if i < 3 else "s3://b/%d" % i)
    names = lambda r: [m["name"] for m in r.get("registered_models", [])]  # noqa: E731
    r = c.ok(c.get("registered-models/search", {"filter": "name LIKE 'search-%'"}))
    assert names(r) == ["search-%d" % i for i in range(7)]
    r = c.ok(c.get("registered-models/search", {"filter": "tags.parity = 'odd'"}))
    assert names(r) == ["search-1", "search-3", "search-5"]
    r = c.ok(c.get("registered-models/search", {"filter": "name ILIKE 'SEARCH-1%' OR "
                                                "name = 'search-6'"}))
    assert names(r) == ["search-1", "search-6"]
    r = c.ok(c.get("registered-models/search", {"filter": "name LIKE 'search-%'",
                                                "order_by": ["name DESC"]}))
    assert names(r)[0] == "search-6"
    # pages: complete, in order, no repeats
    seen, token = [], None
    for _ in range(10):
        q = {"filter": "name LIKE 'search-%'", "max_results": 3}
        if token:
            q["page_token"] = token
        r = c.ok(c.get("registered-models/search", q))
        seen += names(r)
        token = r.get("next_page_token")
        if not token:
            break
    assert seen == ["search-%d" % i for i in range(7)]
    # versions
    r = c.ok(c.get("model-versions/search", {"filter": "run_id = '%s'" % run}))
    assert sorted(v["name"] for v in r["model_versions"]) == ["search-0", "search-1", "search-2"]
    r = c.ok(c.get("model-versions/search", {"filter": "name = 'search-4' AND "
                                             "version_number = 1"}))
    assert [(v["name"], v["version"]) for v in r["model_versions"]] == [("search-4", "1")]
    r = c.ok(c.get("model-versions/search", {"filter": "source_path = 's3://b/5'"}))
    assert [v["name"] for v in r["model_versions"]] == ["search-5"]
    r = c.ok(c.get("model-versions/search", {"filter": "tags.none = 'x'"}))
    assert r == {}
    expect_error(c.get("model-versions/search", {"filter": "run_id = "}), 400, INV)
    expect_error(c.get("registered-models/search", {"page_token": "garbage"}), 400, INV)


def test_model_uris_resolve_in_one_place(srv, c):
    run = c.create_run()["info"]
    rid, root = run["run_id"], run["artifact_uri"]
    _model(c, "reg-uri")
    _version(c, "reg-uri", source="runs:/%s/model" % rid, run_id=rid)  # 1
    _version(c, "reg-uri", source="s3://bucket/v2")                      # 2
    _version(c, "reg-uri", source="s3://bucket/v3")                      # 3
    c.ok(c.post("model-versions/transition-stage", {"name": "reg-uri", "version": "2",
                                                    "stage": "Production"}))
    c.ok(c.post("registered-models/alias", {"name": "reg-uri", "alias": "champ",
                                            "version": "1"}))

    def resolve(uri):
        return c.get("models/resolve", {"uri": uri}, prefix=FERRY)

    for uri, want, version in (
            ("models:/reg-uri/1", root + "/model", "1"),
            ("models:/reg-uri/3", "s3://bucket/v3", "3"),
            ("models:/reg-uri/Production", "s3://bucket/v2", "2"),
            ("models:/reg-uri/production", "s3://bucket/v2", "2"),
            ("models:/reg-uri/latest", "s3://bucket/v3", "3"),
            ("models:/reg-uri@champ", root + "/model", "1"),
            ("runs:/%s/model/MLmodel" % rid, root + "/model/MLmodel", None)):
        r = c.ok(resolve(uri))
        assert r["artifact_uri"] == want, (uri, r)
        assert (r.get("model_version") or {}).get("version") == version, (uri, r)
    for uri, status, code in (
            ("models:/reg-uri/Staging", 404, NF), ("models:/reg-uri/9", 404, NF),
            ("models:/reg-uri@nobody", 400, INV), ("models:/nope/1", 404, NF),
            ("models:/reg-uri/1.5", 400, INV), ("models:/reg-uri", 404, NF),
            ("s3://bucket/x", 400, INV), ("runs:/%s/x" % ("0" * 32), 404, NF), ("", 400, INV)):
        expect_error(resolve(uri), status, code)


def test_lineage_from_version_to_run(srv, c):
    run = c.create_run(run_name="trainer")["info"]["run_id"]
    c.log_batch(run, metrics=[{"key": "auc", "value": 0.91, "timestamp": 1, "step": 3}],
                params=[{"key": "depth", "value": "6"}])
    c.ok(c.post("runs/log-inputs", {"run_id": run, "datasets": [{
        "tags": [{"key": "mlflow.data.context", "value": "train"}],
        "dataset": {"name": "wine", "digest": "d1", "source_type": "local",
                    "source": "{\"uri\": \"/data/wine.csv\"}"}}]}))
    _model(c, "reg-lin")
    _version(c, "reg-lin", source="runs:/%s/model" % run, run_id=run)
    _version(c, "reg-lin", source="s3://bucket/manual")
    r = c.ok(c.get("model-versions/lineage", {"name": "reg-lin", "version": "1"}, prefix=FERRY))
    assert r["model_version"]["run_id"] == run
    assert r["artifact_uri"].endswith("/%s/artifacts/model" % run)
    data = r["run"]["data"]
    assert {p["key"]: p["value"] for p in data["params"]} == {"depth": "6"}
    assert [m["key"] for m in data["metrics"]] == ["auc"]
    assert r["run"]["info"]["run_name"] == "trainer"
    ds = r["run"]["inputs"]["dataset_inputs"][0]
    assert ds["dataset"]["name"] == "wine" and ds["tags"][0]["value"] == "train"
    r = c.ok(c.get("model-versions/lineage", {"name": "reg-lin", "version": "2"}, prefix=FERRY))
    assert "run" not in r and r["artifact_uri"] == "s3://bucket/manual"
    expect_error(c.get("model-versions/lineage", {"name": "reg-lin", "version": "3"},
                       prefix=FERRY), 404, NF)


def test_models_cli_over_rest_and_embedded(srv, c):
    import json
    import os
    import subprocess
    import tempfile
    work = tempfile.mkdtemp(prefix="ferry-models-cli-")
    rid = c.create_run()["info"]["run_id"]
    for uri, source in ((srv.url, "runs:/%s/model" % rid),
                        (os.path.join(work, "embedded.db"), "s3://bucket/m1")):
        def ferry(*args):
            return subprocess.run([srv.ferry, "--tracking-uri", uri, "models"] + list(args),
                                  capture_output=True, timeout=60, cwd=work)

        r = ferry("register", source, "--name", "cli-model", "--tag", "team=risk")
        assert r.returncode == 0 and r.stdout == b"registered cli-model version 1\n", r
        assert ferry("register", "s3://bucket/m2", "--name", "cli-model").returncode == 0
        assert ferry("transition", "cli-model", "2", "production", "--archive-existing"
                     ).returncode == 0
        assert ferry("alias", "cli-model", "champion", "1").returncode == 0
        assert ferry("tag", "cli-model", "owner=ana").returncode == 0
        r = ferry("versions", "cli-model", "--json")
        vs = json.loads(r.stdout)["model_versions"]
        assert [(v["version"], v["current_stage"], v.get("aliases")) for v in vs] == [
            ("2", "Production", None), ("1", "None", ["champion"])], vs
        r = ferry("describe", "cli-model", "--json")
        m = json.loads(r.stdout)["registered_model"]
        assert m["tags"] == [{"key": "owner", "value": "ana"}], m
        r = ferry("list", "--filter", "tags.owner = 'ana'")
        assert r.returncode == 0 and b"cli-model" in r.stdout and b"@champion=1" in r.stdout, r
        r = ferry("resolve", "models:/cli-model@champion")
        assert r.returncode == 0 and b"cli-model version 1" in r.stdout, r
        r = ferry("history", "cli-model", "--json")
        actions = [e["action"] for e in json.loads(r.stdout)["events"]]
        assert actions == ["create_model", "create_version", "create_version", "transition",
                           "set_alias", "set_tag"], actions
        # bad input: exit 1 with MLflow's message; usage errors exit 2
        r = ferry("transition", "cli-model", "2", "Prod")
        assert r.returncode == 1 and b"stage" in r.stderr, r
        r = ferry("alias", "cli-model", "v2", "1")
        assert r.returncode == 1 and b"reserved" in r.stderr, r
        r = ferry("transition", "cli-model", "two", "Staging")
        assert r.returncode == 1 and b"version" in r.stderr, r
        assert ferry("describe").returncode == 2
        assert ferry("frobnicate").returncode == 2
        assert ferry("delete", "cli-model", "2").returncode == 0
        assert ferry("delete", "cli-model").returncode == 0
        r = ferry("describe", "cli-model")
        assert r.returncode == 1 and b"not found" in r.stderr, r


def test_models_log_cli_logs_like_mlflow(srv, c):
    """`ferry models log DIR` from a shell (the run from $FERRY_RUN_ID): the files, the completed
    MLmodel and the run's mlflow.log-model.history; then the model serves by its runs:/ URI."""
    import json
    import os
    import subprocess
    import tempfile
    d = os.path.join(tempfile.mkdtemp(prefix="ferry-models-log-"), "m")
    os.makedirs(d)
    with open(os.path.join(d, "MLmodel"), "w") as f:
        f.write("flavors:\n  sklearn: {pickled_model: model.pkl, serialization_format: pickle}\n")
    with open(os.path.join(d, "model.pkl"), "wb") as f:
        f.write(b"not really a pickle")
    rid = c.create_run()["info"]["run_id"]
    env = dict(os.environ, FERRY_RUN_ID=rid)
    run = lambda *a: subprocess.run([srv.ferry, "--tracking-uri", srv.url, "models", "log"] +
                                    list(a), capture_output=True, timeout=60, env=env)
    r = run(d, "--artifact-path", "clf")
    assert r.returncode == 0 and rid.encode() in r.stdout, r
    hist = json.loads({t["key"]: t["value"] for t in c.get_run(rid)["data"]["tags"]}[
        "mlflow.log-model.history"])
    assert hist[0]["artifact_path"] == "clf" and hist[0]["run_id"] == rid, hist
    files = {f["path"] for f in c.ok(c.get("artifacts/list", {"run_id": rid, "path": "clf"}))[
        "files"]}
    assert files == {"clf/MLmodel", "clf/model.pkl"}, files
    assert run(d + "/nope").returncode == 1
    assert run(d, "--run-id", "f" * 32).returncode == 1
    env.pop("FERRY_RUN_ID")
    env.pop("MLFLOW_RUN_ID", None)
    r = run(d)
    assert r.returncode == 2 and b"no run" in r.stderr, r


def test_copying_a_version_keeps_where_its_files_are(srv, c):
    """MLflow's copy_model_version: a version whose source is models:/<name>/<n> records the
    referenced version's location as it stands (a runs:/ there is not followed: its run may live
    in another tracking store), and get-download-uri answers it."""
    _model(c, "copy-src")
    _model(c, "copy-dst")
    _version(c, "copy-src", source="runs:/%s/model" % ("1" * 32), run_id="1" * 32)
    c.ok(c.post("registered-models/alias", {"name": "copy-src", "alias": "prod",
                                            "version": "1"}))
    v = _version(c, "copy-dst", source="models:/copy-src@prod", run_id="1" * 32,
                 tags=[{"key": "hello", "value": "world"}], description="copied")
    assert v["source"] == "models:/copy-src@prod" and v["run_id"] == "1" * 32, v
    r = c.ok(c.get("model-versions/get-download-uri", {"name": "copy-dst", "version": "1"}))
    assert r == {"artifact_uri": "runs:/%s/model" % ("1" * 32)}, r
    expect_error(c.post("model-versions/create", {"name": "copy-dst",
                                                   "source": "models:/copy-src/7"}),
                 500, "INTERNAL_ERROR", "Unable to fetch model from model URI source")
