# SPDX-License-Identifier: MIT
"""runs/search in depth: every comparator on metrics, params, tags and
attributes; quoted keys with spaces and dots; identifier aliases; order_by on
each kind of key with missing values last; pages over ties and over several
experiments; malformed filters and order_by clauses naming what is wrong;
filters big enough to hurt (deep nesting, long OR chains)."""
from support.server import expect_error

INV = "INVALID_PARAMETER_VALUE"
# name, start, status, end, acc, val loss, lr, opt.name, team, owner name
ROWS = [
    ("r1", 1000, "FINISHED", 1500, 0.1, 2.0, "0.1", "adam", "Alpha", "ann"),
    ("r2", 2000, "RUNNING", None, 0.5, 1.0, "0.01", "sgd", "alpha", "bob"),
    ("r3", 3000, "FAILED", 3500, 0.9, 0.5, "0.001", "Adam", "beta", "ann"),
    ("r4", 4000, "RUNNING", None, -1.0, "Infinity", "1e-4", None, None, None),
    ("r5", 5000, "KILLED", 5500, None, "-Infinity", None, "sgd_m", "gamma_1", "cy"),
]
S = {}


def _seed(c):
    if S:
        return S
    exp = c.create_experiment("filters")
    for name, start, status, end, acc, vl, lr, opt, team, owner in ROWS:
        rid = c.create_run(exp, run_name=name, start_time=start,
                           user_id="u" + name[1])["info"]["run_id"]
        metrics = [{"key": "val loss", "value": vl, "timestamp": 1, "step": 0}]
        if acc is not None:
            metrics.append({"key": "acc", "value": acc, "timestamp": 1, "step": 0})
        params = [{"key": k, "value": v} for k, v in (("lr", lr), ("opt.name", opt)) if v]
        tags = [{"key": k, "value": v} for k, v in (("team", team), ("owner name", owner)) if v]
        c.log_batch(rid, metrics, params, tags)
        upd = {"run_id": rid, "status": status}
        if end:
            upd["end_time"] = end
        c.ok(c.post("runs/update", upd))
        S[name] = rid
    S["exp"] = exp
    pages = c.create_experiment("pages")
    for i in range(40):
        rid = c.create_run(pages, run_name="p%02d" % i, start_time=777)["info"]["run_id"]
        c.log_batch(rid, [{"key": "v", "value": i % 4, "timestamp": 1, "step": 0}],
                    [{"key": "g", "value": "g%d" % (i % 3)}])
        S["p%02d" % i] = rid
    S["pages"] = pages
    return S


def _search(c, filt=None, order=None, exps=None, **kw):
    q = dict(kw, experiment_ids=exps or [S["exp"]])
    if filt is not None:
        q["filter"] = filt
    if order is not None:
        q["order_by"] = order
    return c.post("runs/search", q)


def _names(c, filt=None, order=None, **kw):
    r = _search(c, filt, order, **kw)
    assert r.status == 200, "filter %r order %r: %r" % (filt, order, r)
    return ",".join(x["info"]["run_name"] for x in (r.json or {}).get("runs", []))


def _check_all(c, cases, order=("attributes.run_name",)):
    problems = []
    for filt, want in cases:
        try:
            got = _names(c, filt, list(order))
        except AssertionError as e:
            problems.append(str(e))
            continue
        if got != want:
            problems.append("filter %r: got %r, want %r" % (filt, got, want))
    assert not problems, "\n".join(problems)


def test_metric_comparators(srv, c):
    _seed(c)
    _check_all(c, [
        ("metrics.acc = 0.5", "r2"), ("metrics.acc != 0.5", "r1,r3,r4"),
        ("metrics.acc > 0.1", "r2,r3"), ("metrics.acc >= 0.1", "r1,r2,r3"),
        ("metrics.acc < 0.5", "r1,r4"), ("metrics.acc <= 0.5", "r1,r2,r4"),
        ("metrics.acc > -2", "r1,r2,r3,r4"), ("metrics.acc >= 5e-1", "r2,r3"),
        ("metrics.acc>0.4", "r2,r3"), ("metric.acc = 0.9", "r3"),
        ("metrics.acc = 1", ""),
        ("metrics.`val loss` > 1", "r1,r4"), ('metrics."val loss" < 0', "r5"),
        ("metrics.`val loss` >= 0.5 AND metrics.`val loss` <= 1.0", "r2,r3"),
        ("metrics.missing > 0", ""),
    ])


