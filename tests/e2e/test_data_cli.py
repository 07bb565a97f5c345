# SPDX-License-Identifier: MIT
"""`ferry data` (issue 19) from the shell, embedded (a SQLite file and the data root beside
it) and through a ferry server: round trips of real trees (text, binary, nested, empty files
and directories, unicode names, modes, links), dedup measured in bytes sent (10,000 small
files; a second add sends nothing, 1% changed sends about the changed bytes), an add killed
with SIGKILL during its upload and then repeated, verify finding a corrupt and a missing
object, get refusing a tampered object and leaving no DST, concurrent adds of the same data,
bad input, and a file over 1 GB whose one changed chunk is the only one sent again
(FERRY_E2E_LARGE_MB, default 1100, as test_artifacts' large file: CI runs it).
Added time: about 110 s sanitized (the large file 40-60 s of it)."""
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time

from support.server import CREATED_DIRS, on_postgres, pg_database

LARGE_MB = int(os.environ.get("FERRY_E2E_LARGE_MB", "1100"))


class Target:
    """Where `ferry data` runs: embedded on a fresh store (a SQLite file, its data root beside
    it; in the PostgreSQL pass a fresh database, its data root ./mlartifacts), or through the
    module's server (its data root: the server's ./mlartifacts)."""

    def __init__(self, srv, remote):
        self.ferry = srv.ferry
        self.remote = remote
        if remote:
            self.uri = srv.url
            self.root = os.path.join(srv.dir, "mlartifacts")
            self.cwd = srv.dir
        else:
            self.cwd = tempfile.mkdtemp(prefix="ferry-e2e-data-")
            CREATED_DIRS.append(self.cwd)
            self.uri = pg_database() if on_postgres() else \
                "sqlite:///" + os.path.join(self.cwd, "ferry.db").lstrip("/")
            self.root = os.path.join(self.cwd, "mlartifacts")
        self.name = "remote" if remote else "embedded"

    def run(self, *args, timeout=600, check=None):
        env = dict(os.environ, FERRY_TRACKING_URI=self.uri)
        env.pop("FERRY_ARTIFACTS_DESTINATION", None)
        p = subprocess.run([self.ferry, "data"] + list(args), env=env, cwd=self.cwd,
                           capture_output=True, timeout=timeout)
        p.out = p.stdout.decode("utf-8", "replace")
        p.err = p.stderr.decode("utf-8", "replace")
        if check is not None:
            assert p.returncode == check, (self.name, args, p.returncode, p.out, p.err)
        return p

    def json(self, *args, **kw):
        p = self.run(*(list(args) + ["--json"]), check=0, **kw)
        return json.loads(p.out)

    def popen(self, *args):
        env = dict(os.environ, FERRY_TRACKING_URI=self.uri)
        env.pop("FERRY_ARTIFACTS_DESTINATION", None)
        return subprocess.Popen([self.ferry, "data"] + list(args), env=env, cwd=self.cwd,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def objects(self):
        """Stored loose objects and packs below the data root: {relative path: size}."""
        out = {}
        top = os.path.join(self.root, "datasets")
        for d, _, files in os.walk(top):
            for n in files:
                if n == ".lock":  # ingests and gc, not an object
                    continue
                p = os.path.join(d, n)
                out[os.path.relpath(p, top)] = os.path.getsize(p)
        return out


def _targets(srv):
    return [Target(srv, False), Target(srv, True)]


def _scratch():
    d = tempfile.mkdtemp(prefix="ferry-e2e-data-src-")
    CREATED_DIRS.append(d)
    return d


def _write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def _snapshot(top):
    """Everything below top as the manifest sees it: files (content digest, exec bit),
    empty dirs, links (target)."""
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, top)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                if not os.listdir(p):
                    out[rel] = ("dir",)
            else:
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()
                out[rel] = ("file", h, bool(st.st_mode & stat.S_IXUSR))
    return out


