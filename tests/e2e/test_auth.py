# SPDX-License-Identifier: MIT
"""Authentication and permissions (`ferry server --auth`): MLflow's basic-auth model and REST
API, API tokens, the checks on streaming routes, failed-login limits, and a server that will not
start open. The module's server runs with --auth and an admin made from FERRY_ADMIN_PASSWORD."""
import base64
import json
import os
import subprocess
import tempfile
import urllib.parse

from support.server import API, AJAX, Client, Server, check_error_shape, expect_error, header

ADMIN = ("admin", "adm1n-pw")
FERRY_API = "/api/2.0/ferry/"


class AuthServer(Server):
    def __init__(self, ferry, **kw):
        extra = kw.pop("extra", ["--auth"])
        env = dict(kw.pop("env", {}), FERRY_ADMIN_PASSWORD=ADMIN[1])
        super().__init__(ferry, extra=extra, env=env, **kw)


SERVER = AuthServer


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode()).decode()}


def bearer(token):
    return {"Authorization": "Bearer " + token}


class As:
    """A client that sends one identity's credentials on every call, as MLflow's clients do."""

    def __init__(self, srv, headers):
        self.c = Client(srv.port)
        self.h = headers

    def raw(self, method, path, body=None, headers=None):
        h = dict(self.h)
        h.update(headers or {})
        return self.c.raw(method, path, body, h)

    def post(self, endpoint, doc=None, prefix=API):
        return self.raw("POST", prefix + endpoint, json.dumps(doc if doc is not None else {}))

    def call(self, method, endpoint, doc=None, prefix=API):
        if method == "GET":
            q = urllib.parse.urlencode(doc or {}, doseq=True)
            return self.raw("GET", prefix + endpoint + ("?" + q if q else ""))
        return self.raw(method, prefix + endpoint, json.dumps(doc or {}))

    def get(self, endpoint, params=None, prefix=API):
        return self.call("GET", endpoint, params, prefix)

    def ok(self, r):
        assert r.status == 200, "expected 200, got %r" % r
        return r.json


_users = {}


def user(srv, name, password="pw-" + "x" * 8):
    """A user (made once per server) and a client that sends its credentials."""
    admin = As(srv, basic(*ADMIN))
    if (srv.port, name) not in _users:
        admin.ok(admin.post("users/create", {"username": name, "password": password}))
        _users[(srv.port, name)] = password
    return As(srv, basic(name, _users[(srv.port, name)]))


def test_no_credentials_is_401_json_with_a_basic_challenge(srv, c):
    for method, path in [("GET", API + "experiments/search"), ("POST", API + "runs/create"),
                         ("GET", AJAX + "experiments/search"), ("GET", "/"),
                         ("GET", "/get-artifact?path=a&run_uuid=b"),
                         ("GET", "/api/2.0/mlflow-artifacts/artifacts/0/x"),
                         ("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/x"),
                         ("GET", FERRY_API + "tokens/list")]:
        r = c.raw(method, path, "{}" if method != "GET" else None)
        expect_error(r, 401, "UNAUTHENTICATED", "not authenticated")
        assert header(r, "WWW-Authenticate").startswith("Basic realm="), r.headers
    # public: health checks and the UI's static bundle carry no credentials
    assert c.raw("GET", "/health").status == 200
    assert c.raw("GET", "/version").status == 200
    assert c.raw("GET", "/static/nope.js").status == 404


def test_a_wrong_password_and_an_unknown_user_answer_alike(srv, c):
    user(srv, "carol")
    r1 = As(srv, basic("carol", "wrong")).get("experiments/search")
    r2 = As(srv, basic("nobody", "wrong")).get("experiments/search")
    expect_error(r1, 401, "UNAUTHENTICATED")
    expect_error(r2, 401, "UNAUTHENTICATED")
    assert r1.json["message"] == r2.json["message"]
    for junk in ["Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode(), "Digest x=1",
                 "Bearer ", "Bearer notatoken", "Basic " + base64.b64encode(b"a\0b:c").decode()]:
        expect_error(c.raw("GET", API + "experiments/search", None, {"Authorization": junk}),
                     401, "UNAUTHENTICATED")