def test_param_comparators(srv, c):
    _seed(c)
    _check_all(c, [
        ("params.lr = '0.01'", "r2"), ("params.lr != '0.01'", "r1,r3,r4"),
        ("params.lr LIKE '0.0%'", "r2,r3"), ("params.lr LIKE '%1'", "r1,r2,r3"),
        ("params.lr LIKE '0._'", "r1"), ("params.`opt.name` ILIKE 'ADAM'", "r1,r3"),
        ("params.`opt.name` LIKE 'adam'", "r1"), ('params."opt.name" = \'sgd\'', "r2"),
        ("param.`opt.name` LIKE 'sgd%'", "r2,r5"), ("parameters.lr = '1e-4'", "r4"),
        ("parameter.lr = '0.1'", "r1"),
        ("params.lr IN ('0.1', '1e-4')", "r1,r4"), ("params.lr NOT IN ('0.1', '1e-4')", "r2,r3"),
        ('params.lr = "0.01"', "r2"), ("params.lr = ''", ""),
    ])


def test_tag_comparators(srv, c):
    _seed(c)
    _check_all(c, [
        ("tags.team = 'alpha'", "r2"), ("tags.team != 'alpha'", "r1,r3,r5"),
        ("tags.team ILIKE 'ALPHA'", "r1,r2"), ("tags.team LIKE 'a%'", "r2"),
        ("tags.team LIKE '%a'", "r1,r2,r3"), ("tags.`owner name` = 'ann'", "r1,r3"),
        ('tag."owner name" IN (\'bob\', \'cy\')', "r2,r5"),
        ("tags.team NOT IN ('beta')", "r1,r2,r5"),
        ("tags.mlflow.runName = 'r4'", "r4"), ("tags.`mlflow.runName` LIKE 'r_'",
                                              "r1,r2,r3,r4,r5"),
    ])


def test_attribute_comparators(srv, c):
    _seed(c)
    _check_all(c, [
        ("attributes.status = 'RUNNING'", "r2,r4"), ("attributes.status != 'RUNNING'", "r1,r3,r5"),
        ("attributes.status IN ('FAILED', 'KILLED')", "r3,r5"),
        ("attributes.status NOT IN ('RUNNING')", "r1,r3,r5"),
        ("attributes.run_name LIKE 'r%'", "r1,r2,r3,r4,r5"),
        ("attributes.run_name ILIKE 'R1'", "r1"), ("run_name = 'r3'", "r3"),
        ("attr.start_time > 3000", "r4,r5"), ("attributes.start_time <= 2000", "r1,r2"),
        ("attributes.start_time = 3000", "r3"), ("attributes.start_time != 3000", "r1,r2,r4,r5"),
        ("attributes.start_time < 2000", "r1"), ("attributes.start_time >= 5000", "r5"),
        ("attributes.created >= 4000", "r4,r5"), ("attributes.Created < 2000", "r1"),
        ("attributes.end_time < 4000", "r1,r3"), ("run.status = 'KILLED'", "r5"),
        ("attributes.run_id IN ('%s', '%s')" % (S["r1"], S["r3"]), "r1,r3"),
        ("attributes.run_id NOT IN ('%s')" % S["r1"], "r2,r3,r4,r5"),
        ("attributes.run_id = '%s'" % S["r4"], "r4"),
        ("attributes.artifact_uri LIKE '%%/%s/artifacts'" % S["r2"], "r2"),
        ("attributes.user_id = 'u2'", "r2"), ("attributes.user_id != 'u2'", "r1,r3,r4,r5"),
    ])


def test_mlflow_attribute_aliases(srv, c):
    """created/Created for start_time, and run name/Run name/Run Name (quoted) for run_name."""
    _seed(c)
    _check_all(c, [
        ("attributes.created = 2000", "r2"), ("Created > 4000", "r5"),
        ("attributes.`Run name` = 'r1'", "r1"),
        ('attributes."run name" LIKE \'r_\'', "r1,r2,r3,r4,r5"), ("`Run Name` = 'r5'", "r5"),
    ])


def test_combinations_and_keyword_case(srv, c):
    _seed(c)
    _check_all(c, [
        ("metrics.acc > 0 AND params.lr LIKE '0.0%' AND tags.team = 'beta'", "r3"),
        ("metrics.acc > 0 and params.lr like '0.0%'", "r2,r3"),
        ("tags.team IN ('alpha') or attributes.status = 'KILLED'", "r2,r5"),
        ("params.lr in ('0.1') AND tags.team ilike 'a%'", "r1"),
        ("tags.team not in ('beta') and metrics.`val loss` > 0", "r1,r2"),
        ("(metrics.acc < 0 OR metrics.acc > 0.8) AND NOT attributes.status = 'FAILED'", "r4"),
        ("NOT (tags.team LIKE '%a' OR tags.team LIKE 'g%')", "r4"),
        ("((params.lr = '0.1'))", "r1"),
    ])