def _real_tree(top):
    _write(os.path.join(top, "README.md"), "# data\nsome text\n".encode())
    _write(os.path.join(top, "train.csv"), b"a,b,c\n1,2.5,x\n2,3.5,y\n3,,x\n")
    _write(os.path.join(top, "bin/blob.bin"), os.urandom(300 * 1024))
    _write(os.path.join(top, "bin/big.bin"), os.urandom(3 * 1024 * 1024 + 17))  # loose
    _write(os.path.join(top, "bin/run.sh"), b"#!/bin/sh\necho hi\n", 0o755)
    _write(os.path.join(top, "nested/a/b/c/deep.txt"), b"deep\n")
    _write(os.path.join(top, "empty.txt"), b"")
    _write(os.path.join(top, "nested/empty-too"), b"")
    _write(os.path.join(top, "名前/ünïcödé ✓.txt"), "unicode ✓\n".encode())
    os.makedirs(os.path.join(top, "empty/dir"))
    os.symlink("../train.csv", os.path.join(top, "nested/link.csv"))
    return top


def test_round_trip_of_a_real_tree(srv, c):
    src = _real_tree(os.path.join(_scratch(), "tree"))
    want = _snapshot(src)
    for t in _targets(srv):
        r = t.json("add", "rt-" + t.name, src, "-m", "first", "--tag", "team=ml")
        assert r["created"] and r["version"] == 1, r
        assert r["files"] == 9 and r["dirs"] == 1 and r["links"] == 1, r
        assert r["objects_deduplicated"] == 0 and r["objects_sent"] == r["objects"], r
        assert r["profiled_files"] == 1, r
        assert r["uri"] == "data:/rt-%s/1" % t.name, r
        dst = os.path.join(_scratch(), "out")
        g = t.json("get", "data:/rt-%s/1" % t.name, "--dst", dst)
        assert g["version"] == 1 and g["files"] == 9, g
        assert _snapshot(dst) == want, (t.name, _snapshot(dst), want)
        # by alias and latest, and a path inside
        t.run("alias", "rt-" + t.name, "prod", "1", check=0)
        dst2 = os.path.join(_scratch(), "out2")
        t.run("get", "data:/rt-%s@prod/nested" % t.name, "--dst", dst2, check=0)
        assert sorted(os.listdir(dst2)) == ["a", "empty-too", "link.csv"] or \
            sorted(os.listdir(dst2)) == ["a", "empty-too"], os.listdir(dst2)
        dst3 = os.path.join(_scratch(), "out3")
        t.run("get", "data:/rt-%s/latest/train.csv" % t.name, "--dst", dst3, check=0)
        with open(os.path.join(dst3, "train.csv"), "rb") as f:
            assert f.read() == b"a,b,c\n1,2.5,x\n2,3.5,y\n3,,x\n"
        # show, versions, list
        s = t.run("show", "data:/rt-%s/1" % t.name, check=0).out
        assert "team=ml" in s and "@prod" in s and "train.csv" in s and "rows" in s, s
        sj = t.json("show", "data:/rt-%s@prod" % t.name)["dataset_version"]
        assert sj["version"] in (1, "1") and sj["message"] == "first", sj
        v = t.json("versions", "rt-" + t.name)["dataset_versions"]
        assert len(v) == 1, v
        names = [d["name"] for d in t.json("list")["datasets"]]
        assert "rt-" + t.name in names, names
        # the same content again: no new version
        r2 = t.json("add", "rt-" + t.name, src)
        assert not r2["created"] and r2["version"] == 1 and r2["bytes_sent"] == 0, r2
        # a single file: one entry named by its basename
        r3 = t.json("add", "one-" + t.name, os.path.join(src, "train.csv"))
        assert r3["files"] == 1, r3
        dst4 = os.path.join(_scratch(), "out4")
        t.run("get", "data:/one-%s/1" % t.name, "--dst", dst4, check=0)
        assert os.listdir(dst4) == ["train.csv"]


def _small_files(top, n=10000):
    for i in range(n):
        size = 1000 + (i * 7919) % 9000  # 1-10 KB
        _write(os.path.join(top, "d%02d" % (i % 50), "f%05d.bin" % i),
               os.urandom(size))