def test_users_rest_api_as_mlflow_has_it(srv, c):
    admin = As(srv, basic(*ADMIN))
    u = admin.ok(admin.post("users/create", {"username": "dave", "password": "pw1"}))["user"]
    assert u["username"] == "dave" and u["is_admin"] is False and isinstance(u["id"], int)
    assert u["experiment_permissions"] == [] and u["registered_model_permissions"] == []
    assert "password" not in json.dumps(u)
    r = admin.post("users/create", {"username": "dave", "password": "pw2"})
    expect_error(r, 400, "RESOURCE_ALREADY_EXISTS", "User (username=dave) already exists.")
    expect_error(admin.post("users/create", {"username": "", "password": "x"}), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(admin.post("users/create", {"username": "eve", "password": ""}), 400,
                 "INVALID_PARAMETER_VALUE", "Password cannot be empty.")
    expect_error(admin.get("users/get", {"username": "ghost"}), 404, "RESOURCE_DOES_NOT_EXIST",
                 "User with username=ghost not found")
    dave = As(srv, basic("dave", "pw1"))
    assert dave.ok(dave.get("users/get", {"username": "dave"}))["user"]["username"] == "dave"
    # a user reads and changes only itself; admin rights are an admin's to give
    expect_error(dave.get("users/get", {"username": "admin"}), 403, "PERMISSION_DENIED")
    expect_error(dave.post("users/create", {"username": "x", "password": "y"}), 403,
                 "PERMISSION_DENIED")
    expect_error(dave.call("PATCH", "users/update-admin", {"username": "dave", "is_admin": True}),
                 403, "PERMISSION_DENIED")
    expect_error(dave.call("PATCH", "users/update-password",
                           {"username": "admin", "password": "owned"}), 403, "PERMISSION_DENIED")
    assert admin.ok(admin.get("users/get", {"username": "admin"}))  # still the old password
    dave.ok(dave.call("PATCH", "users/update-password", {"username": "dave", "password": "pw2"}))
    expect_error(dave.get("users/get", {"username": "dave"}), 401, "UNAUTHENTICATED")
    dave = As(srv, basic("dave", "pw2"))
    dave.ok(dave.get("users/get", {"username": "dave"}))
    admin.ok(admin.call("PATCH", "users/update-admin", {"username": "dave", "is_admin": True}))
    listed = dave.ok(dave.get("users/list", prefix=FERRY_API))["users"]
    assert {"admin", "dave"} <= {x["username"] for x in listed}
    admin.ok(admin.call("DELETE", "users/delete", {"username": "dave"}))
    expect_error(dave.get("users/get", {"username": "dave"}), 401, "UNAUTHENTICATED")
    expect_error(admin.call("DELETE", "users/delete", {"username": "dave"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")


def test_experiment_permissions(srv, c):
    alice, bob = user(srv, "alice"), user(srv, "bob")
    exp = alice.ok(alice.post("experiments/create", {"name": "alice-exp"}))["experiment_id"]
    # the creator manages it
    perm = alice.ok(alice.get("experiments/permissions/get",
                              {"experiment_id": exp, "username": "alice"}))
    assert perm["experiment_permission"]["permission"] == "MANAGE", perm
    run = alice.ok(alice.post("runs/create", {"experiment_id": exp}))["run"]["info"]["run_id"]
    # bob has the default, READ: reads, cannot write or delete or manage
    assert bob.ok(bob.get("experiments/get", {"experiment_id": exp}))
    assert bob.ok(bob.get("runs/get", {"run_id": run}))
    expect_error(bob.post("runs/create", {"experiment_id": exp}), 403, "PERMISSION_DENIED",
                 "Permission denied")
    expect_error(bob.post("runs/log-metric", {"run_id": run, "key": "m", "value": 1,
                                              "timestamp": 1}), 403, "PERMISSION_DENIED")
    expect_error(bob.post("experiments/delete", {"experiment_id": exp}), 403, "PERMISSION_DENIED")
    expect_error(bob.post("experiments/permissions/create",
                          {"experiment_id": exp, "username": "bob", "permission": "MANAGE"}),
                 403, "PERMISSION_DENIED")
    # alice gives bob EDIT: now he logs, still cannot delete
    r = alice.ok(alice.post("experiments/permissions/create",
                            {"experiment_id": exp, "username": "bob", "permission": "EDIT"}))
    assert r["experiment_permission"]["permission"] == "EDIT"
    bob.ok(bob.post("runs/log-metric", {"run_id": run, "key": "m", "value": 1, "timestamp": 1}))
    expect_error(bob.post("runs/delete", {"run_id": run}), 403, "PERMISSION_DENIED")
    expect_error(alice.post("experiments/permissions/create",
                            {"experiment_id": exp, "username": "bob", "permission": "READ"}),
                 400, "RESOURCE_ALREADY_EXISTS")
    expect_error(alice.call("PATCH", "experiments/permissions/update",
                            {"experiment_id": exp, "username": "bob", "permission": "ROOT"}),
                 400, "INVALID_PARAMETER_VALUE", "Invalid permission 'ROOT'")
    # NO_PERMISSIONS: bob no longer sees it, in a get or in a search
    alice.ok(alice.call("PATCH", "experiments/permissions/update",
                        {"experiment_id": exp, "username": "bob",
                         "permission": "NO_PERMISSIONS"}))
    expect_error(bob.get("experiments/get", {"experiment_id": exp}), 403, "PERMISSION_DENIED")
    expect_error(bob.post("runs/search", {"experiment_ids": [exp]}), 403, "PERMISSION_DENIED")
    found = bob.ok(bob.post("experiments/search", {"max_results": 1000}))
    assert exp not in [e["experiment_id"] for e in found.get("experiments", [])]
    found = alice.ok(alice.post("experiments/search", {"max_results": 1000}))
    assert exp in [e["experiment_id"] for e in found["experiments"]]
    # deleting the permission brings the default back
    alice.ok(alice.call("DELETE", "experiments/permissions/delete",
                        {"experiment_id": exp, "username": "bob"}))
    assert bob.ok(bob.get("experiments/get", {"experiment_id": exp}))
    expect_error(alice.get("experiments/permissions/get", {"experiment_id": exp,
                                                           "username": "bob"}),
                 404, "RESOURCE_DOES_NOT_EXIST",
                 "Experiment permission with experiment_id=%s and username=bob not found" % exp)
    expect_error(alice.post("experiments/permissions/create",
                            {"experiment_id": exp, "username": "ghost", "permission": "READ"}),
                 404, "RESOURCE_DOES_NOT_EXIST", "User with username=ghost not found")
    # the run records who the server checked, not who the client claims to be
    r = alice.ok(alice.post("runs/create", {"experiment_id": exp, "user_id": "mallory"}))
    assert r["run"]["info"]["user_id"] == "alice", r


def test_registered_model_permissions(srv, c):
    alice, bob = user(srv, "alice"), user(srv, "bob")
    alice.ok(alice.post("registered-models/create", {"name": "fraud"}))
    assert bob.ok(bob.get("registered-models/get", {"name": "fraud"}))
    expect_error(bob.call("PATCH", "registered-models/update",
                          {"name": "fraud", "description": "mine"}), 403, "PERMISSION_DENIED")
    expect_error(bob.call("DELETE", "registered-models/delete", {"name": "fraud"}), 403,
                 "PERMISSION_DENIED")
    alice.ok(alice.post("registered-models/permissions/create",
                        {"name": "fraud", "username": "bob", "permission": "NO_PERMISSIONS"}))
    expect_error(bob.get("registered-models/get", {"name": "fraud"}), 403, "PERMISSION_DENIED")
    names = [m["name"] for m in bob.ok(bob.get("registered-models/search")).get(
        "registered_models", [])]
    assert "fraud" not in names
    # a deleted model's permissions go with it: a new model of that name starts clean
    alice.ok(alice.call("DELETE", "registered-models/delete", {"name": "fraud"}))
    bob.ok(bob.post("registered-models/create", {"name": "fraud"}))
    got = bob.ok(bob.get("registered-models/permissions/get", {"name": "fraud",
                                                               "username": "bob"}))
    assert got["registered_model_permission"]["permission"] == "MANAGE", got


def test_api_tokens(srv, c):
    alice = user(srv, "alice")
    exp = alice.ok(alice.post("experiments/create", {"name": "tok-exp"}))["experiment_id"]
    made = alice.ok(alice.post("tokens/create", {"name": "ci"}, prefix=FERRY_API))
    tok = made["token"]
    assert tok.startswith("ferry_") and made["token_info"]["username"] == "alice"
    t = As(srv, bearer(tok))
    run = t.ok(t.post("runs/create", {"experiment_id": exp}))["run"]["info"]
    assert run["user_id"] == "alice"
    # a read-only token cannot write where its user could
    ro = alice.ok(alice.post("tokens/create", {"name": "dash", "scopes": "*:READ"},
                             prefix=FERRY_API))
    r = As(srv, bearer(ro["token"]))
    assert r.ok(r.get("runs/get", {"run_id": run["run_id"]}))
    expect_error(r.post("runs/log-metric", {"run_id": run["run_id"], "key": "m", "value": 1,
                                            "timestamp": 1}), 403, "PERMISSION_DENIED")
    # a token for one experiment alone, as the processes the server starts get
    other = alice.ok(alice.post("experiments/create", {"name": "tok-other"}))["experiment_id"]
    one = alice.ok(alice.post("tokens/create", {"name": "one", "scopes": "experiment/%s:EDIT" % exp},
                              prefix=FERRY_API))
    o = As(srv, bearer(one["token"]))
    o.ok(o.post("runs/create", {"experiment_id": exp}))
    expect_error(o.post("runs/create", {"experiment_id": other}), 403, "PERMISSION_DENIED")
    expect_error(o.post("experiments/create", {"name": "not-by-this-token"}), 403,
                 "PERMISSION_DENIED")
    expect_error(alice.post("tokens/create", {"name": "x", "scopes": "experiment:GOD"},
                            prefix=FERRY_API), 400, "INVALID_PARAMETER_VALUE")
    expect_error(alice.post("tokens/create", {"name": "x", "username": "admin"},
                            prefix=FERRY_API), 403, "PERMISSION_DENIED")
    listed = alice.ok(alice.get("tokens/list", prefix=FERRY_API))["tokens"]
    assert {x["name"] for x in listed} >= {"ci", "dash"}
    assert tok not in json.dumps(listed)
    # bob cannot revoke alice's token; alice can, and it stops working at once
    bob = user(srv, "bob")
    tid = made["token_info"]["id"]
    expect_error(bob.post("tokens/revoke", {"token_id": tid}, prefix=FERRY_API), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    alice.ok(alice.post("tokens/revoke", {"token_id": tid}, prefix=FERRY_API))
    expect_error(t.get("runs/get", {"run_id": run["run_id"]}), 401, "UNAUTHENTICATED", "revoked")
    expect_error(As(srv, bearer("ferry_" + "A" * 43)).get("experiments/search"), 401,
                 "UNAUTHENTICATED")


def test_streaming_routes_are_checked_before_the_body(srv, c):
    alice, bob = user(srv, "alice"), user(srv, "bob")
    exp = alice.ok(alice.post("experiments/create", {"name": "art-exp"}))["experiment_id"]
    run = alice.ok(alice.post("runs/create", {"experiment_id": exp}))["run"]["info"]
    path = "/api/2.0/mlflow-artifacts/artifacts/%s/%s/artifacts/f.txt" % (exp, run["run_id"])
    assert alice.raw("PUT", path, b"hello").status == 200
    expect_error(bob.raw("PUT", path, b"overwritten"), 403, "PERMISSION_DENIED")
    expect_error(bob.raw("DELETE", path), 403, "PERMISSION_DENIED")
    assert bob.raw("GET", path).body == b"hello"
    alice.ok(alice.post("experiments/permissions/create",
                        {"experiment_id": exp, "username": "bob",
                         "permission": "NO_PERMISSIONS"}))
    expect_error(bob.raw("GET", path), 403, "PERMISSION_DENIED")
    expect_error(bob.raw("GET", "/get-artifact?path=f.txt&run_uuid=" + run["run_id"]), 403,
                 "PERMISSION_DENIED")
    assert alice.raw("GET", path).body == b"hello"


def test_gc_and_user_listing_are_for_admins(srv, c):
    bob = user(srv, "bob")
    expect_error(bob.post("gc", {"dry_run": True}, prefix=FERRY_API), 403, "PERMISSION_DENIED")
    expect_error(bob.get("users/list", prefix=FERRY_API), 403, "PERMISSION_DENIED")
    admin = As(srv, basic(*ADMIN))
    admin.ok(admin.post("gc", {"dry_run": True}, prefix=FERRY_API))


def test_failed_logins_are_limited_per_client(srv, c):
    own = AuthServer(srv.ferry).start()
    try:
        bad = As(own, basic("admin", "guess"))
        for _ in range(10):
            expect_error(bad.get("experiments/search"), 401, "UNAUTHENTICATED")
        r = bad.get("experiments/search")
        expect_error(r, 429, "REQUEST_LIMIT_EXCEEDED", "too many failed logins")
        assert int(header(r, "Retry-After")) > 0
        # during the window even the right password is refused from that address
        expect_error(As(own, basic(*ADMIN)).get("experiments/search"), 429,
                     "REQUEST_LIMIT_EXCEEDED")
    finally:
        assert own.stop() == 0


def _start_fails(ferry, args, env=None):
    d = tempfile.mkdtemp(prefix="ferry-e2e-")
    p = subprocess.run([ferry, "server", "--port", "0", "--backend-store-uri",
                        "sqlite://" + os.path.join(d, "f.db")] + args,
                       capture_output=True, timeout=60, cwd=d,
                       env=dict(os.environ, **(env or {})))
    assert p.returncode == 1 and b"listening" not in p.stdout, p
    return p.stderr.decode()


def test_no_server_starts_open_without_an_admin(srv, c):
    # --auth on loopback, and the default on any other address: refused before it listens
    err = _start_fails(srv.ferry, ["--host", "127.0.0.1", "--auth"])
    assert "no admin user" in err and "ferry users create" in err, err
    err = _start_fails(srv.ferry, ["--host", "0.0.0.0"])
    assert "non-loopback" in err, err
    err = _start_fails(srv.ferry, ["--host", "127.0.0.1", "--auth", "--default-permission",
                                   "ALL"])
    assert "Invalid permission 'ALL'" in err, err
    err = _start_fails(srv.ferry, ["--host", "127.0.0.1", "--run-as", "no-such-user-here"])
    assert "no user 'no-such-user-here'" in err, err
    err = _start_fails(srv.ferry, ["--host", "127.0.0.1", "--run-as", "root"])
    assert "it is root" in err, err


def test_the_first_admin_from_the_cli(srv, c):
    d = tempfile.mkdtemp(prefix="ferry-e2e-")
    db = "sqlite://" + os.path.join(d, "f.db")
    p = subprocess.run([srv.ferry, "--tracking-uri", db, "users", "create", "root", "--admin",
                        "--password-stdin"], input=b"r00t-pw\n", capture_output=True, timeout=60)
    assert p.returncode == 0 and b"created user 'root' (admin)" in p.stdout, p
    p = subprocess.run([srv.ferry, "--tracking-uri", db, "users", "create", "x"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    assert p.returncode == 2 and b"--password-stdin" in p.stderr, p
    own = Server(srv.ferry, store=db, extra=["--auth"]).start()
    try:
        r = As(own, basic("root", "r00t-pw")).get("experiments/search")
        assert r.status == 200, r
        # and the CLI through the server, as that admin
        env = dict(os.environ, MLFLOW_TRACKING_USERNAME="root", MLFLOW_TRACKING_PASSWORD="r00t-pw")
        p = subprocess.run([srv.ferry, "--tracking-uri", own.url, "users", "list"],
                           capture_output=True, timeout=60, env=env)
        assert p.returncode == 0 and b"root" in p.stdout, p
        p = subprocess.run([srv.ferry, "--tracking-uri", own.url, "tokens", "create", "--name",
                            "ci"], capture_output=True, timeout=60, env=env)
        assert p.returncode == 0 and p.stdout.startswith(b"ferry_"), p
        env = dict(os.environ, MLFLOW_TRACKING_TOKEN=p.stdout.decode().strip())
        p = subprocess.run([srv.ferry, "--tracking-uri", own.url, "experiments", "list"],
                           capture_output=True, timeout=60, env=env)
        assert p.returncode == 0 and b"Default" in p.stdout, p
    finally:
        assert own.stop() == 0


def test_trimmed_search_pages_are_filled_and_page_on_exactly(srv, c):
    alice, bob = user(srv, "alice"), user(srv, "bob")
    hidden, shown = [], []
    for i in range(12):
        e = alice.ok(alice.post("experiments/create", {"name": "page-%02d" % i}))["experiment_id"]
        if i % 3:
            alice.ok(alice.post("experiments/permissions/create",
                                {"experiment_id": e, "username": "bob",
                                 "permission": "NO_PERMISSIONS"}))
            hidden.append(e)
        else:
            shown.append(e)
    seen, token, pages = [], None, 0
    while pages < 50:
        body = {"max_results": 3, "filter": "name LIKE 'page-%'"}
        if token:
            body["page_token"] = token
        r = bob.ok(bob.post("experiments/search", body))
        got = [e["experiment_id"] for e in r.get("experiments", [])]
        pages += 1
        token = r.get("next_page_token")
        # a page is full while more readable ones follow
        assert len(got) == 3 or not token, (got, token)
        seen += got
        if not token:
            break
    assert sorted(seen, key=int) == sorted(shown, key=int), (seen, shown)
    assert not set(seen) & set(hidden)


# ---------- regressions from the security review ----------

def test_a_model_version_cannot_point_at_files_its_creator_may_not_read(srv, c):
    alice, bob = user(srv, "alice"), user(srv, "bob")
    exp = alice.ok(alice.post("experiments/create", {"name": "src-exp"}))["experiment_id"]
    run = alice.ok(alice.post("runs/create", {"experiment_id": exp}))["run"]["info"]["run_id"]
    path = "/api/2.0/mlflow-artifacts/artifacts/%s/%s/artifacts/secret.txt" % (exp, run)
    assert alice.raw("PUT", path, b"TOPSECRET").status == 200
    alice.ok(alice.post("experiments/permissions/create", {
        "experiment_id": exp, "username": "bob", "permission": "NO_PERMISSIONS"}))
    bob.ok(bob.post("registered-models/create", {"name": "bob-steals"}))
    for body in ({"source": "mlflow-artifacts:/%s/%s/artifacts" % (exp, run)},
                 {"source": "runs:/%s/" % run},
                 {"source": "s3://bucket/x", "run_id": run}):
        body["name"] = "bob-steals"
        expect_error(bob.post("model-versions/create", body), 403, "PERMISSION_DENIED")
    r = bob.get("registered-models/get", {"name": "bob-steals"})
    assert not bob.ok(r)["registered_model"].get("latest_versions"), r
    # alice, who may read it, may
    alice.ok(alice.post("registered-models/create", {"name": "alice-own"}))
    alice.ok(alice.post("model-versions/create", {
        "name": "alice-own", "source": "mlflow-artifacts:/%s/%s/artifacts" % (exp, run)}))


def test_an_experiment_id_has_one_spelling_for_permissions(srv, c):
    alice, bob = user(srv, "alice"), user(srv, "bob")
    exp = alice.ok(alice.post("experiments/create", {"name": "spelled"}))["experiment_id"]
    alice.ok(alice.post("experiments/permissions/create", {
        "experiment_id": "0" + exp, "username": "bob", "permission": "NO_PERMISSIONS"}))
    for spelled in (exp, "0" + exp, "00" + exp):
        expect_error(bob.get("experiments/get", {"experiment_id": spelled}), 403,
                     "PERMISSION_DENIED")
    got = alice.ok(alice.get("experiments/permissions/get", {"experiment_id": exp,
                                                             "username": "bob"}))
    assert got["experiment_permission"]["experiment_id"] == exp, got


def test_renaming_a_model_moves_its_permissions(srv, c):
    alice, bob = user(srv, "alice"), user(srv, "bob")
    alice.ok(alice.post("registered-models/create", {"name": "before"}))
    alice.ok(alice.post("registered-models/permissions/create", {
        "name": "before", "username": "bob", "permission": "NO_PERMISSIONS"}))
    alice.ok(alice.post("registered-models/rename", {"name": "before", "new_name": "after"}))
    alice.ok(alice.call("PATCH", "registered-models/update", {"name": "after",
                                                              "description": "still mine"}))
    expect_error(bob.get("registered-models/get", {"name": "after"}), 403, "PERMISSION_DENIED")
    # the old name is free, and whoever takes it starts clean
    bob.ok(bob.post("registered-models/create", {"name": "before"}))
    expect_error(alice.call("PATCH", "registered-models/update", {
        "name": "before", "description": "alice was here"}), 403, "PERMISSION_DENIED")


def test_purged_experiments_take_their_permissions_along(srv, c):
    alice = user(srv, "alice")
    admin = As(srv, basic(*ADMIN))
    exp = alice.ok(alice.post("experiments/create", {"name": "to-purge"}))["experiment_id"]
    alice.ok(alice.post("experiments/delete", {"experiment_id": exp}))
    admin.ok(admin.post("gc", {"run_ids": [], "dry_run": False}, prefix=FERRY_API))
    expect_error(alice.get("experiments/permissions/get", {"experiment_id": exp,
                                                           "username": "alice"}),
                 404, "RESOURCE_DOES_NOT_EXIST")


def test_the_artifact_root_listing_is_an_admins(srv, c):
    bob = user(srv, "bob")
    expect_error(bob.raw("GET", "/api/2.0/mlflow-artifacts/artifacts"), 403, "PERMISSION_DENIED")
    admin = As(srv, basic(*ADMIN))
    assert admin.raw("GET", "/api/2.0/mlflow-artifacts/artifacts").status == 200


def test_parallel_guesses_are_counted_as_they_arrive(srv, c):
    import threading
    own = AuthServer(srv.ferry).start()
    try:
        statuses, lock = [], threading.Lock()

        def guess():
            r = As(own, basic("admin", "guess")).get("experiments/search")
            with lock:
                statuses.append(r.status)

        threads = [threading.Thread(target=guess) for _ in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert statuses.count(401) <= 10 and statuses.count(401) + statuses.count(429) == 24, \
            statuses
    finally:
        assert own.stop() == 0