def test_order_by_each_kind_with_missing_values_last(srv, c):
    _seed(c)
    cases = [
        (["metrics.`val loss` ASC"], "r5,r3,r2,r1,r4"),
        (["metrics.`val loss` DESC"], "r4,r1,r2,r3,r5"),
        (["metrics.acc"], "r4,r1,r2,r3,r5"), (["metrics.acc DESC"], "r3,r2,r1,r4,r5"),
        (["params.`opt.name`", "start_time DESC"], "r3,r1,r2,r5,r4"),
        (["params.lr DESC"], "r4,r1,r2,r3,r5"),
        (["tags.team DESC"], "r5,r3,r2,r1,r4"), (["tags.`owner name`", "run_name DESC"],
                                                "r3,r1,r2,r5,r4"),
        (["attributes.status", "attributes.run_name DESC"], "r3,r1,r5,r4,r2"),
        (["attributes.end_time DESC"], "r5,r3,r1,r4,r2"),
        (["attributes.end_time ASC"], "r1,r3,r5,r4,r2"),
        (["attributes.start_time ASC"], "r1,r2,r3,r4,r5"), ([], "r5,r4,r3,r2,r1"),
        (["run_name desc"], "r5,r4,r3,r2,r1"),
    ]
    problems = []
    for order, want in cases:
        got = _names(c, None, order)
        if got != want:
            problems.append("order_by %r: got %r, want %r" % (order, got, want))
    assert not problems, "\n".join(problems)


def _walk(c, size, **q):
    seen, token = [], None
    for _ in range(200):
        doc = dict(q, max_results=size)
        if token:
            doc["page_token"] = token
        r = c.ok(c.post("runs/search", doc))
        page = r.get("runs", [])
        assert len(page) <= size, (len(page), size)
        seen += page
        token = r.get("next_page_token")
        if not token:
            return seen
    raise AssertionError("paging did not end")


def test_pages_over_ties_cover_every_run_once(srv, c):
    _seed(c)
    pages = S["pages"]
    for order in ([], ["metrics.v"], ["metrics.v DESC", "params.g"], ["params.g DESC"],
                  ["attributes.start_time"]):
        for size in (1, 7, 40, 1000):
            runs = _walk(c, size, experiment_ids=[pages], order_by=order)
            ids = [x["info"]["run_id"] for x in runs]
            assert len(ids) == 40 and len(set(ids)) == 40, (order, size, len(ids), len(set(ids)))
            if order == ["metrics.v"]:
                vals = [x["data"]["metrics"][0]["value"] for x in runs]
                assert vals == sorted(vals), (size, vals)
    # several experiments and a filter, three at a time
    runs = _walk(c, 3, experiment_ids=[S["exp"], pages],
                 filter="metrics.acc >= 0 OR metrics.v >= 2", order_by=["attributes.run_name"])
    names = [x["info"]["run_name"] for x in runs]
    want = sorted(["r1", "r2", "r3"] + ["p%02d" % i for i in range(40) if i % 4 >= 2])
    assert names == want, names


