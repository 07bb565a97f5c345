# SPDX-License-Identifier: MIT
"""Bounded cost per request and HTTP hardening, on both servers (each finding of the security
issue as a regression test that failed on the binary before the fix):
- memory: a request's cost follows what its body holds, never what it claims; the peak RSS
  (VmHWM) a request may add is stated per test;
- connections: idle sockets, slow request heads and bodies from one client do not lock others
  out;
- HTTP: duplicate or conflicting Content-Length refused, errors JSON, HEAD wherever GET;
- `models serve -m DIR` opens no store; SIGTERM under load cuts no request.
Added time: about 15 s (release build), 25 s sanitized."""
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

from support.server import API, Server
from test_serving import Serve, _model

OWN_SERVER = True
MB = 1024 * 1024


def vm_hwm(pid):
    """The process's peak resident set, in bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM for %d" % pid)


def _post(port, path, body, ctype="application/json", timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("POST", path, body=body, headers={"Content-Type": ctype})
        r = c.getresponse()
        data = r.read()
        return r.status, data
    finally:
        c.close()


def _error(status, data, want_status=400):
    assert status == want_status, (status, data[:300])
    js = json.loads(data)
    assert set(js) == {"error_code", "message"}, js
    return js


def test_scoring_costs_what_the_body_holds(ferry):
    """Each body below made the scoring server allocate by what it claims: an 83-byte OIP
    request declaring [1000000, 64] cost ~490 MB; a first row of 200 values and 50,000 empty
    rows sized a 50,000 x 200 matrix (80 MB) before the rows were checked; a CSV of 2 M cells
    became 2 M JSON strings (~150 MB). Bound: each adds at most 48 MB to the peak RSS (the
    bodies themselves are up to 4 MB, held twice while read and parsed). A [2, 3] tensor for a
    5-column model is refused by its width."""
    d, e = _model(ferry, "binary", rows=50)
    s = Serve(ferry, d)
    try:
        base = vm_hwm(s.proc.pid)
        oip = json.dumps({"inputs": [{"name": "x", "shape": [1000000, 64], "datatype": "FP32",
                                      "data": []}]}, separators=(",", ":"))
        st, data = _post(s.port, "/v2/models/model/infer", oip)
        assert "fewer values" in _error(st, data)["message"]
        assert vm_hwm(s.proc.pid) - base < 48 * MB, (vm_hwm(s.proc.pid) - base) // MB
        rows = "[[%s]%s]" % (",".join(["0"] * 200), ",[]" * 50000)
        st, data = _post(s.port, "/invocations", '{"instances":%s}' % rows)
        assert "row 1 has 0 values" in _error(st, data)["message"]
        assert vm_hwm(s.proc.pid) - base < 48 * MB, (vm_hwm(s.proc.pid) - base) // MB
        cols = ["f%d" % i for i in range(1000)]
        csv = ",".join(cols) + "\n" + ("%s\n" % ",".join(["0"] * 1000)) * 2000
        st, data = _post(s.port, "/invocations", csv, "text/csv")
        assert st == 200 and len(json.loads(data)["predictions"]) == 2000, (st, data[:200])
        assert vm_hwm(s.proc.pid) - base < 48 * MB, (vm_hwm(s.proc.pid) - base) // MB
        narrow = {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP64",
                              "data": [1, 2, 3, 4, 5, 6]}]}
        st, data = _post(s.port, "/v2/models/model/infer", json.dumps(narrow))
        assert "3 columns, the model takes 5" in _error(st, data)["message"]
        # the same request at the model's width is served
        wide = {"inputs": [{"name": "x", "shape": [2, 5], "datatype": "FP64",
                            "data": e["data"][0] + e["data"][1]}]}
        st, data = _post(s.port, "/v2/models/model/infer", json.dumps(wide))
        assert st == 200 and json.loads(data)["outputs"][0]["shape"] == [2], (st, data)
    finally:
        assert s.stop() == 0


def test_tracking_json_is_parsed_under_a_ceiling(ferry):
    """A 4 MB runs/log-inputs body of empty objects cost ~330 MB of jansson tree before its 400
    (16 MB: 1.3 GB). Now the parse stops at 4 MiB + 4 bytes a byte of body (json.h). Bound: the
    request adds at most 96 MB to the peak RSS (the body, its copy, the budget; ASan's redzones
    and quarantine on top). A large body of ordinary shape (long strings) is still taken."""
    srv = Server(ferry).start()
    try:
        c = srv.client()
        base = vm_hwm(srv.proc.pid)
        body = '{"run_id":"x","datasets":[' + ",".join(["{}"] * (4 * MB // 3)) + "]}"
        st, data = _post(srv.port, API + "runs/log-inputs", body)
        assert "bytes of memory" in _error(st, data)["message"], data[:300]
        assert vm_hwm(srv.proc.pid) - base < 96 * MB, (vm_hwm(srv.proc.pid) - base) // MB
        rid = c.create_run()["info"]["run_id"]
        ds = {"name": "big", "digest": "d", "source_type": "local", "source": "{}",
              "schema": "{}", "profile": json.dumps({"x": "y" * (3 * MB)})}
        r = c.post("runs/log-inputs", {"run_id": rid, "datasets": [{"dataset": ds}]})
        assert r.status == 200, r
        c.close()
    finally:
        assert srv.stop() == 0


def test_serving_a_directory_opens_no_store(ferry):
    """`models serve -m ./dir` opened (and created) ./ferry.db, which it does not need, and failed
    in a read-only working directory. It opens a store only for a models:/ or runs:/ URI."""
    d, e = _model(ferry, "binary", rows=50)
    cwd = tempfile.mkdtemp(prefix="ferry-ro-")
    os.chmod(cwd, 0o555)  # read-only, unless we run as root: then the file check below counts
    env = {k: v for k, v in os.environ.items()
           if k not in ("FERRY_TRACKING_URI", "MLFLOW_TRACKING_URI")}
    try:
        p = subprocess.Popen([ferry, "models", "serve", "-m", os.path.relpath(d, cwd), "--port",
                              "0"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        line = p.stdout.readline()
        assert b"listening on" in line, (line, p.stderr.read() if p.poll() is not None else "")
        port = int(line.strip().rsplit(b":", 1)[1])
        st, data = _post(port, "/invocations", json.dumps({"instances": [e["data"][0]]}))
        assert st == 200, (st, data)
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 0
        p.stdout.close()
        p.stderr.close()
        assert os.listdir(cwd) == [], os.listdir(cwd)
    finally:
        os.chmod(cwd, 0o755)
        for f in os.listdir(cwd):
            os.unlink(os.path.join(cwd, f))
        os.rmdir(cwd)
