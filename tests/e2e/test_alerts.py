# SPDX-License-Identifier: MIT
"""Alerts after they open: delivery to a monitor's sinks by `ferry server`'s dispatcher, the
alerts REST rows and `ferry alerts`, and the /metrics counters. A real HTTP receiver here
(127.0.0.1, a free port) checks every webhook's signature with Python's hmac.

Alerts are opened and resolved through the store by tests/tools/alert_fixture (a judged window
with one breached or passed check, exactly what the monitor runner writes), so these tests do
not depend on monitors running; where the monitors area is merged, one more test runs a real
monitor over a served deployment's log and checks its drift alert's webhook. Retry waits are short: the servers here run with
FERRY_ALERT_RETRY_BASE_MS / _MAX_MS / FERRY_ALERT_MAX_ATTEMPTS set. Runs on both backends."""
import hashlib
import hmac
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from support.server import Server, expect_error

try:  # the monitors area's helpers (tests/e2e/test_monitors.py), where that area is merged
    from test_gateway import Gateway
    from test_monitors import _monitor_spec, _setup as _monitor_setup, _traffic, _wait_logged
except ImportError:
    _monitor_setup = None

OWN_SERVER = True
FERRY = "/api/2.0/ferry/"
SECRET = "whsec-e2e-0123456789"
FAST = {"FERRY_ALERT_RETRY_BASE_MS": "150", "FERRY_ALERT_RETRY_MAX_MS": "600",
        "FERRY_ALERT_MAX_ATTEMPTS": "3", "FERRY_TEST_WEBHOOK_SECRET": SECRET}
HOUR = 3600 * 1000
T0 = 1764720000000  # a window's start: 2025-12-03T00:00Z


