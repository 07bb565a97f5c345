# SPDX-License-Identifier: MIT
"""The datasets REST API (issue 19) under /api/2.0/ferry/datasets/: objects sent as packs
(objects/upload), asked for (objects/missing) and fetched (objects/download); versions created
from a manifest naming them, read by number, alias and "latest", tagged, aliased, profiled,
diffed and deleted. Bad input gets MLflow's error shape: names and aliases that break the rules,
versions that do not exist, a manifest changed on its way (its digest no longer matches), a
version naming an object the server lacks (refused, nothing created), a corrupt pack (refused,
nothing recorded). The artifact routes never read, list or write the data root's datasets/, and
no experiment may put its artifacts there. With --auth, a reader reads and cannot write; the
author is the signed-in user whatever the request claims. Runs on SQLite and PostgreSQL."""
import hashlib
import json
import os
import struct

from support.server import Server, expect_error
from test_auth import ADMIN, AuthServer, basic, user, As

FERRY = "/api/2.0/ferry/"
DS = FERRY + "datasets/"
MIB = 1 << 20


def sha(b):
    return hashlib.sha256(b).hexdigest()


def pack(objects, tamper=None):
    """A pack of objects (bytes): FERRYPK1, 'O' records, the 'E' record. tamper: 'digest'
    (the first object's digest wrong), 'trailer', 'magic', 'truncate', 'count'."""
    out = bytearray(b"FERRYPK1" if tamper != "magic" else b"FERRYPK9")
    for i, data in enumerate(objects):
        d = bytes.fromhex(sha(data))
        if tamper == "digest" and i == 0:
            d = bytes.fromhex(sha(data + b"x"))
        out += b"O" + d + struct.pack(">Q", len(data)) + data
    count = len(objects) + (1 if tamper == "count" else 0)
    out += b"E" + struct.pack(">Q", count)
    # the trailer: SHA-256 of every byte before it ('E' and the count included)
    body = bytes(out) + (hashlib.sha256(bytes(out)).digest() if tamper != "trailer"
                         else bytes(32))
    if tamper == "truncate":
        body = body[:-10]
    return body


def manifest(files, dirs=(), links=()):
    """files: {path: bytes} (each at most 8 MiB). The manifest as a dict."""
    return {"format": "ferry-data/1", "chunk_size": 8 * MIB,
            "files": [{"path": p, "size": len(b), "mode": "0644", "sha256": sha(b)}
                      for p, b in sorted(files.items(), key=lambda kv: kv[0].encode())],
            "dirs": sorted(dirs), "links": list(links)}


