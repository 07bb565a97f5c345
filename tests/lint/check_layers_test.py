#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/check-layers can fail: each rule is broken once in a throwaway tree and must be
reported, and a clean tree must pass. Ends with 'lint: N passed, N failed'."""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "check-layers")

CLEAN = {
    "base/sbuf.h": "int sbuf_len(void);\n",
    "base/sbuf.c": '#include "base/sbuf.h"\n\nint sbuf_len(void)\n{\n    return 0;\n}\n',
    "store/store.h": '#include "base/sbuf.h"\nint store_open(void);\n',
    "store/store.c": '#include "store/store.h"\n\nint store_open(void)\n{\n'
                     "    return sbuf_len();\n}\n",
    "store/store_int.h": "struct store_ops;\n",
}

BROKEN = {
    "a folder without a rank": {"wizards/spell.c": "int spell(void);\n"},
    "a lower layer including a higher one": {
        "base/bad.c": '#include "store/store.h"\n'},
    "another folder's internal header": {
        "client/c.c": '#include "store/store_int.h"\n'},
    "a circle": {
        "base/a.h": "int fa(void);\n",
        "base/a.c": '#include "base/b.h"\n\nint fa(void)\n{\n    return fb();\n}\n',
        "base/b.h": "int fb(void);\n",
        "base/b.c": '#include "base/a.h"\n\nint fb(void)\n{\n    return fa();\n}\n'},
    "a header named after something else": {
        "base/sbuf.h": "int sbuf_len(void);\nint other_thing(void);\n",
        "base/other.c": "int other_thing(void)\n{\n    return 1;\n}\n"},
}


def run(files):
    root = tempfile.mkdtemp(prefix="ferry-lint-")
    try:
        os.makedirs(os.path.join(root, "scripts"))
        shutil.copy(SCRIPT, os.path.join(root, "scripts", "check-layers"))
        for rel, text in files.items():
            p = os.path.join(root, "src", rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)
        return subprocess.run([sys.executable, os.path.join(root, "scripts", "check-layers")],
                              capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(root)


def main():
    passed = failed = 0
    r = run(CLEAN)
    if r.returncode == 0 and "ok" in r.stdout:
        print("ok   a clean tree passes")
        passed += 1
    else:
        print("FAIL a clean tree passes\n    %s" % r.stdout)
        failed += 1
    for what, change in BROKEN.items():
        r = run(dict(CLEAN, **change))
        if r.returncode == 1 and r.stdout.strip():
            print("ok   %s is reported: %s" % (what, r.stdout.strip().splitlines()[0][:100]))
            passed += 1
        else:
            print("FAIL %s is not reported (exit %d)\n    %s" % (what, r.returncode, r.stdout))
            failed += 1
    r = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True, timeout=120)
    if r.returncode == 0:
        print("ok   the project's own tree passes")
        passed += 1
    else:
        print("FAIL the project's own tree:\n    %s" % r.stdout)
        failed += 1
    print("lint: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
