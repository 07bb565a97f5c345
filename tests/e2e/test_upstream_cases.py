# SPDX-License-Identifier: MIT
"""Every REST case file (tests/e2e/cases/, see test_cases.py) sent to a front server whose
backend store is another ferry server (support/front.py), and also straight to that
upstream: the front must answer as the case says, with the very same status and JSON as
the upstream (whether the front refused the request itself or passed the upstream's
answer on), and the store, read back through the front, must not change. The cases whose
answer is the front's own by design are in FRONT_ANSWERS, with the reason."""
import json
import os

import test_cases
from support.front import Front

SERVER = Front
fixture = {}

# case -> (status, error code, why the front answers it itself; server/forward.h)
FRONT_ANSWERS = {
    "ferry/gc_older_than_negative": (501, "NOT_IMPLEMENTED",
                                     "ferry/gc is refused: purging belongs where the store is"),
    # a front has no data root: dataset objects go to the server that keeps the store
    "datasets/datasets_objects_download_unknown": (
        501, "NOT_IMPLEMENTED", "dataset objects are sent to the server that holds them"),
    "datasets/datasets_objects_upload_not_a_pack": (
        501, "NOT_IMPLEMENTED", "dataset objects are sent to the server that holds them"),
}


def _make(name, path):
    def test(srv, c):
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
        if name in FRONT_ANSWERS:
            case["status"], case["error_code"], _ = FRONT_ANSWERS[name]
            case.pop("message", None)
            test_cases.run_case(case, c, fixture)
            return
        test_cases._seed(c, fixture)
        up = srv.upstream_client()
        try:
            want = test_cases._send(up, case["request"], fixture)
        finally:
            up.close()
        got = test_cases.run_case(case, c, fixture)
        assert got.status == want.status, "front %r, upstream %r" % (got, want)
        assert (got.json, got.body if got.json is None else None) == \
            (want.json, want.body if want.json is None else None), \
            "front %r, upstream %r" % (got, want)
    return test


for area in sorted(os.listdir(test_cases.CASES)):
    d = os.path.join(test_cases.CASES, area)
    for fname in sorted(os.listdir(d)) if os.path.isdir(d) else ():
        if fname.endswith(".json"):
            key = "%s/%s" % (area, fname[:-5])
            globals()["test_" + key] = _make(key, os.path.join(d, fname))
