# SPDX-License-Identifier: MIT
"""Registry webhooks as MLflow 3.x defines them (docs/webhooks.md): the REST rows at MLflow's
paths, deliveries of registry changes made over REST to a real HTTP receiver on 127.0.0.1 (a
free port) that verifies each signature the way MLflow's documentation tells receivers to
(HMAC-SHA256 of "<delivery id>.<timestamp>.<body>" keyed by the secret, base64, after "v1,"),
retries with the same delivery id, the delivery log, the test row, and bad inputs refused with
MLflow's error shape and nothing stored. Retry waits are short: the servers here run with
FERRY_WEBHOOK_RETRY_BASE_MS and friends set, and allow http:// URLs. Runs on both backends."""
import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

from support.server import Server, expect_error

OWN_SERVER = True
FERRY = "/api/2.0/ferry/"
SECRET = "whsec-mlflow-e2e-42"
ENV = {"FERRY_WEBHOOK_RETRY_BASE_MS": "150", "FERRY_WEBHOOK_RETRY_MAX_MS": "600",
       "FERRY_WEBHOOK_MAX_ATTEMPTS": "4", "FERRY_WEBHOOK_ALLOWED_SCHEMES": "http,https",
       "FERRY_WEBHOOK_GAP_WAIT_MS": "2000"}


