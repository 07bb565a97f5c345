/* SPDX-License-Identifier: MIT
 * Leases in the PostgreSQL backend (store/leases.h's contract): the leases
 * table, each change one write transaction that locks the lease's row
 * (SELECT ... FOR UPDATE; a first acquire races on the primary key, and the
 * loser is run again by pg_write as a conflict), times from PostgreSQL's
 * clock, shared by every replica. */
#include "store/postgres/pg_int.h"
#include "store/leases.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Milliseconds since the epoch on the database's clock. */
#define NOW_MS "(extract(epoch from clock_timestamp()) * 1000)::bigint"

struct change_arg {
    enum lease_op op;
    const char *name, *holder;
    int64_t epoch, ttl_ms;
    struct lease *out;
};

static int read_lease(struct pg_conn *c, const char *sql, const char *name, struct lease *out,
                      int *found, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "reading a lease", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *found = PQntuples(r) == 1;
    if (*found && out) {
        out->name = xstrdup(name);
        out->holder = pg_get_str(r, 0, 0);
        out->epoch = pg_get_int(r, 0, 1);
        out->expires_ms = pg_get_int(r, 0, 2);
        out->now_ms = pg_get_int(r, 0, 3);
    }
    PQclear(r);
    return 0;
}

static const char read_sql[] =
    "SELECT holder, epoch, expires_ms, " NOW_MS " FROM leases WHERE name = $1";
static const char lock_sql[] =
    "SELECT holder, epoch, expires_ms, " NOW_MS " FROM leases WHERE name = $1 FOR UPDATE";

int pg_lease_fence(struct pg_conn *c, const struct lease_fence *f, struct ferr *err)
{
    /* FOR SHARE: held until the write commits; an acquire (FOR UPDATE)
     * waits for it, fenced writes of one holder do not wait for each other.
     * A write that waited for an acquire reads the row it committed. */
    static const char share_sql[] =
        "SELECT holder, epoch, expires_ms, " NOW_MS " FROM leases WHERE name = $1 FOR SHARE";
    struct lease cur;
    int found;
    memset(&cur, 0, sizeof(cur));
    int rc = read_lease(c, share_sql, f->name, &cur, &found, err) ||
                     lease_fence_check(f, &cur, found, err)
                 ? -1
                 : 0;
    lease_release(&cur);
    return rc;
}

static int do_change(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    /* A first acquire inserts; losing that race to another replica is a
     * conflict, and the op runs again to find the winner's row locked. */
    static const char insert[] =
        "INSERT INTO leases (name, holder, epoch, expires_ms) VALUES ($1, $2, $3, " NOW_MS
        " + $4) ON CONFLICT (name) DO NOTHING";
    static const char update[] =
        "UPDATE leases SET holder = $2, epoch = $3, expires_ms = " NOW_MS " + $4 WHERE name = $1";
    struct change_arg *a = arg;
    struct lease cur;
    int found;
    memset(&cur, 0, sizeof(cur));
    if (read_lease(c, lock_sql, a->name, &cur, &found, err))
        return -1;
    int64_t epoch, ttl;
    int rc = lease_decide(a->op, a->name, a->holder, a->epoch, a->ttl_ms, &cur, found, &epoch, &ttl,
                          err);
    lease_release(&cur);
    if (rc)
        return -1;
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, a->name);
    pg_args_text(&args, a->holder);
    pg_args_int(&args, epoch);
    pg_args_int(&args, ttl);
    PGresult *r = pg_run(c, found ? update : insert, &args, "writing a lease", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    if (n != 1) { /* another replica's first acquire won: run again */
        snprintf(c->sqlstate, sizeof(c->sqlstate), "40001");
        return ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "lease '%.256s' changed meanwhile",
                        a->name);
    }
    if (!a->out)
        return 0;
    /* a group commit may run the op again: the last run's answer goes */
    lease_release(a->out);
    return read_lease(c, read_sql, a->name, a->out, &found, err) ? -1 : 0;
}

static int pg_lease_change(struct store *s, enum lease_op op, const char *name, const char *holder,
                           int64_t epoch, int64_t ttl_ms, struct lease *out, struct ferr *err)
{
    struct change_arg a = {op, name, holder, epoch, ttl_ms, out};
    if (out)
        memset(out, 0, sizeof(*out));
    return pg_write((struct pg *)s, do_change, &a, err);
}

static int pg_lease_get(struct store *s, const char *name, struct lease *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    int found = 0;
    if (!c)
        return -1;
    int rc = read_lease(c, read_sql, name, out, &found, err);
    pg_reader_put(pg, c);
    if (!rc && !found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No lease named '%.256s'", name);
    return rc;
}

const struct store_lease_ops pg_leases = {
    .change = pg_lease_change,
    .get = pg_lease_get,
};