def test_page_tokens_are_checked(srv, c):
    _seed(c)
    r = c.ok(_search(c, max_results=2))
    token = r["next_page_token"]
    # truncated, extended, garbage; base64 of {"offset": -5} and of {"offset": "a"}
    for bad in ("!!!", token[:len(token) // 2], token + "x", "eyJvZmZzZXQiOiAtNX0=",
                "eyJvZmZzZXQiOiAiYSJ9", "a" * 5000):
        expect_error(_search(c, max_results=2, page_token=bad), 400, INV)
    for bad_max in (0, -1, 50001, 2 ** 40, "x"):
        expect_error(_search(c, max_results=bad_max), 400, INV)
    assert len(c.ok(_search(c, max_results=50000))["runs"]) == 5


def test_malformed_filters_name_the_problem(srv, c):
    _seed(c)
    cases = [
        ("params.lr = 0.01", "0.01"), ("metrics.acc = '0.5'", "0.5"),
        ("attributes.start_time > 'x'", "start_time"), ("metrics.acc > 0.5 0.6", "0.6"),
        ("metrics.acc <> 0.5", "<>"), ("metrics.acc == 0.5", "=="), ("params.lr ~ '0.1'", "~"),
        ("datasets.colour = 'x'", "colour"), ("AND metrics.acc > 0", "AND"),
        ("metrics.acc > 0 AND AND params.lr = '1'", "AND"),
        ("metrics.acc IN (0.5)", "IN"), ("tags.team = 'a' OR", "end of input"),
        ("tags. = 'x'", "tags"), ("params.lr IN ('a'", None), ("params.lr LIKE", None),
        ("metrics.`acc > 0.5", None), ("NOT", None), ("()", None), ("metrics.acc > 1e", None),
        ("metrics.acc > --1", None), ("params.lr = 'a' 'b'", None), ("metrics.acc >", None),
        ("= 0.5", None), ("metrics.acc > 0.5)", None), ("attributes.status > 'A'", None),
        ("attributes.start_time LIKE '1%'", None), ("metrics.acc ILIKE '1'", None),
        ("params.lr IN ('a',)", None), ("params.lr IN ('a' 'b')", None),
    ]
    problems = []
    for filt, needle in cases:
        try:
            expect_error(_search(c, filt), 400, INV, needle)
        except AssertionError as e:
            problems.append("filter %r: %s" % (filt, e))
    assert not problems, "\n".join(problems)


def test_malformed_order_by(srv, c):
    _seed(c)
    problems = []
    for order in (["metrics."], ["attributes.colour"], ["params.lr ASC DESC"], [""],
                  ["tags.`unterminated"], ["RANDOM()"], ["metrics.acc DESC; DROP TABLE runs"],
                  ["foo.bar"]):
        try:
            expect_error(_search(c, order=order), 400, INV)
        except AssertionError as e:
            problems.append("order_by %r: %s" % (order, e))
    assert not problems, "\n".join(problems)
    assert _names(c, order=["run_name"]) == "r1,r2,r3,r4,r5"


def test_hostile_filters_are_data_not_code(srv, c):
    _seed(c)
    _check_all(c, [
        ("tags.`x'; DROP TABLE runs; --` = 'y'", ""),
        ("params.lr = '0.01'' OR ''1''=''1'", ""),
        ("params.lr = '%'", ""), ("params.lr LIKE '%%'", "r1,r2,r3,r4"),
        ("attributes.run_name = 'r1\" OR \"1\"=\"1'", ""),
    ])
    assert _names(c, order=["run_name"]) == "r1,r2,r3,r4,r5"


def test_huge_filters_do_not_break_the_server(srv, c):
    """Deep nesting and long OR chains: a result or a clean 400, never a 500 or a crash."""
    _seed(c)
    deep = "(" * 3000 + "metrics.acc > 0" + ")" * 3000
    chain = " OR ".join("metrics.acc = %d" % i for i in range(2000)) + " OR metrics.acc > 0.8"
    nots = "NOT " * 4000 + "metrics.acc > 0.8"
    problems = []
    # plain MLflow syntax that scripts generate: 100 ANDed clauses must simply work
    ands = " AND ".join(["params.lr = '0.1'"] * 50 + ["metrics.acc < 0.2"] * 50)
    r = _search(c, ands, ["run_name"])
    if r.status != 200 or [x["info"]["run_name"] for x in r.json.get("runs", [])] != ["r1"]:
        problems.append("100 ANDed clauses: want 200 with r1, got %r" % r)
    ors = " OR ".join("attributes.run_name = 'x%d'" % i for i in range(99)) + \
        " OR attributes.run_name = 'r2'"
    r = _search(c, ors, ["run_name"])
    if r.status != 200 or [x["info"]["run_name"] for x in r.json.get("runs", [])] != ["r2"]:
        problems.append("100 ORed clauses: want 200 with r2, got %r" % r)
    for name, filt, want in (("deep parentheses", deep, "r1,r2,r3"),
                             ("2001-clause OR chain", chain, "r3"),
                             ("4000 NOTs", nots, "r3")):
        r = _search(c, filt, ["run_name"])
        if r.status == 200:
            got = ",".join(x["info"]["run_name"] for x in r.json.get("runs", []))
            if got != want:
                problems.append("%s: got %r, want %r" % (name, got, want))
        else:
            try:
                expect_error(r, 400, INV)
            except AssertionError as e:
                problems.append("%s: %s" % (name, e))
    assert c.raw("GET", "/health").status == 200, "server unhealthy afterwards"
    assert _names(c, order=["run_name"]) == "r1,r2,r3,r4,r5", "server unhealthy afterwards"
    assert not problems, "\n".join(problems)