class Receiver:
    """Answers with `statuses` in turn (then 200); keeps (headers, body) of each request."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.got = []
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with rec.lock:
                    rec.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = rec.statuses.pop(0) if rec.statuses else 200
                out = b'{"ok": true}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def requests(self):
        with self.lock:
            return list(self.got)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _wait(pred, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def verify(headers, body, secret):
    """MLflow's documented receiver check: the signature over delivery id, timestamp and the raw
    body, compared in constant time, and a timestamp of the last five minutes."""
    did = headers["x-mlflow-delivery-id"]
    ts = headers["x-mlflow-timestamp"]
    sig = headers["x-mlflow-signature"]
    assert sig.startswith("v1,"), sig
    want = base64.b64encode(hmac.new(secret.encode(), ("%s.%s." % (did, ts)).encode() + body,
                                     hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(sig[3:], want), "bad signature %s" % sig
    assert abs(time.time() - int(ts)) < 300
    return json.loads(body)


def _call(c, method, path, doc=None):
    return c.raw(method, "/api/2.0/mlflow/" + path, json.dumps(doc) if doc is not None else None)


def _hook(c, url, events, **kw):
    doc = dict(name=kw.pop("name", "hook-1"), url=url, events=events, **kw)
    r = _call(c, "POST", "webhooks", doc)
    return c.ok(r)["webhook"]


def _deliveries(c, wid):
    return c.ok(c.get("webhooks/deliveries", {"webhook_id": wid}, prefix=FERRY))["deliveries"]


def _events(rec):
    return [(json.loads(b)["entity"] + "." + json.loads(b)["action"], json.loads(b))
            for _, b in rec.requests()]


def test_registry_changes_arrive_signed(ferry):
    rec = Receiver()
    srv = Server(ferry, env=ENV).start()
    try:
        c = srv.client()
        hook = _hook(c, rec.url(), [{"entity": "MODEL_VERSION", "action": "CREATED"},
                                    {"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"},
                                    "model_version_alias.deleted",
                                    {"entity": "MODEL_VERSION_TAG", "action": "SET"},
                                    {"entity": "REGISTERED_MODEL", "action": "CREATED"}],
                     secret=SECRET, description="e2e")
        wid = hook["webhook_id"]
        assert "secret" not in hook and hook["status"] == "ACTIVE"
        assert hook["events"][0] == {"entity": "MODEL_VERSION", "action": "CREATED"}
        assert hook["events"][2] == {"entity": "MODEL_VERSION_ALIAS", "action": "DELETED"}
        got = c.ok(_call(c, "GET", "webhooks/" + wid))["webhook"]
        assert got == hook
        c.ok(c.post("registered-models/create", {"name": "wh-model", "description": "m",
                                                 "tags": [{"key": "team", "value": "risk"}]}))
        c.ok(c.post("model-versions/create", {"name": "wh-model", "source": "s3://b/m1",
                                              "tags": [{"key": "k", "value": "v"}]}))
        c.ok(c.post("model-versions/set-tag", {"name": "wh-model", "version": "1",
                                               "key": "stage", "value": "qa"}))
        c.ok(c.post("registered-models/alias", {"name": "wh-model", "alias": "champion",
                                                "version": "1"}))
        c.ok(c.raw("DELETE", "/api/2.0/mlflow/registered-models/alias",
                   json.dumps({"name": "wh-model", "alias": "champion"})))
        # a model's own tag and a stage change: not subscribed, not sent
        c.ok(c.post("registered-models/set-tag", {"name": "wh-model", "key": "a", "value": "b"}))
        got = _wait(lambda: len(rec.requests()) >= 5 and rec.requests(), what="5 deliveries")
        time.sleep(0.5)
        assert len(rec.requests()) == 5, _events(rec)
        docs = []
        for headers, body in got:
            assert headers["content-type"] == "application/json"
            docs.append(verify(headers, body, SECRET))
        names = [d["entity"] + "." + d["action"] for d in docs]
        assert names == ["registered_model.created", "model_version.created",
                         "model_version_tag.set", "model_version_alias.created",
                         "model_version_alias.deleted"], names
        # tags and descriptions are read when the dispatcher maps the event (docs/webhooks.md):
        # a tag set right after may be there too
        d0 = docs[0]["data"]
        assert d0["name"] == "wh-model" and d0["description"] == "m", docs[0]
        assert d0["tags"].get("team") == "risk", docs[0]
        d1 = docs[1]["data"]
        assert {k: d1[k] for k in ("name", "version", "source", "run_id", "description")} == {
            "name": "wh-model", "version": "1", "source": "s3://b/m1", "run_id": None,
            "description": None}, docs[1]
        assert d1["tags"].get("k") == "v", docs[1]
        assert docs[2]["data"] == {"name": "wh-model", "version": "1", "key": "stage",
                                   "value": "qa"}
        assert docs[3]["data"] == {"name": "wh-model", "alias": "champion", "version": "1"}
        assert docs[4]["data"] == {"name": "wh-model", "alias": "champion"}
        assert docs[0]["timestamp"].endswith("+00:00")
        ids = {h["x-mlflow-delivery-id"] for h, _ in got}
        assert len(ids) == 5
        # a tampered body does not verify
        h, b = got[0]
        try:
            verify(h, b.replace(b"wh-model", b"wh-modex"), SECRET)
            raise RuntimeError("a tampered body verified")
        except AssertionError:
            pass
        # the log: every delivery, delivered on the first attempt
        log = _wait(lambda: [d for d in _deliveries(c, wid) if d["state"] == "delivered"]
                    if len(_deliveries(c, wid)) == 5 else None, what="the log")
        assert len(log) == 5 and all(d["attempts"] == 1 and d["http_status"] == 200
                                     for d in log)
        assert {d["delivery_id"] for d in log} == ids
        # disabled: nothing more is sent; a webhook without the event gets nothing
        c.ok(_call(c, "PATCH", "webhooks/" + wid, {"status": "DISABLED"}))
        c.ok(c.post("model-versions/create", {"name": "wh-model", "source": "s3://b/m2"}))
        time.sleep(1.0)
        assert len(rec.requests()) == 5
    finally:
        srv.stop()
        rec.stop()


def test_a_failing_receiver_gets_retries_with_one_delivery_id(ferry):
    rec = Receiver(statuses=[500, 500])
    srv = Server(ferry, env=ENV).start()
    try:
        c = srv.client()
        hook = _hook(c, rec.url(), ["model_version.created"], name="flaky", secret=SECRET)
        c.ok(c.post("registered-models/create", {"name": "wh-flaky"}))
        c.ok(c.post("model-versions/create", {"name": "wh-flaky", "source": "s3://b/f"}))
        got = _wait(lambda: len(rec.requests()) >= 3 and rec.requests(), what="3 attempts")
        assert len({h["x-mlflow-delivery-id"] for h, _ in got}) == 1
        bodies = {b for _, b in got}
        assert len(bodies) == 1  # the same body each time, signed anew
        for h, b in got:
            verify(h, b, SECRET)
        d = _wait(lambda: [x for x in _deliveries(c, hook["webhook_id"])
                           if x["state"] == "delivered"], what="delivered")[0]
        assert d["attempts"] == 3 and d["http_status"] == 200 and d["event"] == \
            "model_version.created"
        assert d["payload"]["data"]["name"] == "wh-flaky"
        time.sleep(0.8)
        assert len(rec.requests()) == 3
        # a dead receiver: failed after the last attempt, the error recorded
        rec2 = Receiver(statuses=[503] * 10)
        h2 = _hook(c, rec2.url(), ["model_version.created"], name="dead")
        c.ok(c.post("model-versions/create", {"name": "wh-flaky", "source": "s3://b/g"}))
        d = _wait(lambda: [x for x in _deliveries(c, h2["webhook_id"])
                           if x["state"] == "failed"], what="failed")[0]
        assert d["attempts"] == 4 and d["http_status"] == 503 and "HTTP 503" in d["error"]
        assert "x-mlflow-signature" not in rec2.requests()[0][0]  # no secret: unsigned
        rec2.stop()
    finally:
        srv.stop()
        rec.stop()


def test_crud_test_row_and_bad_inputs(ferry):
    rec = Receiver(statuses=[201, 404])
    srv = Server(ferry, env=ENV).start()
    try:
        c = srv.client()
        # bad inputs: MLflow's error shape, nothing stored
        bad = [
            ({"url": rec.url(), "events": ["model_version.created"]}, "name"),
            ({"name": "x", "url": "ftp://h/p", "events": ["model_version.created"]}, "scheme"),
            ({"name": "x", "url": rec.url(), "events": [{"entity": "RUN", "action": "CREATED"}]},
             "RUN"),
            ({"name": "x", "url": rec.url()}, "events"),
            ({"name": "x", "url": rec.url(), "events": ["model_version.created"],
              "status": "OFF"}, "status"),
            ({"name": "bad name", "url": rec.url(), "events": ["model_version.created"]},
             "name"),
        ]
        for doc, word in bad:
            expect_error(_call(c, "POST", "webhooks", doc), 400, "INVALID_PARAMETER_VALUE", word)
        assert c.ok(_call(c, "GET", "webhooks")).get("webhooks", []) == []
        expect_error(_call(c, "GET", "webhooks/nope"), 404, "RESOURCE_DOES_NOT_EXIST",
                     "not found")
        # create, list (paged), update, test, delete
        # newest first is by creation time (ties by the random id): 5 ms apart
        ids = []
        for i in range(3):
            ids.append(_hook(c, rec.url(), ["registered_model.created"], name="h%d" % i,
                             secret=SECRET)["webhook_id"])
            time.sleep(0.005)
        page = c.ok(c.get("webhooks", {"max_results": 2}))
        assert [w["name"] for w in page["webhooks"]] == ["h2", "h1"]
        rest = c.ok(c.get("webhooks", {"max_results": 2, "page_token": page["next_page_token"]}))
        assert [w["name"] for w in rest["webhooks"]] == ["h0"] and "next_page_token" not in rest
        upd = c.ok(_call(c, "PATCH", "webhooks/" + ids[0], {
            "name": "renamed", "events": [{"entity": "MODEL_VERSION_TAG", "action": "DELETED"}]}))
        assert upd["webhook"]["name"] == "renamed"
        assert upd["webhook"]["events"] == [{"entity": "MODEL_VERSION_TAG", "action": "DELETED"}]
        expect_error(_call(c, "PATCH", "webhooks/" + ids[0], {"url": "ftp://x/y"}), 400,
                     "INVALID_PARAMETER_VALUE", "scheme")
        assert c.ok(_call(c, "GET", "webhooks/" + ids[0]))["webhook"] == upd["webhook"]
        # as MLflow: an empty field is one not given
        same = c.ok(_call(c, "PATCH", "webhooks/" + ids[0], {"name": "", "url": "",
                                                              "events": []}))["webhook"]
        assert same["name"] == "renamed" and same["events"] == upd["webhook"]["events"]
        # test: the first event's example payload, signed; the receiver's answer reported
        res = c.ok(_call(c, "POST", "webhooks/%s/test" % ids[0], {}))["result"]
        assert res["success"] is True and res["response_status"] == 201
        assert res["response_body"] == '{"ok": true}'
        h, b = rec.requests()[-1]
        doc = verify(h, b, SECRET)
        assert doc["entity"] == "model_version_tag" and doc["action"] == "deleted"
        res = c.ok(_call(c, "POST", "webhooks/%s/test" % ids[0], {
            "event": {"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}}))["result"]
        assert res["success"] is False and res["response_status"] == 404
        assert json.loads(rec.requests()[-1][1])["data"]["alias"] == "example_alias"
        # a receiver that is not there: success false with the reason
        c.ok(_call(c, "PATCH", "webhooks/" + ids[1], {"url": "http://127.0.0.1:9/none"}))
        res = c.ok(_call(c, "POST", "webhooks/%s/test" % ids[1], {}))["result"]
        assert res["success"] is False and "Failed to test webhook" in res["error_message"]
        c.ok(_call(c, "DELETE", "webhooks/" + ids[2]))
        expect_error(_call(c, "DELETE", "webhooks/" + ids[2]), 404, "RESOURCE_DOES_NOT_EXIST")
        expect_error(_call(c, "GET", "webhooks/" + ids[2]), 404, "RESOURCE_DOES_NOT_EXIST")
        assert len(c.ok(_call(c, "GET", "webhooks"))["webhooks"]) == 2
        expect_error(c.get("webhooks/deliveries", {"max_results": "-1"}, prefix=FERRY), 400,
                     "INVALID_PARAMETER_VALUE")
    finally:
        srv.stop()
        rec.stop()


def test_two_servers_deliver_each_once(ferry):
    """Two servers on one database: the lease makes one dispatcher; each event is sent once."""
    rec = Receiver()
    a = Server(ferry, env=ENV).start()
    b = Server(ferry, db=a.db, store=None if a.db else a.store, env=ENV).start()
    try:
        ca, cb = a.client(), b.client()
        _hook(ca, rec.url(), ["model_version.created"], name="once")
        ca.ok(ca.post("registered-models/create", {"name": "wh-two"}))
        for i in range(4):
            c = ca if i % 2 else cb
            c.ok(c.post("model-versions/create", {"name": "wh-two", "source": "s3://b/%d" % i}))
        _wait(lambda: len(rec.requests()) >= 4, what="4 deliveries")
        time.sleep(1.5)
        versions = sorted(json.loads(bd)["data"]["version"] for _, bd in rec.requests())
        assert versions == ["1", "2", "3", "4"], versions
    finally:
        b.stop()
        a.stop()
        rec.stop()
