# SPDX-License-Identifier: MIT
"""The tracking, registry, logged-model, trace and artifact suites again, against a front
server whose backend store is another ferry server (support/front.py): whatever they
check of a server must hold of the front too. NOT_THROUGH_A_FRONT lists the tests that
check what a front does differently by design (server/forward.h), with the reason; each
of those differences has its own test in test_upstream.py."""
import importlib

from support.front import Front

SERVER = Front
SUITES = ("test_runs", "test_experiments", "test_logging", "test_values", "test_history",
          "test_search", "test_search_filters", "test_datasets", "test_registry",
          "test_logged_models", "test_traces", "test_artifacts", "test_endpoints", "test_http",
          "test_concurrency")
NOT_THROUGH_A_FRONT = {
    "test_artifacts.test_gc_through_the_server": "ferry/gc is refused (501)",
    "test_registry.test_audit_records_the_basic_auth_user":
        "the front does not pass on who asked; the upstream records the front's own user",
}

for _name in SUITES:
    _mod = importlib.import_module(_name)
    assert not getattr(_mod, "OWN_SERVER", False), _name
    for _test in sorted(dir(_mod)):
        if (_test.startswith("test_") and callable(getattr(_mod, _test))
                and "%s.%s" % (_name, _test) not in NOT_THROUGH_A_FRONT):
            globals()["test_%s.%s" % (_name[5:], _test[5:])] = getattr(_mod, _test)
