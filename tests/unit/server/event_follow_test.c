/* SPDX-License-Identifier: MIT
 * server/event_follow: the gap decision as a table (the cursor, the ids
 * read, now and the gaps' first-seen times -> how far the cursor may move),
 * and the reader over a real SQLite store (on either pass) with a real gap (an event row
 * removed under it), its kinds filter and its compare-and-set cursor. */
#include "../test.h"
#include "domain/registry.h"
#include "server/event_follow.h"
#include "store/deployments.h"
#include "store/registry.h"
#include "store/store.h"
#include "store/triggers.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

TEST(event_gap_contiguous_ids_are_all_taken)
{
    struct event_gaps g = {.n = 0};
    int64_t ids[] = {11, 12, 13};
    ASSERT_INT_EQ(event_gap_decide(10, ids, N(ids), 1000, 5000, &g), 3);
    ASSERT_INT_EQ(g.n, 0);
    ASSERT_INT_EQ(event_gap_decide(10, ids, 0, 1000, 5000, &g), 0); /* nothing read */
}

TEST(event_gap_a_fresh_gap_holds_the_cursor_until_the_wait_is_over)
{
    struct event_gaps g = {.n = 0};
    int64_t ids[] = {11, 13, 14}; /* 12 not committed yet */
    ASSERT_INT_EQ(event_gap_decide(10, ids, N(ids), 1000, 5000, &g), 1);
    ASSERT_INT_EQ(g.n, 1);
    ASSERT_INT_EQ(g.v[0].lo, 12);
    ASSERT_INT_EQ(g.v[0].hi, 12);
    ASSERT_INT_EQ(g.v[0].seen_ms, 1000);
    /* the cursor moved to 11; the same gap later, still within the wait */
    ASSERT_INT_EQ(event_gap_decide(11, ids + 1, 2, 5999, 5000, &g), 0);
    ASSERT_INT_EQ(g.v[0].seen_ms, 1000); /* first seen, not re-seen */
    /* 5 s after it was first seen: passed, and forgotten */
    ASSERT_INT_EQ(event_gap_decide(11, ids + 1, 2, 6000, 5000, &g), 2);
    ASSERT_INT_EQ(g.n, 0);
}

TEST(event_gap_a_late_commit_fills_it)
{
    struct event_gaps g = {.n = 0};
    int64_t before[] = {11, 14};
    int64_t after[] = {11, 12, 14}; /* 12 committed; 13 still missing */
    int64_t all[] = {11, 12, 13, 14};
    ASSERT_INT_EQ(event_gap_decide(10, before, N(before), 1000, 5000, &g), 1);
    ASSERT_INT_EQ(g.n, 1);
    /* 13 keeps the gap 12..13's first-seen time */
    ASSERT_INT_EQ(event_gap_decide(10, after, N(after), 3000, 5000, &g), 2);
    ASSERT_INT_EQ(g.n, 1);
    ASSERT_INT_EQ(g.v[0].lo, 13);
    ASSERT_INT_EQ(g.v[0].seen_ms, 1000);
    ASSERT_INT_EQ(event_gap_decide(12, after + 2, 1, 5999, 5000, &g), 0);
    ASSERT_INT_EQ(event_gap_decide(10, all, N(all), 4000, 5000, &g), 4);
    ASSERT_INT_EQ(g.n, 0);
}

TEST(event_gap_at_the_cursor_and_several_gaps_wait_together)
{
    struct event_gaps g = {.n = 0};
    int64_t ids[] = {12, 13, 15, 20};
    /* 11 missing right after the cursor: nothing taken; 14 and 16..19 seen too */
    ASSERT_INT_EQ(event_gap_decide(10, ids, N(ids), 100, 50, &g), 0);
    ASSERT_INT_EQ(g.n, 3);
    ASSERT_INT_EQ(g.v[2].lo, 16);
    ASSERT_INT_EQ(g.v[2].hi, 19);
    /* one wait later every gap has waited it: all passed at once */
    ASSERT_INT_EQ(event_gap_decide(10, ids, N(ids), 150, 50, &g), 4);
    ASSERT_INT_EQ(g.n, 0);
    /* a wait of 0 passes a gap at once */
    ASSERT_INT_EQ(event_gap_decide(10, ids, N(ids), 150, 0, &g), 4);
    /* a gap whose first sighting is forgotten (the cursor moved on) is new */
    int64_t later[] = {22};
    ASSERT_INT_EQ(event_gap_decide(20, later, 1, 151, 50, &g), 0);
    ASSERT_INT_EQ(g.v[0].seen_ms, 151);
}