class Receiver:
    """A webhook receiver: answers with `statuses` in turn (then 200) and keeps each request."""

    def __init__(self, statuses=(), port=0):
        self.statuses = list(statuses)
        self.got = []
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with rec.lock:
                    rec.got.append(({k.lower(): v for k, v in self.headers.items()}, body,
                                    self.path))
                    status = rec.statuses.pop(0) if rec.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def requests(self):
        with self.lock:
            return list(self.got)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _wait(pred, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def _fixture(ferry, srv, *args):
    tool = os.path.join(os.path.dirname(ferry), "tools", "alert_fixture")
    out = subprocess.run([tool, srv.store] + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    assert out.returncode == 0, out.stderr.decode()
    return [json.loads(line) for line in out.stdout.decode().splitlines() if line.strip()]


def _deployment(c, name):
    c.ok(c.post("registered-models/create", {"name": name + "-model"}))
    c.ok(c.post("model-versions/create", {"name": name + "-model", "source": "s3://b/m"}))
    c.ok(c.post("deployments/apply", {"spec": {"name": name, "targets": [
        {"model": "models:/%s-model/1" % name, "weight": 100}]}, "no_check": True},
        prefix=FERRY))


def _monitor(ferry, srv, name, deployment, sinks):
    spec = {"name": name, "deployment": deployment,
            "reference": {"window": {"last": "7d", "ending": "1d"}},
            "window": {"last": "1h"}, "sinks": sinks}
    _fixture(ferry, srv, "apply", json.dumps(spec))


def _open(ferry, srv, monitor, k=0, condition="drift"):
    """Opens (or updates) the monitor's alert with window k's breach; its id."""
    changes = _fixture(ferry, srv, "window", monitor, str(T0 + k * HOUR),
                       str(T0 + (k + 1) * HOUR), condition, "breach")
    return [x["alert_id"] for x in changes if x.get("change") == "opened"][0]


def _deliveries(c, alert_id):
    return c.ok(c.get("alerts/deliveries", {"alert_id": alert_id}, prefix=FERRY))["deliveries"]


def _check_signed(headers, body, event, delivery=None):
    ts = headers["x-ferry-timestamp"]
    want = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-ferry-signature"], "sha256=" + want), headers
    assert abs(time.time() - int(ts)) < 300
    assert headers["x-ferry-event"] == event
    assert headers["content-type"] == "application/json"
    if delivery is not None:
        assert headers["x-ferry-delivery"] == str(delivery)
    return json.loads(body)


def _metrics(c):
    r = c.raw("GET", "/metrics")
    assert r.status == 200, r
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers
    out = {}
    for line in r.body.decode().splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def _cli(ferry, srv, *args):
    return subprocess.run([ferry, "--tracking-uri", srv.url, "alerts"] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)


def _command_sink(dirpath):
    """A command sink writing its input and environment where the test reads them (the command
    runs as nobody when the server is root: the directory is open to it)."""
    os.chmod(dirpath, 0o777)
    path = os.path.join(dirpath, "notify.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n"
                "cat > '%s/in-'\"$FERRY_DELIVERY_ID\".json\n"
                "echo \"$FERRY_ALERT_ID $FERRY_ALERT_EVENT $FERRY_ALERT_MONITOR $1\" > '%s/env-'"
                "\"$FERRY_DELIVERY_ID\"\n" % (dirpath, dirpath))
    os.chmod(path, 0o755)
    return path


def test_signed_webhook_command_sink_cli_rest_and_metrics(ferry):
    rec = Receiver()
    work = tempfile.mkdtemp(prefix="ferry-alerts-")
    srv = Server(ferry, env=FAST).start()
    try:
        c = srv.client()
        _deployment(c, "al-dep")
        script = _command_sink(work)
        _monitor(ferry, srv, "al-mon", "al-dep", [
            {"webhook": {"url": rec.url(), "secret_env": "FERRY_TEST_WEBHOOK_SECRET",
                         "headers": {"X-Team": "ml"}}},
            {"command": {"path": script, "args": ["first-arg"]}}])
        aid = _open(ferry, srv, "al-mon")
        reqs = _wait(lambda: rec.requests(), what="the webhook")
        headers, body, path = reqs[0]
        assert path == "/hook" and headers["x-team"] == "ml"
        doc = _check_signed(headers, body, "alert.opened")
        assert doc["event"] == "alert.opened" and doc["monitor"] == "al-mon"
        assert doc["deployment"] == "al-dep" and doc["condition"] == "drift"
        assert doc["alert"]["id"] == aid and doc["state"] == "open"
        assert doc["severity"] == "critical" and doc["details"]["drift_share"] == 0.5
        assert doc["window"] == {"start_ms": T0, "end_ms": T0 + HOUR,
                                 "opened_window_start_ms": T0}
        # the command sink: the same body on its standard input, the alert in its environment
        dl = _wait(lambda: [d for d in _deliveries(c, aid) if d["state"] == "delivered"]
                   if len([d for d in _deliveries(c, aid) if d["state"] == "delivered"]) == 2
                   else None, what="both deliveries")
        cmd = [d for d in dl if d["sink_kind"] == "command"][0]
        hook = [d for d in dl if d["sink_kind"] == "webhook"][0]
        assert headers["x-ferry-delivery"] == str(hook["id"])
        assert hook["attempt"] == 1 and hook["http_status"] == 200 and hook["error"] == ""
        assert cmd["attempt"] == 1 and cmd["event"] == "opened"
        with open(os.path.join(work, "in-%d.json" % cmd["id"])) as f:
            stdin_doc = json.load(f)
        assert stdin_doc["alert"]["id"] == aid and stdin_doc["event"] == "alert.opened"
        with open(os.path.join(work, "env-%d" % cmd["id"])) as f:
            assert f.read().split() == [str(aid), "alert.opened", "al-mon", "first-arg"]

        # REST and CLI: list, get, ack, resolve; wrong states and bad ids
        listed = c.ok(c.get("alerts/list", {"monitor": "al-mon", "state": "open"},
                            prefix=FERRY))["alerts"]
        assert [a["id"] for a in listed] == [aid]
        assert c.ok(c.get("alerts/list", {"state": "resolved"}, prefix=FERRY)).get(
            "alerts", []) == []
        out = _cli(ferry, srv, "list", "--monitor", "al-mon", "--json")
        assert out.returncode == 0, out.stderr
        assert [a["id"] for a in json.loads(out.stdout)["alerts"]] == [aid]
        out = _cli(ferry, srv, "list", "--state", "active")
        assert out.returncode == 0 and b"al-mon" in out.stdout and b"drift" in out.stdout
        out = _cli(ferry, srv, "ack", str(aid))
        assert out.returncode == 0 and b"acknowledged" in out.stdout, out
        acked = c.ok(c.get("alerts/get", {"alert_id": aid}, prefix=FERRY))["alert"]
        expect_error(c.post("alerts/ack", {"alert_id": aid}, prefix=FERRY), 400,
                     "INVALID_STATE")
        assert c.ok(c.get("alerts/get", {"alert_id": aid}, prefix=FERRY))["alert"] == acked
        a = c.ok(c.post("alerts/resolve", {"alert_id": str(aid)}, prefix=FERRY))["alert"]
        assert a["state"] == "resolved" and a["acked_ms"] > 0 and a["resolved_ms"] > 0
        expect_error(c.post("alerts/resolve", {"alert_id": aid}, prefix=FERRY), 400,
                     "INVALID_STATE")
        assert c.ok(c.get("alerts/get", {"alert_id": aid}, prefix=FERRY))["alert"] == a
        out = _cli(ferry, srv, "resolve", str(aid))
        assert out.returncode == 1 and b"ferry:" in out.stderr, out
        for op, send in (("alerts/get", c.get), ("alerts/deliveries", c.get),
                         ("alerts/ack", c.post), ("alerts/resolve", c.post)):
            expect_error(send(op, {"alert_id": 987654}, prefix=FERRY), 404,
                         "RESOURCE_DOES_NOT_EXIST")
            expect_error(send(op, {"alert_id": "abc"}, prefix=FERRY), 400,
                         "INVALID_PARAMETER_VALUE")
        expect_error(c.get("alerts/get", {}, prefix=FERRY), 400, "INVALID_PARAMETER_VALUE")
        expect_error(c.get("alerts/list", {"state": "sleeping"}, prefix=FERRY), 400,
                     "INVALID_PARAMETER_VALUE")
        out = _cli(ferry, srv, "get", "987654")
        assert out.returncode == 1 and b"ferry:" in out.stderr
        out = _cli(ferry, srv, "ack", "x")
        assert out.returncode == 2

        # the resolve is delivered too, signed
        reqs = _wait(lambda: [r for r in rec.requests() if r[0]["x-ferry-event"] ==
                              "alert.resolved"], what="the resolved webhook")
        doc = _check_signed(reqs[0][0], reqs[0][1], "alert.resolved")
        assert doc["state"] == "resolved" and doc["alert"]["resolved_ms"] > 0
        out = _cli(ferry, srv, "deliveries", str(aid), "--json")
        assert out.returncode == 0
        events = sorted((d["event"], d["sink_kind"]) for d in json.loads(out.stdout)[
            "deliveries"])
        assert events == [("opened", "command"), ("opened", "webhook"), ("resolved", "command"),
                          ("resolved", "webhook")], events

        m = _wait(lambda: (lambda x: x if x.get(
            'ferry_alert_deliveries_total{result="delivered"}', 0) >= 4 else None)(
                _metrics(c)), what="the delivery counters")
        assert m["ferry_alerts_opened_total"] == 1 and m["ferry_alerts_resolved_total"] == 1, m
        assert 'ferry_alerts_open{monitor="al-mon"}' not in m, m
        aid2 = _open(ferry, srv, "al-mon", k=1, condition="decay:f1")
        m = _wait(lambda: (lambda x: x if x.get("ferry_alerts_opened_total") == 2 else None)(
            _metrics(c)), what="the second alert counted")
        assert m['ferry_alerts_open{monitor="al-mon"}'] == 1, m
        assert aid2 != aid
    finally:
        rc = srv.stop()
        rec.stop()
        shutil.rmtree(work, ignore_errors=True)
    assert rc == 0, srv.stderr_tail()


def test_retried_until_delivered_then_a_dead_receiver_fails(ferry):
    rec = Receiver(statuses=[500, 500])
    srv = Server(ferry, env=FAST).start()
    try:
        c = srv.client()
        _deployment(c, "rt-dep")
        dead = "http://127.0.0.1:%d/hook" % _free_port()
        _monitor(ferry, srv, "rt-mon", "rt-dep", [
            {"webhook": {"url": rec.url(), "secret_env": "FERRY_TEST_WEBHOOK_SECRET"}},
            {"webhook": {"url": dead}}])
        aid = _open(ferry, srv, "rt-mon")
        done = _wait(lambda: (lambda ds: ds if all(d["state"] != "pending" for d in ds)
                              else None)(_deliveries(c, aid)), what="both deliveries settled")
        ok = [d for d in done if d["sink_index"] == 0][0]
        bad = [d for d in done if d["sink_index"] == 1][0]
        assert ok["state"] == "delivered" and ok["attempt"] == 3 and ok["http_status"] == 200
        reqs = rec.requests()
        assert len(reqs) == 3
        assert len({r[0]["x-ferry-delivery"] for r in reqs}) == 1  # one delivery, retried
        for h, body, _ in reqs:
            _check_signed(h, body, "alert.opened", ok["id"])
        assert bad["state"] == "failed" and bad["attempt"] == 3 and bad["error"], bad
        m = _metrics(c)
        assert m['ferry_alert_deliveries_total{result="retry"}'] == 4, m
        assert m['ferry_alert_deliveries_total{result="failed"}'] == 1, m
        assert m['ferry_alert_deliveries_total{result="delivered"}'] == 1, m
        assert "not delivered" in srv.stderr_tail(60)
    finally:
        rc = srv.stop()
        rec.stop()
    assert rc == 0, srv.stderr_tail()


def test_a_restart_picks_pending_deliveries_up(ferry):
    port = _free_port()
    env = dict(FAST, FERRY_ALERT_RETRY_BASE_MS="1500", FERRY_ALERT_MAX_ATTEMPTS="10")
    srv = Server(ferry, env=env).start()
    rec = None
    try:
        c = srv.client()
        _deployment(c, "rs-dep")
        _monitor(ferry, srv, "rs-mon", "rs-dep", [
            {"webhook": {"url": "http://127.0.0.1:%d/hook" % port,
                         "secret_env": "FERRY_TEST_WEBHOOK_SECRET"}}])
        aid = _open(ferry, srv, "rs-mon")
        _wait(lambda: [d for d in _deliveries(c, aid) if d["attempt"] >= 1],
              what="a failed first attempt")
        assert srv.stop() == 0
        rec = Receiver(port=port)
        srv.start()
        c = srv.client()
        reqs = _wait(lambda: rec.requests(), what="the delivery after the restart")
        _check_signed(reqs[0][0], reqs[0][1], "alert.opened")
        d = _wait(lambda: [d for d in _deliveries(c, aid) if d["state"] == "delivered"],
                  what="the delivery recorded")[0]
        assert d["attempt"] >= 2, d
    finally:
        rc = srv.stop()
        if rec:
            rec.stop()
    assert rc == 0, srv.stderr_tail()


def test_metrics_and_alerts_on_an_empty_store(ferry):
    srv = Server(ferry).start()
    try:
        c = srv.client()
        m = _metrics(c)
        assert m["ferry_alerts_opened_total"] == 0 and m["ferry_alerts_resolved_total"] == 0
        r = c.ok(c.get("alerts/list", {}, prefix=FERRY))
        assert r.get("alerts", []) == []
        expect_error(c.get("alerts/list", {"max_results": 0}, prefix=FERRY), 400,
                     "INVALID_PARAMETER_VALUE")
        out = _cli(ferry, srv, "list")
        assert out.returncode == 0 and b"ID" in out.stdout
    finally:
        rc = srv.stop()
    assert rc == 0, srv.stderr_tail()


def test_two_servers_deliver_each_once(ferry):
    """Two servers on one database: one holds the lease 'alert-sinks' and sends; every delivery
    reaches the receiver once."""
    rec = Receiver()
    a = Server(ferry, env=FAST).start()
    b = Server(ferry, db=a.db, store=a.store if a.db is None else None, env=FAST).start()
    try:
        c = a.client()
        _deployment(c, "two-dep")
        _monitor(ferry, a, "two-mon", "two-dep", [
            {"webhook": {"url": rec.url(), "secret_env": "FERRY_TEST_WEBHOOK_SECRET"}}])
        ids = [_open(ferry, a, "two-mon", k=k, condition=cond)
               for k, cond in enumerate(("drift", "decay:f1", "quality:schema"))]
        _wait(lambda: all(d["state"] == "delivered" for i in ids for d in _deliveries(c, i)),
              what="every delivery")
        time.sleep(0.5)  # a second sender, were there one, would have sent by now
        reqs = rec.requests()
        assert sorted(r[0]["x-ferry-delivery"] for r in reqs) == sorted(
            str(d["id"]) for i in ids for d in _deliveries(c, i)), reqs
        assert len(reqs) == 3
    finally:
        rcb = b.stop()
        rca = a.stop()
        rec.stop()
    assert rca == 0 and rcb == 0


if _monitor_setup:
    def test_a_real_monitor_drifts_and_its_webhook_arrives_signed(ferry):
        """A monitor over a real deployment's log (test_monitors.py's setup): shifted traffic
        drifts, the window's alert reaches the receiver signed, naming that window."""
        rec = Receiver()
        srv = Server(ferry, env=FAST).start()
        gw = None
        try:
            c = srv.client()
            rid = _monitor_setup(srv, c, "alr")
            spec = _monitor_spec("alr-mon", "alr", rid)
            spec["sinks"] = [{"webhook": {"url": rec.url(),
                                          "secret_env": "FERRY_TEST_WEBHOOK_SECRET"}}]
            c.ok(c.post("monitors/apply", {"spec": spec}, prefix=FERRY))
            gw = Gateway(ferry, srv)
            gw.wait_served("alr", lambda e: e["targets"][0]["loaded"])
            _traffic(gw, "alr", 300, 2, shift=0.6)
            _wait_logged(c, "alr", 300)
            rep = c.ok(c.post("monitors/run", {"name": "alr-mon"}, prefix=FERRY))["report"]
            assert rep["dataset_drift"] is True, rep
            reqs = _wait(lambda: [r for r in rec.requests()
                                  if json.loads(r[1])["condition"] == "drift"],
                         what="the drift alert's webhook")
            doc = _check_signed(reqs[0][0], reqs[0][1], "alert.opened")
            assert doc["monitor"] == "alr-mon" and doc["deployment"] == "alr", doc
            assert doc["window"]["start_ms"] == rep["window_start_ms"], (doc, rep)
            assert doc["window"]["end_ms"] == rep["window_end_ms"], (doc, rep)
            listed = c.ok(c.get("alerts/list", {"monitor": "alr-mon"}, prefix=FERRY))["alerts"]
            assert doc["alert"]["id"] in [a["id"] for a in listed]
        finally:
            if gw:
                gw.stop()
            rc = srv.stop()
            rec.stop()
        assert rc == 0, srv.stderr_tail()
