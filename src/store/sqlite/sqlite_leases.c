/* SPDX-License-Identifier: MIT
 * Leases in the SQLite backend (store/leases.h's contract): the leases
 * table (schema.c, migration 5), each change one write transaction, times
 * from SQLite's own clock. */
#include "store/sqlite/sqlite_int.h"
#include "store/leases.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Milliseconds since the epoch on the database's clock. */
#define NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"

struct change_arg {
    enum lease_op op;
    const char *name, *holder;
    int64_t epoch, ttl_ms;
    struct lease *out;
};

static int read_lease(struct sq_conn *c, const char *name, struct lease *out, int *found,
                      struct ferr *err)
{
    static const char sql[] =
        "SELECT holder, epoch, expires_ms, " NOW_MS " FROM leases WHERE name = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW && out) {
        out->name = xstrdup(name);
        out->holder = sq_col_str(st, 0);
        out->epoch = sqlite3_column_int64(st, 1);
        out->expires_ms = sqlite3_column_int64(st, 2);
        out->now_ms = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(c, "reading a lease", err);
}

int sq_lease_fence(struct sq_conn *c, const struct lease_fence *f, struct ferr *err)
{
    struct lease cur;
    int found;
    memset(&cur, 0, sizeof(cur));
    int rc = read_lease(c, f->name, &cur, &found, err) || lease_fence_check(f, &cur, found, err)
                 ? -1
                 : 0;
    lease_release(&cur);
    return rc;
}

static int do_change(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char put[] =
        "INSERT INTO leases (name, holder, epoch, expires_ms) VALUES (?1, ?2, ?3, " NOW_MS
        " + ?4) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
        "epoch = excluded.epoch, expires_ms = excluded.expires_ms";
    struct change_arg *a = arg;
    struct lease cur;
    int found;
    memset(&cur, 0, sizeof(cur));
    if (read_lease(c, a->name, &cur, &found, err))
        return -1;
    int64_t epoch, ttl;
    int rc = lease_decide(a->op, a->name, a->holder, a->epoch, a->ttl_ms, &cur, found, &epoch, &ttl,
                          err);
    lease_release(&cur);
    if (rc)
        return -1;
    sqlite3_stmt *st = sq_prep(c, put, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->holder, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, epoch);
    sqlite3_bind_int64(st, 4, ttl);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "writing a lease", err);
    return a->out && read_lease(c, a->name, a->out, &found, err) ? -1 : 0;
}

static int sq_lease_change(struct store *s, enum lease_op op, const char *name, const char *holder,
                           int64_t epoch, int64_t ttl_ms, struct lease *out, struct ferr *err)
{
    struct change_arg a = {op, name, holder, epoch, ttl_ms, out};
    return sq_write((struct sq *)s, do_change, &a, err);
}

static int sq_lease_get(struct store *s, const char *name, struct lease *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    int found = 0;
    if (!c)
        return -1;
    int rc = read_lease(c, name, out, &found, err);
    sq_reader_put(sq, c);
    if (!rc && !found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No lease named '%.256s'", name);
    return rc;
}

const struct store_lease_ops sqlite_leases = {
    .change = sq_lease_change,
    .get = sq_lease_get,
};