def test_dedup_in_bytes_sent_with_10000_files(srv, c):
    src = os.path.join(_scratch(), "many")
    _small_files(src)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(src) for f in fs)
    for t in _targets(srv):
        before = sum(t.objects().values())
        r = t.json("add", "many-" + t.name, src)
        assert r["files"] == 10000 and r["objects_sent"] == 10000, r
        assert r["packs"] <= 3, r  # packs, not 10,000 requests
        assert total < r["bytes_sent"] < total + 10000 * 64 + 4096, (total, r)
        grown = sum(t.objects().values()) - before
        assert total <= grown < total + 10000 * 64 + 4096, (total, grown)
        # the same tree again: nothing sent
        r2 = t.json("add", "many-" + t.name, src)
        assert r2["bytes_sent"] == 0 and r2["objects_sent"] == 0 and not r2["created"], r2
        # 1% changed: about the changed bytes
        changed = 0
        for i in range(0, 10000, 100):
            p = os.path.join(src, "d%02d" % (i % 50), "f%05d.bin" % i)
            data = bytearray(open(p, "rb").read())
            data[0] ^= 0xFF
            _write(p, bytes(data))
            changed += len(data)
        r3 = t.json("add", "many-" + t.name, src, "-m", "1% changed")
        assert r3["created"] and r3["version"] == 2, r3
        assert r3["objects_sent"] == 100 and r3["objects_deduplicated"] == 9900, r3
        assert changed <= r3["bytes_sent"] <= changed + 100 * 64 + 4096, (changed, r3)
        d = t.json("diff", "many-" + t.name, "1", "2")["diff"]
        assert len(d["changed"]) == 100 and not d["added"] and not d["removed"], d
        # restore for the next target
        for i in range(0, 10000, 100):
            p = os.path.join(src, "d%02d" % (i % 50), "f%05d.bin" % i)
            data = bytearray(open(p, "rb").read())
            data[0] ^= 0xFF
            _write(p, bytes(data))