def canonical(m):
    return json.dumps(m, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def upload(c, objects, headers=None, tamper=None):
    return c.raw("POST", DS + "objects/upload", pack(objects, tamper),
                 dict({"Content-Type": "application/octet-stream"}, **(headers or {})))


def missing(c, digests):
    return c.ok(c.post("datasets/objects/missing", {"digests": digests}, prefix=FERRY))["missing"]


def create(c, name, files, **kw):
    doc = dict(kw, name=name, manifest=manifest(files))
    return c.post("datasets/versions/create", doc, prefix=FERRY)


def get(c, endpoint, **q):
    return c.get("datasets/" + endpoint, q, prefix=FERRY)


def read_pack(body):
    """[(digest, bytes)] of a pack, checking what the server sent."""
    assert body[:8] == b"FERRYPK1", body[:8]
    at, out = 8, []
    while body[at:at + 1] == b"O":
        d = body[at + 1:at + 33].hex()
        n = struct.unpack(">Q", body[at + 33:at + 41])[0]
        data = body[at + 41:at + 41 + n]
        assert sha(data) == d
        out.append((d, data))
        at += 41 + n
    assert body[at:at + 1] == b"E", body[at:at + 1]
    assert struct.unpack(">Q", body[at + 1:at + 9])[0] == len(out)
    assert body[at + 9:at + 41] == hashlib.sha256(body[:at + 9]).digest()
    assert at + 41 == len(body)
    return out


TRAIN_V1 = b"a,b\n1,x\n2,y\n"
TRAIN_V2 = b"a,c\n1,1.5\n2,2.5\n3,3.5\n"
PROFILE_V1 = {"format": "ferry-profile/1", "files": {"train.csv": {"rows": 2, "columns": [
    {"name": "a", "type": "integer", "nulls": 0, "distinct": 2},
    {"name": "b", "type": "text", "nulls": 0, "distinct": 2}]}}}
PROFILE_V2 = {"format": "ferry-profile/1", "files": {"train.csv": {"rows": 3, "columns": [
    {"name": "a", "type": "float", "nulls": 0, "distinct": 3},
    {"name": "c", "type": "float", "nulls": 0, "distinct": 3}]}}}


def test_objects_versions_aliases_tags_and_diff(srv, c):
    readme, notes = b"hello\n", b"notes " * 1000
    objs = [TRAIN_V1, readme, notes]
    digests = [sha(b) for b in objs]
    assert sorted(missing(c, digests)) == sorted(digests)
    r = c.ok(upload(c, objs))
    assert r["stored"] == 3 and r["bytes"] == sum(map(len, objs)), r
    assert missing(c, digests + ["0" * 64]) == ["0" * 64]
    # the same pack again stores nothing new
    assert c.ok(upload(c, objs))["stored"] == 0

    files = {"train.csv": TRAIN_V1, "docs/readme.txt": readme, "docs/notes.txt": notes}
    r = c.ok(create(c, "sales", files, message="first", tags=[{"key": "k", "value": "v"}],
                    author="claimed", profile=PROFILE_V1))
    v1 = r["dataset_version"]
    assert r["created"] is True
    assert v1["name"] == "sales" and v1["version"] == 1 and v1["message"] == "first"
    assert v1["author"] == "claimed"  # no auth: the client's claim
    assert v1["file_count"] == 3 and v1["size_bytes"] == sum(map(len, objs))
    assert v1["digest"] == sha(canonical(manifest(files)).encode())
    assert v1["tags"] == [{"key": "k", "value": "v"}]
    # the same content again: the same version, nothing created
    r = c.ok(create(c, "sales", files, message="again"))
    assert r["created"] is False and r["dataset_version"]["version"] == 1

    got = c.ok(get(c, "versions/get", name="sales", version="1", with_manifest="true"))
    got = got["dataset_version"]
    assert got["digest"] == v1["digest"] and sha(canonical(got["manifest"]).encode()) == \
        v1["digest"]
    assert c.ok(get(c, "versions/get", name="sales"))["dataset_version"]["version"] == 1
    assert "manifest" not in c.ok(get(c, "versions/get", name="sales", version="latest"))[
        "dataset_version"]

    # version 2: train.csv changed, notes removed, a new file
    c.ok(upload(c, [TRAIN_V2, b"new"]))
    files2 = {"train.csv": TRAIN_V2, "docs/readme.txt": readme, "extra.bin": b"new"}
    v2 = c.ok(create(c, "sales", files2, profile=PROFILE_V2))["dataset_version"]
    assert v2["version"] == 2 and v2["has_profile"] is True
    c.ok(c.post("datasets/aliases/set", {"name": "sales", "alias": "prod", "version": 1},
                prefix=FERRY))
    assert c.ok(get(c, "versions/get", name="sales", alias="prod"))["dataset_version"][
        "version"] == 1
    assert c.ok(get(c, "versions/get", name="sales", version="prod"))["dataset_version"][
        "version"] == 1
    assert c.ok(get(c, "versions/get", name="sales", version="latest"))["dataset_version"][
        "version"] == 2
    c.ok(c.post("datasets/tags/set", {"name": "sales", "version": "2", "key": "q",
                                      "value": "ok"}, prefix=FERRY))
    tags = c.ok(get(c, "versions/get", name="sales", version="2"))["dataset_version"]["tags"]
    assert {"key": "q", "value": "ok"} in tags
    c.ok(c.post("datasets/tags/delete", {"name": "sales", "version": "2", "key": "q"},
                prefix=FERRY))
    assert c.ok(get(c, "versions/get", name="sales", version="2"))["dataset_version"][
        "tags"] == []

    d = c.ok(get(c, "diff", name="sales", **{"from": "prod", "to": "2"}))["diff"]
    assert d["from"] == 1 and d["to"] == 2
    assert [e["path"] for e in d["added"]] == ["extra.bin"]
    assert [e["path"] for e in d["removed"]] == ["docs/notes.txt"]
    assert [(e["path"], e["size_before"], e["size_after"]) for e in d["changed"]] == [
        ("train.csv", len(TRAIN_V1), len(TRAIN_V2))]
    assert d["unchanged"] == 1
    csv = {e["path"]: e for e in d["csv"]}["train.csv"]
    assert csv["rows_before"] == 2 and csv["rows_after"] == 3, csv
    assert csv["columns_added"] == ["c"] and csv["columns_removed"] == ["b"], csv
    assert [x["name"] for x in csv["columns_retyped"]] == ["a"], csv

    prof = c.ok(get(c, "profile", name="sales", version="2"))["profile"]
    assert prof["files"]["train.csv"]["rows"] == 3
    assert c.ok(get(c, "runs", name="sales", version="1"))["runs"] == []
    # a run that logged version 1 as a dataset input (as `ferry data log` does)
    run = c.create_run()["info"]["run_id"]
    c.ok(c.post("runs/log-inputs", {"run_id": run, "datasets": [{
        "dataset": {"name": "sales", "digest": v1["digest"][:10], "source_type": "ferry",
                    "source": "data:/sales/1"},
        "tags": [{"key": "mlflow.data.context", "value": "training"}]}]}))
    runs = c.ok(get(c, "runs", name="sales", alias="prod"))["runs"]
    assert [(x["run_id"], x["context"]) for x in runs] == [(run, "training")], runs
    assert c.ok(get(c, "runs", name="sales", version="2"))["runs"] == []

    ds = c.ok(get(c, "get", name="sales"))["dataset"]
    assert ds["latest_version"] == 2 and ds["version_count"] == 2
    assert {"alias": "prod", "version": 1} in ds["aliases"]
    assert "sales" in [x["name"] for x in c.ok(get(c, "list"))["datasets"]]
    vs = c.ok(get(c, "versions", name="sales"))["dataset_versions"]
    assert [v["version"] for v in vs] == [2, 1]

    # a download answers a pack of exactly what was asked (repeats once), with its length
    r = c.raw("POST", DS + "objects/download",
              json.dumps({"digests": [sha(notes), sha(TRAIN_V2), sha(notes)]}))
    assert r.status == 200, r
    assert read_pack(r.body) == [(sha(notes), notes), (sha(TRAIN_V2), TRAIN_V2)]
    expect_error(c.raw("POST", DS + "objects/download", json.dumps({"digests": ["1" * 64]})),
                 404, "RESOURCE_DOES_NOT_EXIST", "1" * 64)

    # deletes: a version (its number never reused), then the dataset
    c.ok(c.post("datasets/versions/delete", {"name": "sales", "version": "2"}, prefix=FERRY))
    expect_error(get(c, "versions/get", name="sales", version="2"), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    v3 = c.ok(create(c, "sales", files2))["dataset_version"]
    assert v3["version"] == 3
    c.ok(c.post("datasets/delete", {"name": "sales"}, prefix=FERRY))
    expect_error(get(c, "get", name="sales"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_a_large_object_goes_loose_and_comes_back(srv, c):
    big = os.urandom(MIB + 17)
    assert c.ok(upload(c, [big, b"small"]))["stored"] == 2
    c.ok(create(c, "big", {"big.bin": big, "s.txt": b"small"}))
    r = c.raw("POST", DS + "objects/download", json.dumps({"digests": [sha(big)]}))
    assert r.status == 200 and read_pack(r.body) == [(sha(big), big)]


def test_bad_names_aliases_and_versions(srv, c):
    c.ok(upload(c, [b"x"]))
    for bad in ["-lead", "a/b", "a b", "x" * 257, "ü"]:
        expect_error(create(c, bad, {"f": b"x"}), 400, "INVALID_PARAMETER_VALUE")
        expect_error(get(c, "get", name=bad), 400, "INVALID_PARAMETER_VALUE")
    expect_error(create(c, "", {"f": b"x"}), 400, "INVALID_PARAMETER_VALUE", "name")
    c.ok(create(c, "ok.name_1-2", {"f": b"x"}))
    for bad in ["latest", "v3", "a b", "x" * 256, "a.b"]:
        expect_error(c.post("datasets/aliases/set", {"name": "ok.name_1-2", "alias": bad,
                                                     "version": 1}, prefix=FERRY),
                     400, "INVALID_PARAMETER_VALUE")
    expect_error(c.post("datasets/aliases/set", {"name": "ok.name_1-2", "alias": "prod",
                                                 "version": 9}, prefix=FERRY),
                 404, "RESOURCE_DOES_NOT_EXIST")
    expect_error(c.post("datasets/aliases/delete", {"name": "ok.name_1-2", "alias": "nope"},
                        prefix=FERRY), 404, "RESOURCE_DOES_NOT_EXIST")
    expect_error(get(c, "versions/get", name="ok.name_1-2", version="9"), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    expect_error(get(c, "versions/get", name="ok.name_1-2", alias="nope"), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    expect_error(get(c, "versions/get", name="nope", version="1"), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    expect_error(get(c, "versions/get", name="ok.name_1-2", version="1", alias="prod"), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(get(c, "versions", name="nope"), 404, "RESOURCE_DOES_NOT_EXIST")
    expect_error(get(c, "diff", name="ok.name_1-2", **{"from": "1", "to": "7"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    expect_error(get(c, "diff", name="ok.name_1-2", **{"from": "1"}), 400,
                 "INVALID_PARAMETER_VALUE", "to")
    expect_error(c.post("datasets/versions/delete", {"name": "ok.name_1-2", "version": "5"},
                        prefix=FERRY), 404, "RESOURCE_DOES_NOT_EXIST")
    expect_error(c.post("datasets/delete", {"name": "nope"}, prefix=FERRY), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    expect_error(get(c, "list", max_results=5000), 400, "INVALID_PARAMETER_VALUE")
    expect_error(c.post("datasets/objects/missing", {"digests": ["xyz"]}, prefix=FERRY), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.post("datasets/objects/missing", {"digests": {"a": 1}}, prefix=FERRY), 400,
                 "INVALID_PARAMETER_VALUE", "digests")
    expect_error(c.post("datasets/objects/missing", {"digests": ["a" * 64] * 200001},
                        prefix=FERRY), 400, "INVALID_PARAMETER_VALUE", "too many")


def test_bad_manifests_are_refused_and_create_nothing(srv, c):
    c.ok(upload(c, [b"one", b"two"]))
    files = {"a.txt": b"one", "b.txt": b"two"}
    m = manifest(files)
    # a manifest changed on its way: the digest sent no longer matches
    digest = sha(canonical(m).encode())
    m["files"][0]["mode"] = "0755"
    r = c.post("datasets/versions/create", {"name": "tampered", "manifest": m,
                                            "digest": digest}, prefix=FERRY)
    expect_error(r, 400, "INVALID_PARAMETER_VALUE", "digest")
    # a version naming an object the server lacks: refused, nothing created
    r = create(c, "holey", {"a.txt": b"one", "c.txt": b"never uploaded"})
    expect_error(r, 404, "RESOURCE_DOES_NOT_EXIST", sha(b"never uploaded"))
    for name in ["tampered", "holey"]:
        expect_error(get(c, "get", name=name), 404, "RESOURCE_DOES_NOT_EXIST")
    bad = [
        dict(m, files=[m["files"][0], m["files"][0]]),                 # a path twice
        dict(m, files=[dict(m["files"][0], path="../x")]),             # leaves the tree
        dict(m, files=[dict(m["files"][0], path="/abs")]),
        dict(m, files=[dict(m["files"][0], sha256="xyz")]),
        dict(m, files=[dict(m["files"][0], mode="0777")]),
        dict(m, format="other/1"),
        dict(m, links=[{"path": "l", "target": "../../etc/passwd"}]),
        dict(m, surprise=1),
    ]
    for i, doc in enumerate(bad):
        r = c.post("datasets/versions/create", {"name": "bad%d" % i, "manifest": doc},
                   prefix=FERRY)
        expect_error(r, 400, "INVALID_PARAMETER_VALUE")
    expect_error(c.post("datasets/versions/create", {"name": "x", "manifest": "text"},
                        prefix=FERRY), 400, "INVALID_PARAMETER_VALUE")
    expect_error(c.post("datasets/versions/create", {"name": "x"}, prefix=FERRY), 400,
                 "INVALID_PARAMETER_VALUE", "manifest")
    r = create(c, "badprofile", files, profile={"format": "ferry-profile/1", "files": 3})
    expect_error(r, 400, "INVALID_PARAMETER_VALUE", "profile")
    assert [x["name"] for x in c.ok(get(c, "list")).get("datasets", [])
            if x["name"].startswith("bad")] == []


def test_a_corrupt_pack_is_refused_and_records_nothing(srv, c):
    objs = [b"corrupt-one", b"corrupt-two"]
    for tamper in ["digest", "trailer", "magic", "truncate", "count"]:
        r = upload(c, objs, tamper=tamper)
        expect_error(r, 400, "INVALID_PARAMETER_VALUE")
        assert sorted(missing(c, [sha(b) for b in objs])) == sorted(sha(b) for b in objs), tamper
    expect_error(c.raw("POST", DS + "objects/upload", b""), 400, "INVALID_PARAMETER_VALUE")
    # nothing of them went into datasets/packs either
    packs = os.path.join(srv.dir, "mlartifacts", "datasets", "packs")
    left = [f for f in os.listdir(packs) if not f.startswith(".")] if os.path.isdir(packs) else []
    assert left == [], left


def test_the_artifact_routes_never_touch_datasets(srv, c):
    c.ok(upload(c, [b"reserved-object"]))
    root = os.path.join(srv.dir, "mlartifacts")
    assert os.path.isdir(os.path.join(root, "datasets"))
    pk = sorted(os.listdir(os.path.join(root, "datasets", "packs")))[0]
    A = "/api/2.0/mlflow-artifacts/artifacts"
    for method, path, body in [
            ("GET", A + "/datasets/packs/" + pk, None),
            ("PUT", A + "/datasets/packs/evil.pack", b"x"),
            ("PUT", A + "/datasets", b"x"),
            ("PUT", A + "/DataSets/x", b"x"),
            ("DELETE", A + "/datasets", None),
            ("DELETE", A + "/datasets/packs/" + pk, None),
            ("GET", A + "?path=datasets", None),
            ("GET", A + "?path=datasets/packs", None),
            ("GET", "/api/2.0/mlflow-artifacts/artifacts?path=datasets", None),
            ("GET", "/ajax-api/2.0/mlflow-artifacts/artifacts/datasets/packs/" + pk, None)]:
        r = c.raw(method, path, body)
        expect_error(r, 403, "PERMISSION_DENIED", "datasets")
    assert os.path.exists(os.path.join(root, "datasets", "packs", pk))
    assert not os.path.exists(os.path.join(root, "datasets", "packs", "evil.pack"))
    # the root's listing leaves it out; other files are listed as before
    c.ok(c.raw("PUT", A + "/other/f.txt", b"x"))
    names = [f["path"] for f in c.ok(c.raw("GET", A))["files"]]
    assert "other" in names and "datasets" not in names, names
    # nor through a model version whose source points into it
    c.ok(c.post("registered-models/create", {"name": "sneaky"}))
    c.ok(c.post("model-versions/create", {"name": "sneaky",
                                          "source": "mlflow-artifacts:/datasets"}))
    r = c.raw("GET", "/model-versions/get-artifact?name=sneaky&version=1&path=packs/" + pk)
    expect_error(r, 403, "PERMISSION_DENIED", "datasets")
    # no experiment may keep its artifacts there
    for loc in ["mlflow-artifacts:/datasets", "mlflow-artifacts:/datasets/x",
                "mlflow-artifacts:/./datasets/objects", os.path.join(root, "datasets", "e"),
                "file://" + os.path.join(root, "datasets"),
                os.path.join(root, "sub", "..", "datasets")]:
        r = c.post("experiments/create", {"name": "exp-" + sha(loc.encode())[:8],
                                          "artifact_location": loc})
        expect_error(r, 400, "INVALID_PARAMETER_VALUE", "datasets")
    c.ok(c.post("experiments/create", {"name": "beside", "artifact_location":
                                       "mlflow-artifacts:/datasets-not/x"}))


def test_without_a_data_root_datasets_are_not_implemented(srv, c):
    s = Server(srv.ferry, extra=["--no-serve-artifacts", "--default-artifact-root",
                                 "s3://bucket/root"]).start()
    try:
        o = s.client()
        r = create(o, "x", {"f": b"x"})
        expect_error(r, 501, "NOT_IMPLEMENTED", "--serve-artifacts")
        expect_error(upload(o, [b"x"]), 501, "NOT_IMPLEMENTED")
        expect_error(o.post("datasets/objects/missing", {"digests": [sha(b"x")]}, prefix=FERRY),
                     501, "NOT_IMPLEMENTED")
        assert o.ok(get(o, "list")).get("datasets", []) == []
    finally:
        assert s.stop() == 0


def test_with_auth_a_reader_reads_and_cannot_write(srv, c):
    s = AuthServer(srv.ferry).start()
    try:
        admin = As(s, basic(*ADMIN))
        reader = user(s, "reader")
        obj = b"auth-object"
        assert admin.ok(upload(admin, [obj]))["stored"] == 1
        v = admin.ok(admin.post("datasets/versions/create", {
            "name": "secure", "manifest": manifest({"f": obj}), "author": "someone-else"},
            prefix=FERRY))["dataset_version"]
        assert v["author"] == ADMIN[0]  # the signed-in user, not the claim
        # reads
        assert reader.ok(get(reader, "get", name="secure"))["dataset"]["latest_version"] == 1
        assert reader.ok(get(reader, "versions/get", name="secure"))["dataset_version"][
            "digest"] == v["digest"]
        r = reader.raw("POST", DS + "objects/download", json.dumps({"digests": [sha(obj)]}))
        assert r.status == 200 and read_pack(r.body) == [(sha(obj), obj)]
        # writes
        for ep, doc in [
                ("datasets/versions/create", {"name": "secure", "manifest": manifest({})}),
                ("datasets/aliases/set", {"name": "secure", "alias": "p", "version": 1}),
                ("datasets/tags/set", {"name": "secure", "version": 1, "key": "k",
                                       "value": "v"}),
                ("datasets/versions/delete", {"name": "secure", "version": 1}),
                ("datasets/delete", {"name": "secure"})]:
            expect_error(reader.post(ep, doc, prefix=FERRY), 403, "PERMISSION_DENIED")
        expect_error(upload(reader, [b"reader-object"]), 403, "PERMISSION_DENIED")
        # a reader may ask which objects are stored (a remote verify does)
        assert reader.ok(reader.post("datasets/objects/missing", {"digests": [
            sha(obj), sha(b"reader-object")]}, prefix=FERRY))["missing"] == [sha(b"reader-object")]
        # nobody without credentials
        expect_error(get(s.client(), "list"), 401, "UNAUTHENTICATED")
        assert admin.ok(admin.post("datasets/objects/missing", {"digests": [sha(
            b"reader-object")]}, prefix=FERRY))["missing"] == [sha(b"reader-object")]
        # the reserved area holds with auth too, even for an admin
        expect_error(admin.raw("GET", "/api/2.0/mlflow-artifacts/artifacts?path=datasets"),
                     403, "PERMISSION_DENIED")
    finally:
        assert s.stop() == 0


def test_with_auth_the_runs_of_a_version_are_those_a_reader_may_read(srv, c):
    """A version is anyone's to read, but datasets/runs names only the runs of experiments
    the caller may read (as experiments/search): no run id, name or status of a private
    experiment leaks through a dataset its runs logged."""
    s = AuthServer(srv.ferry).start()
    try:
        admin = As(s, basic(*ADMIN))
        reader = user(s, "reader")
        obj = b"runs-object"
        assert admin.ok(upload(admin, [obj]))["stored"] == 1
        admin.ok(admin.post("datasets/versions/create", {
            "name": "shared", "manifest": manifest({"f": obj})}, prefix=FERRY))
        runs = {}
        for name in ("open", "private"):
            exp = admin.ok(admin.post("experiments/create", {"name": "runs-" + name}))[
                "experiment_id"]
            run = admin.ok(admin.post("runs/create", {"experiment_id": exp, "run_name": name}))[
                "run"]["info"]["run_id"]
            admin.ok(admin.post("runs/log-inputs", {"run_id": run, "datasets": [{"dataset": {
                "name": "shared", "digest": "x", "source_type": "ferry",
                "source": "data:/shared/1"}}]}))
            runs[name] = (exp, run)
        admin.ok(admin.post("experiments/permissions/create", {
            "experiment_id": runs["private"][0], "username": "reader",
            "permission": "NO_PERMISSIONS"}))
        seen = reader.ok(get(reader, "runs", name="shared", version="1"))["runs"]
        assert [x["run_id"] for x in seen] == [runs["open"][1]], seen
        seen = admin.ok(get(admin, "runs", name="shared", version="1"))["runs"]
        assert sorted(x["run_id"] for x in seen) == sorted(r for _, r in runs.values()), seen
    finally:
        assert s.stop() == 0


def test_a_version_of_100000_files(srv, c):
    """The row's body cap and parse budget hold a manifest of 100,000 files (13 MB); the
    objects go in one pack, and one objects/missing asks about all of them."""
    n = 100000
    data = [b"f%06d" % i for i in range(n)]
    digests = [sha(b) for b in data]
    assert len(missing(c, digests)) == n
    assert c.ok(upload(c, data))["stored"] == n
    assert missing(c, digests) == []
    files = {"d%03d/file_%06d.txt" % (i // 1000, i): data[i] for i in range(n)}
    r = c.ok(create(c, "many", files))
    assert r["dataset_version"]["file_count"] == n and r["created"] is True
    got = c.ok(get(c, "versions/get", name="many", version="1", with_manifest="true"))
    m = got["dataset_version"]["manifest"]
    assert len(m["files"]) == n
    assert sha(canonical(m).encode()) == r["dataset_version"]["digest"]


def test_a_local_default_root_is_the_data_root(srv, c):
    """Without --serve-artifacts, the store's local default artifact root keeps the datasets,
    and experiments may not be created in its datasets/."""
    s = Server(srv.ferry, extra=["--no-serve-artifacts", "--default-artifact-root", "root"])
    s.start()
    try:
        o = s.client()
        assert o.ok(upload(o, [b"local-root"]))["stored"] == 1
        assert o.ok(create(o, "loc", {"f": b"local-root"}))["created"] is True
        packs = os.path.join(s.dir, "root", "datasets", "packs")
        assert len([f for f in os.listdir(packs) if f.endswith(".pack")]) == 1
        r = o.raw("POST", DS + "objects/download", json.dumps({"digests": [sha(b"local-root")]}))
        assert r.status == 200 and read_pack(r.body) == [(sha(b"local-root"), b"local-root")]
        for loc in [os.path.join(s.dir, "root", "datasets"),
                    os.path.join(s.dir, "root", "datasets", "x")]:
            expect_error(o.post("experiments/create", {"name": "e" + sha(loc.encode())[:6],
                                                       "artifact_location": loc}),
                         400, "INVALID_PARAMETER_VALUE", "datasets")
        o.ok(o.post("experiments/create", {"name": "fine", "artifact_location":
                                           os.path.join(s.dir, "root", "exp")}))
    finally:
        assert s.stop() == 0
