#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests: every tests/e2e/test_*.py module gets a fresh `ferry server`
on a free 127.0.0.1 port (unless it sets OWN_SERVER; SERVER names another class
like support.server.Server, e.g. support.front.Front), each test_* function is
called with (server, client), and the server must exit 0 on SIGTERM afterwards
(ASan leak reports make it fail). A module with NEEDS_POSTGRES runs only in the
PostgreSQL pass (FERRY_E2E_PG_DIR set); one with NO_STORE (it never opens a
tracking store: `ferry models serve` of a local model, `ferry drift` of two
files) only in the SQLite pass, which the PostgreSQL pass would only repeat.
Ends with 'e2e: N passed, N failed'."""
import argparse
import importlib
import os
import shutil
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from support.server import CREATED_DIRS, Server, on_postgres  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", required=True)
    ap.add_argument("-k", default="", help="run only tests whose name contains this")
    args = ap.parse_args()
    ferry = os.path.abspath(args.ferry)
    passed = failed = 0
    if not os.access(ferry, os.X_OK):
        print("FAIL setup: %s is not an executable" % ferry)
        print("e2e: 0 passed, 1 failed")
        return 1
    mods = sorted(f[:-3] for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py"))
    for name in mods:
        try:
            mod = importlib.import_module(name)
        except Exception:
            print("FAIL %s: cannot import\n    %s" % (
                name, traceback.format_exc().replace("\n", "\n    ")), flush=True)
            failed += 1
            continue
        tests = [(n, getattr(mod, n)) for n in sorted(dir(mod))
                 if n.startswith("test_") and callable(getattr(mod, n))
                 and args.k in "%s.%s" % (name, n)]
        if not tests:
            continue
        if getattr(mod, "NEEDS_POSTGRES", False) and not on_postgres():
            continue  # runs in the PostgreSQL pass
        if getattr(mod, "NO_STORE", False) and on_postgres():
            continue  # ran in the SQLite pass, and no store is involved
        own = getattr(mod, "OWN_SERVER", False)
        srv = None
        if not own:
            try:
                srv = getattr(mod, "SERVER", Server)(ferry).start()
            except Exception:
                for tname, _ in tests:
                    print("FAIL %s.%s\n    server did not start:\n    %s" % (
                        name, tname, traceback.format_exc().replace("\n", "\n    ")), flush=True)
                    failed += 1
                continue
        for tname, fn in tests:
            t0 = time.time()
            client = srv.client() if srv else None
            try:
                fn(srv, client) if srv else fn(ferry)
                print("ok   %s.%s (%.2fs)" % (name, tname, time.time() - t0), flush=True)
                passed += 1
            except Exception:
                print("FAIL %s.%s" % (name, tname), flush=True)
                print("    " + traceback.format_exc().replace("\n", "\n    "))
                if srv:
                    tail = srv.stderr_tail(15).replace("\n", "\n    ")
                    print("    server log tail:\n    " + tail)
                failed += 1
            finally:
                if client:
                    client.close()
        if srv:
            rc = srv.stop()
            if rc == 0:
                print("ok   %s: server exits 0 on SIGTERM" % name, flush=True)
                passed += 1
            else:
                print("FAIL %s: server exit status %d\n    %s" % (
                    name, rc, srv.stderr_tail(40).replace("\n", "\n    ")), flush=True)
                failed += 1
    if failed == 0:
        for d in CREATED_DIRS:
            shutil.rmtree(d, ignore_errors=True)
    else:
        print("server databases and logs kept under %s/ferry-e2e-*" % tempfile.gettempdir())
    print("e2e: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