def _wait_for_upload(t, proc, before, timeout=120):
    """Until the add has stored something new (an object or a pack being written)."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        now = t.objects()
        if any(k not in before for k in now):
            return True
        time.sleep(0.005)
    return False


def test_an_add_killed_during_its_upload_is_repeated(srv, c):
    src = os.path.join(_scratch(), "killme")
    # 40 files of 6 MiB (loose objects) and 2,000 small ones (packs): ~250 MB
    for i in range(40):
        _write(os.path.join(src, "big", "b%02d.bin" % i), os.urandom(6 * 1024 * 1024))
    for i in range(2000):
        _write(os.path.join(src, "small", "s%04d.txt" % i), os.urandom(2000))
    for t in _targets(srv):
        name = "killed-" + t.name
        before = t.objects()
        proc = t.popen("add", name, src)
        started = _wait_for_upload(t, proc, before)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        assert started and proc.returncode == -signal.SIGKILL, (t.name, proc.returncode)
        # no version is visible
        v = t.run("versions", name)
        assert v.returncode != 0 or "1" not in v.out.split(), (v.out, v.err)
        # a repeat just works and sends only what is missing
        r = t.json("add", name, src)
        assert r["created"] and r["version"] == 1, r
        assert r["objects"] == 2040, r
        dst = os.path.join(_scratch(), "k")
        t.run("get", "data:/%s/1" % name, "--dst", dst, check=0)
        assert _snapshot(dst) == _snapshot(src)
        t.run("verify", name, check=0)


def _corrupt_pack(t, before):
    """Flips a byte of the first object in a pack that was not there before."""
    packs = [p for p in t.objects() if p.startswith("packs/") and p.endswith(".pack")
             and p not in before]
    assert len(packs) == 1, (t.objects(), before)
    p = os.path.join(t.root, "datasets", sorted(packs)[0])
    with open(p, "r+b") as f:
        f.seek(8 + 41 + 10)  # inside the first object's data
        b = f.read(1)
        f.seek(8 + 41 + 10)
        f.write(bytes([b[0] ^ 0x01]))


def test_verify_finds_corrupt_and_missing_objects_and_get_refuses_them(srv, c):
    for t in _targets(srv):
        src = os.path.join(_scratch(), "v")
        _write(os.path.join(src, "small-%s.txt" % t.name), ("small %s\n" % t.name).encode() * 100)
        _write(os.path.join(src, "loose.bin"), os.urandom(2 * 1024 * 1024))
        name = "verify-" + t.name
        before = t.objects()
        t.json("add", name, src)
        ok = t.run("verify", name, check=0)
        assert "all good" in ok.out, ok.out
        objs_new = [p for p in t.objects() if p not in before]
        # a byte flipped in a pack
        _corrupt_pack(t, before)
        bad = t.run("verify", name, check=1)
        assert "corrupt" in bad.out, bad.out
        j = json.loads(t.run("verify", name, "--json", check=1).out)
        assert any(d["state"] == "corrupt" for d in j["damaged"]), j
        # get refuses and leaves no DST
        dst = os.path.join(_scratch(), "tampered")
        g = t.run("get", "data:/%s/1" % name, "--dst", dst)
        assert g.returncode == 1 and not os.path.exists(dst), (g.out, g.err)
        assert not [n for n in os.listdir(os.path.dirname(dst)) if "ferry-tmp" in n]
        # a loose object removed
        loose = [p for p in objs_new if p.startswith("objects/")]
        assert len(loose) == 1, objs_new
        os.unlink(os.path.join(t.root, "datasets", loose[0]))
        bad2 = t.run("verify", name, check=1)
        assert "missing" in bad2.out or "corrupt" in bad2.out, bad2.out
        assert loose[0].replace("objects/", "").replace("/", "") in bad2.out, bad2.out


def test_concurrent_adds_of_the_same_data_both_succeed(srv, c):
    src = os.path.join(_scratch(), "conc")
    for i in range(300):
        _write(os.path.join(src, "f%03d" % i), os.urandom(4000))
    _write(os.path.join(src, "big.bin"), os.urandom(5 * 1024 * 1024))
    for t in _targets(srv):
        name = "conc-" + t.name
        procs = [t.popen("add", name, src, "--json") for _ in range(2)]
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, (t.name, out, err)
            outs.append(json.loads(out))
        assert sorted(o["created"] for o in outs) == [False, True], outs
        assert {o["version"] for o in outs} == {1}, outs
        assert len(t.json("versions", name)["dataset_versions"]) == 1
        t.run("verify", name, check=0)


def test_alias_tag_diff_delete(srv, c):
    for t in _targets(srv):
        src = os.path.join(_scratch(), "adt")
        name = "adt-" + t.name
        _write(os.path.join(src, "train.csv"), b"a,b\n1,x\n2,y\n3,z\n")
        _write(os.path.join(src, "gone.txt"), b"bye\n")
        t.json("add", name, src)
        _write(os.path.join(src, "train.csv"), b"a,b,c\n1,x,1.5\n2,y,2.5\n4,w,3.5\n5,v,1\n")
        os.unlink(os.path.join(src, "gone.txt"))
        _write(os.path.join(src, "new.txt"), b"hello\n")
        t.json("add", name, src, "-m", "second")
        d = t.json("diff", name, "1", "2", "--rows")["diff"]
        assert [e["path"] for e in d["added"]] == ["new.txt"], d
        assert [e["path"] for e in d["removed"]] == ["gone.txt"], d
        assert [e["path"] for e in d["changed"]] == ["train.csv"], d
        csv = d["csv"][0]
        assert csv["rows_before"] == 3 and csv["rows_after"] == 4 and csv["columns_added"] == ["c"]
        rows = d["rows"][0]
        assert rows["rows_added"] == 2 and rows["rows_removed"] == 1, rows
        text = t.run("diff", name, "1", "2", check=0).out
        assert "A new.txt" in text and "D gone.txt" in text and "M train.csv" in text, text
        t.run("alias", name, "prod", "1", check=0)
        t.run("tag", "data:/%s@prod" % name, "owner=me", check=0)
        sj = t.json("show", "data:/%s/1" % name)["dataset_version"]
        assert "owner" in json.dumps(sj["tags"]) and "prod" in json.dumps(sj["aliases"]), sj
        t.run("tag", "--delete", "data:/%s/1" % name, "owner", check=0)
        t.run("alias", "--delete", name, "prod", check=0)
        g = t.run("get", "data:/%s@prod" % name, "--dst", os.path.join(_scratch(), "x"))
        assert g.returncode == 1, g.out
        t.run("delete", name, "1", check=0)
        v = t.json("versions", name)["dataset_versions"]
        assert [x["version"] for x in v] in ([2], ["2"]), v
        t.run("delete", name, check=0)
        assert t.run("versions", name).returncode == 1


def test_bad_input(srv, c):
    src = os.path.join(_scratch(), "bad")
    _write(os.path.join(src, "ok.txt"), b"ok\n")
    out = os.path.join(_scratch(), "outside.txt")
    _write(out, b"secret\n")
    escape = os.path.join(_scratch(), "escape")
    _write(os.path.join(escape, "a.txt"), b"a\n")
    os.symlink(out, os.path.join(escape, "abs-link"))
    escape2 = os.path.join(_scratch(), "escape2")
    _write(os.path.join(escape2, "a.txt"), b"a\n")
    os.symlink("../../outside.txt", os.path.join(escape2, "rel-link"))
    for t in _targets(srv):
        r = t.run("add", "x", os.path.join(src, "nope"))
        assert r.returncode == 1 and "nope" in r.err, r.err
        for e in (escape, escape2):
            r = t.run("add", "esc", e)
            assert r.returncode == 1 and "link" in r.err, r.err
        assert t.run("versions", "esc").returncode == 1
        for bad in ("bad/name", "-x", "", "a" * 300, "ünï"):
            r = t.run("add", bad, src)
            assert r.returncode in (1, 2) and r.err, (bad, r.err)
        t.json("add", "good", src)
        for alias in ("latest", "v3", "bad alias", "a/b"):
            r = t.run("alias", "good", alias, "1")
            assert r.returncode == 2 and r.err, (alias, r.err)
        r = t.run("alias", "good", "prod", "7")
        assert r.returncode == 1 and r.err, r.err
        for uri in ("data:/good/9", "data:/nosuch/1", "data:/good@nosuch"):
            dst = os.path.join(_scratch(), "dst")
            r = t.run("get", uri, "--dst", dst)
            assert r.returncode == 1 and r.err and not os.path.exists(dst), (uri, r.err)
        for uri in ("data:good/1", "data:/good/0", "data:/good/1/../x", "s3://x"):
            r = t.run("get", uri, "--dst", os.path.join(_scratch(), "dst"))
            assert r.returncode in (1, 2) and r.err, (uri, r.err)
        r = t.run("get", "data:/good/1/nosuch.txt", "--dst", os.path.join(_scratch(), "dst"))
        assert r.returncode == 1 and "nosuch.txt" in r.err, r.err
        assert t.run("get", "data:/good/1").returncode == 2  # no --dst
        assert t.run("add", "good").returncode == 2
        assert t.run("frobnicate").returncode == 2
        assert t.run("show", "data:/good/5").returncode == 1
        assert t.run("versions", "nosuch").returncode == 1
        # a non-empty DST is refused and kept
        dst = os.path.join(_scratch(), "full")
        _write(os.path.join(dst, "keep.txt"), b"keep\n")
        r = t.run("get", "data:/good/1", "--dst", dst)
        assert r.returncode == 1 and os.listdir(dst) == ["keep.txt"], r.err


def test_embedded_adds_are_served_by_the_server_beside_the_db(srv, c):
    """The embedded data root for a SQLite file is mlartifacts/ beside it: where `ferry
    server` started in that directory keeps its datasets."""
    if not srv.db:
        return  # PostgreSQL pass: no file to sit beside
    src = os.path.join(_scratch(), "beside")
    _write(os.path.join(src, "x.txt"), b"beside\n")
    emb = Target(srv, False)
    emb.uri = "sqlite:///" + srv.db.lstrip("/")
    emb.cwd = _scratch()  # not the server's directory: the root follows the db
    emb.json("add", "beside", src)
    remote = Target(srv, True)
    dst = os.path.join(_scratch(), "b")
    remote.run("get", "data:/beside/1", "--dst", dst, check=0)
    assert open(os.path.join(dst, "x.txt"), "rb").read() == b"beside\n"


def _large_file(path, mb):
    """mb MiB of random bytes, every MiB distinct (no two chunks alike). One buffer, its
    first 8 bytes renumbered for each MiB: a new 1 MiB object per MiB (slice, then concat)
    cost 8 s of page faults for 1.1 GB here, the writes themselves 1 s."""
    block = bytearray(os.urandom(1024 * 1024))
    with open(path, "wb") as f:
        for i in range(mb):
            block[:8] = i.to_bytes(8, "big")
            f.write(block)


def test_a_file_over_1gb_resends_only_its_changed_chunk(srv, c):
    if on_postgres():
        return  # a long scenario runs once: the chunk path is the backends' same code
    t = Target(srv, True)
    src = os.path.join(_scratch(), "large")
    os.makedirs(src)
    path = os.path.join(src, "big.bin")
    _large_file(path, LARGE_MB)
    size = LARGE_MB * 1024 * 1024
    chunks = (size + (8 << 20) - 1) // (8 << 20)
    r = t.json("add", "large", src, timeout=1800)
    assert r["objects"] == chunks and r["objects_sent"] == chunks, r
    assert size < r["bytes_sent"] < size + chunks * 64 + 4096, r
    # one byte changed in the middle: one chunk sent again
    with open(path, "r+b") as f:
        f.seek(size // 2 + 12345)
        b = f.read(1)
        f.seek(size // 2 + 12345)
        f.write(bytes([b[0] ^ 0xFF]))
    r2 = t.json("add", "large", src, timeout=1800)
    assert r2["created"] and r2["objects_sent"] == 1, r2
    assert (8 << 20) <= r2["bytes_sent"] < (8 << 20) + 4096, r2
    dst = os.path.join(_scratch(), "large-out")
    t.run("get", "data:/large/2", "--dst", dst, timeout=1800, check=0)
    h1, h2 = hashlib.sha256(), hashlib.sha256()
    for p, h in ((path, h1), (os.path.join(dst, "big.bin"), h2)):
        with open(p, "rb") as f:
            while True:
                blk = f.read(8 << 20)
                if not blk:
                    break
                h.update(blk)
    assert h1.hexdigest() == h2.hexdigest()
    shutil.rmtree(dst)
    shutil.rmtree(src)


def test_log_records_the_version_as_a_dataset_input(srv, c):
    t = Target(srv, True)
    src = os.path.join(_scratch(), "logme")
    _write(os.path.join(src, "train.csv"), b"x,y\n1,0.5\n2,1.5\n")
    t.json("add", "logged", src)
    t.run("alias", "logged", "prod", "1", check=0)
    rid = c.create_run()["info"]["run_id"]
    out = t.run("log", "data:/logged@prod", "--run-id", rid, "--context", "training", check=0).out
    assert "data:/logged/1" in out, out
    ins = c.get_run(rid).get("inputs", {}).get("dataset_inputs", [])
    assert len(ins) == 1, ins
    ds = ins[0]["dataset"]
    assert ds["name"] == "logged" and ds["source"] == "data:/logged/1", ds
    assert ds["source_type"] == "ferry" and "mlflow_colspec" in ds.get("schema", ""), ds
    assert {"key": "mlflow.data.context", "value": "training"} in ins[0]["tags"], ins
    # errors: no run id (usage), an unknown run, an unknown version
    assert t.run("log", "data:/logged/1").returncode == 2
    assert t.run("log", "data:/logged/1", "--run-id", "0" * 32).returncode == 1
    assert t.run("log", "data:/logged/9", "--run-id", rid).returncode == 1
