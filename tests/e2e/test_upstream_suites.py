# SPDX-License-Identifier: MIT
"""The tracking, registry, logged-model, trace and artifact suites again, against a front
server whose backend store is another ferry server (support/front.py): whatever they
check of a server must hold of the front too. NOT_THROUGH_A_FRONT lists the tests that
check what a front does differently by design (server/forward.h; each difference has its
own test in test_upstream.py) or that would only repeat, slowly, what the front does
exactly as any server, with the reason."""
import importlib.util
import os

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
    "test_artifacts.test_large_file_streams_with_small_server_memory":
        "the artifact proxy is the front's own, nothing is forwarded (and it takes 6 s)",
}


def _fresh(name):
    """A copy of the module of its own, so that what it caches (a seeded fixture) belongs to
    this server, not to the one its first import ran against."""
    spec = importlib.util.spec_from_file_location(
        "front_" + name, os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


for _name in SUITES:
    _mod = _fresh(_name)
    assert not getattr(_mod, "OWN_SERVER", False), _name
    for _test in sorted(dir(_mod)):
        if (_test.startswith("test_") and callable(getattr(_mod, _test))
                and "%s.%s" % (_name, _test) not in NOT_THROUGH_A_FRONT):
            globals()["test_%s.%s" % (_name[5:], _test[5:])] = getattr(_mod, _test)