TEST(event_gap_beyond_the_memory_holds_there)
{
    struct event_gaps g = {.n = 0};
    int64_t ids[2 * EVENT_FOLLOW_GAPS + 2];
    size_t n = N(ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = 11 + 2 * (int64_t)i; /* 11, 13, 15, ...: a gap before each but the first */
    ASSERT_INT_EQ(event_gap_decide(10, ids, n, 0, 10, &g), 1);
    ASSERT_INT_EQ(g.n, EVENT_FOLLOW_GAPS);
    /* the remembered ones expire together; the one beyond is seen now */
    size_t k = event_gap_decide(11, ids + 1, n - 1, 10, 10, &g);
    ASSERT_INT_EQ(k, EVENT_FOLLOW_GAPS);
    ASSERT_INT_EQ(g.n, EVENT_FOLLOW_GAPS);
    ASSERT_INT_EQ(g.v[0].seen_ms, 10);
    ASSERT_INT_EQ(g.v[0].lo, ids[EVENT_FOLLOW_GAPS] + 1);
}

/* ---------- the reader, on a real store ---------- */

static void write_versions(struct store *s, int n)
{
    struct ferr err = FERR_INIT;
    struct reg_write w;
    memset(&w, 0, sizeof(w));
    w.action = REG_CREATE_MODEL;
    w.name = "fraud";
    w.user = "u";
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    w.action = REG_CREATE_VERSION;
    w.source = "/artifacts/model";
    for (int i = 0; i < n; i++)
        ASSERT_OK(store_registry_write(s, &w, &err), &err);
}

TEST(event_follow_reads_contiguous_events_and_waits_at_a_gap)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char uri[600]; /* SQLite on either pass: the gap is made through the file */
    snprintf(uri, sizeof(uri), "%s/follow.db", test_tmpdir());
    o.default_artifact_root = "/artifacts";
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    write_versions(s, 3);
    struct store_event_list all = {NULL, 0, 0};
    ASSERT_OK(store_events_search(s, 0, NULL, 0, 1000, &all, &err), &err);
    ASSERT(all.n >= 4);
    int64_t first = all.v[0].id, second = all.v[1].id, last = all.v[all.n - 1].id;
    size_t n = all.n;
    store_event_list_release(&all);

    /* the second event's row gone: the gap a late (or never) commit leaves */
    sqlite3 *db = NULL;
    char sql[100];
    ASSERT_INT_EQ(sqlite3_open(uri, &db), SQLITE_OK);
    snprintf(sql, sizeof(sql), "DELETE FROM events WHERE id = %lld", (long long)second);
    ASSERT_INT_EQ(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    struct event_follow f;
    struct store_event_list l;
    int64_t from = -1, upto = -1;
    event_follow_init(&f, s, "t", NULL, 0, 600000, "test");
    ASSERT_OK(event_follow_next(&f, &l, &from, &upto, &err), &err);
    ASSERT_INT_EQ(from, 0);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].id, first);
    ASSERT_INT_EQ(upto, first);
    store_event_list_release(&l);
    ASSERT_OK(event_follow_commit(&f, from, upto, &err), &err);
    /* held at the gap */
    ASSERT_OK(event_follow_next(&f, &l, &from, &upto, &err), &err);
    ASSERT_INT_EQ(from, first);
    ASSERT_INT_EQ(l.n, 0);
    ASSERT_INT_EQ(upto, first);
    store_event_list_release(&l);
    ASSERT_OK(event_follow_commit(&f, from, upto, &err), &err); /* nothing to move */

    /* with no wait the gap is passed (and logged) */
    event_follow_init(&f, s, "t", NULL, 0, 0, "test");
    ASSERT_OK(event_follow_next(&f, &l, &from, &upto, &err), &err);
    ASSERT_INT_EQ(l.n, n - 2);
    ASSERT_INT_EQ(l.v[0].id, second + 1);
    ASSERT_INT_EQ(upto, last);
    store_event_list_release(&l);
    ASSERT_OK(event_follow_commit(&f, from, upto, &err), &err);
    int64_t at = 0;
    ASSERT_OK(store_cursor_get(s, "t", &at, &err), &err);
    ASSERT_INT_EQ(at, last);
    /* a stale cursor position is refused: another reader moved it */
    ASSERT(event_follow_commit(&f, first, last, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_STATE);

    /* kinds: only those returned; the cursor may still pass the others */
    const char *kinds[] = {"registry.create_model", "deployment.*"};
    event_follow_init(&f, s, "k", kinds, N(kinds), 0, "test");
    ASSERT_OK(event_follow_next(&f, &l, &from, &upto, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].kind, "registry.create_model");
    ASSERT_INT_EQ(upto, last);
    store_event_list_release(&l);
    const char *prefix[] = {"registry.*"};
    event_follow_init(&f, s, "k", prefix, 1, 0, "test");
    ASSERT_OK(event_follow_next(&f, &l, &from, &upto, &err), &err);
    ASSERT_INT_EQ(l.n, n - 1);
    store_event_list_release(&l);

    store_close(s);
}
