/* SPDX-License-Identifier: MIT
 * The PostgreSQL backend's write path: every write goes through pg_write
 * (or pg_write_one), and concurrent writes of one process are grouped into
 * one transaction on the one writer connection (group commit).
 *
 * Durability is PostgreSQL's: a write is acknowledged only after its COMMIT
 * returned, and with synchronous_commit on (the default; ferry never turns
 * it off) that COMMIT is in PostgreSQL's WAL on disk, so an acknowledged
 * write survives ferry's kill -9 and PostgreSQL's immediate restart.
 *
 * Group commit: as in the SQLite backend (store/sqlite/sqlite_conn.c, whose
 * comment tells the leader/follower scheme), concurrent writes of one
 * process share one transaction and one WAL flush, each op in a SAVEPOINT
 * of its own so that one op's failure rolls back only that op.
 *
 * Round trips are the cost of a write here (the statements themselves take
 * microseconds): BEGIN, SAVEPOINT and RELEASE are deferred (pg_defer) and
 * travel in one pipeline with the statement that follows them, so a lone
 * write costs its statements' round trips plus the COMMIT's, and a grouped
 * op its statements' alone (before: three more per op). A group whose
 * every op is one piped statement (pg_write_piped: points-only
 * log-batches, i.e. every log-metric) is one round trip in all: BEGIN, the
 * statements and COMMIT in one pipeline (try_pipeline).
 *
 * Faults: when PostgreSQL aborts an op for a deadlock or a serialization
 * failure (another replica took the same rows in another order) the op runs
 * again, up to RETRIES times. A connection lost before COMMIT was sent
 * (PostgreSQL restarted since the last request) is reopened and the group
 * written again: nothing of it was committed. A connection lost during
 * COMMIT leaves the outcome unknown: every op of the group fails with
 * TEMPORARILY_UNAVAILABLE (503), which MLflow's clients retry. */
#include "store/postgres/pg_int.h"
#include "base/log.h"

#include <string.h>

#include "base/banned.h"

struct pg_write_op {
    pg_write_fn fn;
    void *arg;
    int rc;
    int conflict;    /* it lost a deadlock or serialization conflict */
    int lock_capped; /* in a group, it waited on a row lock too long */
    int one;         /* pg_write_one: alone, its statement is its transaction */
    int done;
    const struct pg_pipe *pipe; /* pg_write_piped: may share a pipeline */
    char name[16];              /* its statement's prepared name, in one */
    PGresult *res;              /* its statement's result, in one */
    struct ferr err;
    struct pg_write_op *next;
    pthread_cond_t cond;
};

#define GROUP_MAX 512
#define RETRIES   5

/* --- writes --------------------------------------------------------------- */

/* Runs sql (static, no parameters) after any deferred commands, in one
 * round trip. */
static int exec_simple(struct pg_conn *c, const char *sql, struct ferr *err)
{
    PGresult *r = pg_run_text(c, sql, NULL, "writing", err);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

static int retryable(const struct pg_conn *c)
{
    return !strcmp(c->sqlstate, "40P01") || !strcmp(c->sqlstate, "40001");
}

/* lock_timeout ran out (SET LOCAL in a group, see try_group). */
static int lock_wait_capped(const struct pg_conn *c)
{
    return !strcmp(c->sqlstate, "55P03");
}

/* COMMIT, after the deferred commands (the last op's RELEASE). PostgreSQL
 * answers COMMIT in a transaction that failed earlier with "ROLLBACK" and
 * no error: that is a failure too (nothing was saved). */
static int commit(struct pg_conn *c, struct ferr *err)
{
    PGresult *r = pg_run_text(c, "COMMIT", NULL, "committing", err);
    if (!r)
        return -1;
    int rc = strcmp(PQcmdStatus(r), "COMMIT")
                 ? ferr_set(err, FERR_INTERNAL_ERROR,
                            "the transaction was rolled back at commit: nothing was saved")
                 : 0;
    PQclear(r);
    return rc;
}

/* Runs op inside a savepoint; its failure rolls back only its changes. The
 * SAVEPOINT and the RELEASE are deferred (pg_defer): they travel with the
 * op's first statement and with the next op's (or the COMMIT), so a grouped
 * op costs its own statements' round trips and no more. A conflict is not
 * retried here: the locks the group's earlier ops hold stay, and are often
 * half of the deadlock, so the op would lose it again; the caller writes
 * the whole group again instead. */
static void run_op(struct pg *pg, struct pg_write_op *op)
{
    struct pg_conn *c = pg->writer;
    pg_defer(c, "SAVEPOINT op");
    op->err = (struct ferr)FERR_INIT;
    op->rc = op->fn(pg, c, op->arg, &op->err);
    op->conflict = op->rc && retryable(c);
    op->lock_capped = op->rc && lock_wait_capped(c);
    if (c->deferred_failed || pg_conn_lost(c))
        return; /* the caller ends the transaction */
    struct ferr e2 = FERR_INIT;
    if (op->rc && exec_simple(c, "ROLLBACK TO SAVEPOINT op", &e2))
        log_error("rollback to savepoint failed: %s", e2.msg);
    pg_defer(c, "RELEASE SAVEPOINT op");
}

static void fail_all(struct pg_write_op *ops, const struct ferr *err)
{
    for (struct pg_write_op *op = ops; op; op = op->next) {
        op->rc = -1;
        op->err = *err;
    }
}

/* Ends a transaction that will not commit (nothing to do on a lost
 * connection: the next try reopens it). */
static void rollback(struct pg_conn *c)
{
    struct ferr ignored = FERR_INIT;
    if (!pg_conn_lost(c) && exec_simple(c, "ROLLBACK", &ignored))
        log_error("rollback failed: %s", ignored.msg);
    c->ndeferred = 0;
    c->deferred_failed = 0;
}

enum group_outcome {
    GROUP_DONE,  /* every op's rc is set */
    GROUP_AGAIN, /* write it again from the start */
    GROUP_SPLIT, /* *alone waited too long on a row lock: write it on its own */
};

/* One transaction over ops.
 *
 * Row locks in a group: a grouped op that waits on a row lock another
 * replica's transaction holds makes the whole group wait, and that other
 * transaction may itself be a group waiting on a row one of ours holds: a
 * deadlock PostgreSQL detects only after deadlock_timeout (1 s), with all
 * of both groups rolled back, again and again under load (measured with
 * three replicas: 32-37 deadlocks in 24 s before the cap, none after). So
 * inside a group a lock wait is capped (lock_timeout 100 ms): the rest of
 * the group is written again without the op that hit the cap, then that op
 * on its own, where it may wait as long as it takes. */
static enum group_outcome try_group(struct pg *pg, struct pg_write_op *ops, int last_try,
                                    struct pg_write_op **alone)
{
    struct pg_conn *c = pg->writer;
    struct ferr err = FERR_INIT;
    if (pg_conn_lost(c) && pg_conn_reopen(pg, c, &err)) {
        fail_all(ops, &err);
        return GROUP_DONE;
    }
    c->ndeferred = 0;
    c->deferred_failed = 0;
    if (!ops->next && ops->one) {
        /* One idempotent statement: PostgreSQL commits it on its own (WAL
         * flushed before the answer, as at COMMIT); a lost connection may
         * or may not have committed it, and running it again is harmless. */
        ops->err = (struct ferr)FERR_INIT;
        ops->rc = ops->fn(pg, c, ops->arg, &ops->err);
        return ops->rc && !last_try && (retryable(c) || pg_conn_lost(c)) ? GROUP_AGAIN : GROUP_DONE;
    }
    pg_defer(c, "BEGIN"); /* sent with the first op's first statement */
    if (!ops->next) {
        ops->err = (struct ferr)FERR_INIT;
        ops->rc = ops->fn(pg, c, ops->arg, &ops->err);
        if (ops->rc) {
            int again = !last_try && (retryable(c) || pg_conn_lost(c));
            rollback(c);
            return again ? GROUP_AGAIN : GROUP_DONE;
        }
    } else {
        pg_defer(c, "SET LOCAL lock_timeout = '100ms'");
        for (struct pg_write_op *op = ops; op; op = op->next) {
            run_op(pg, op);
            if (pg_conn_lost(c) || c->deferred_failed) {
                struct ferr cause = op->err;
                rollback(c);
                if (!last_try)
                    return GROUP_AGAIN;
                fail_all(ops, &cause);
                return GROUP_DONE;
            }
            if (op->lock_capped) {
                rollback(c);
                *alone = op;
                return GROUP_SPLIT;
            }
            if (op->conflict && !last_try) { /* the whole group again (run_op) */
                rollback(c);
                return GROUP_AGAIN;
            }
        }
    }
    if (commit(c, &err)) {
        /* Lost during COMMIT: committed or not, no one can tell. */
        int unknown = pg_conn_lost(c);
        rollback(c);
        if (unknown)
            ferr_set(&err, FERR_TEMPORARILY_UNAVAILABLE,
                     "the database connection was lost while committing; the write may or "
                     "may not have been saved");
        fail_all(ops, &err);
    }
    return GROUP_DONE;
}

/* Writes ops (a list), retrying as try_group says. The list is as it came
 * when this returns (lead_group walks it to wake each op's writer). */
static void run_group(struct pg *pg, struct pg_write_op *ops)
{
    for (int attempt = 0;;) {
        struct pg_write_op *alone = NULL;
        enum group_outcome o = try_group(pg, ops, attempt == RETRIES, &alone);
        if (o == GROUP_DONE)
            return;
        if (o == GROUP_AGAIN) {
            attempt++;
            continue;
        }
        /* GROUP_SPLIT: the rest first (they need not wait for that lock),
         * then alone on its own, without the cap; each call puts back what
         * it unlinked, so the list is whole again. */
        struct pg_write_op **at = &ops;
        while (*at != alone)
            at = &(*at)->next;
        *at = alone->next;
        alone->next = NULL;
        if (ops)
            run_group(pg, ops);
        run_group(pg, alone);
        alone->next = *at;
        *at = alone;
        return;
    }
}

/* --- a group of piped writes in one round trip ------------------------- */

static int all_piped(const struct pg_write_op *ops)
{
    for (; ops; ops = ops->next)
        if (!ops->pipe)
            return 0;
    return 1;
}

/* The next command's result in a pipeline (each command's results end with
 * a NULL, read here too); NULL when there is none: the pipeline broke. */
static PGresult *next_result(PGconn *conn)
{
    PGresult *r = PQgetResult(conn);
    if (r)
        for (PGresult *extra; (extra = PQgetResult(conn));)
            PQclear(extra);
    return r;
}

static int result_ok(const PGresult *r)
{
    ExecStatusType t = PQresultStatus(r);
    return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/* Writes a group of piped ops (two or more) in one pipeline: BEGIN, the
 * lock cap (see try_group), each op's statement (its fast form when it has
 * one: a point sent twice then sends its group the ordinary way), COMMIT,
 * and one Sync, all sent before the first result is read; the whole group
 * is then one round trip to PostgreSQL instead of one per op (64
 * concurrent log-metric requests: 64 round trips, each waking
 * PostgreSQL's backend and then ferry's leader). Returns 1 when the group
 * is done (every op's rc set by its finish, after the COMMIT), or 0 when
 * nothing was committed and the caller writes the group the ordinary way
 * (run_group): a statement failed (the others were skipped: one op's
 * failure there is that op's alone, and conflicts are retried there), or
 * the connection broke (a piped statement may run twice with the effect
 * of once, so writing it again is safe even if the COMMIT made it). */
static int try_pipeline(struct pg *pg, struct pg_write_op *ops)
{
    struct pg_conn *c = pg->writer;
    struct ferr ignored = FERR_INIT;
    if (pg_conn_lost(c))
        return 0; /* the ordinary way reopens it */
    c->ndeferred = 0;
    c->deferred_failed = 0;
    for (struct pg_write_op *op = ops; op; op = op->next) {
        op->res = NULL;
        const struct pg_pipe *p = op->pipe;
        if (pg_prepared(c, p->fast_sql ? p->fast_sql : p->sql, op->name, p->what, &ignored))
            return 0;
    }
    PGconn *conn = c->conn;
    int ok =
        PQenterPipelineMode(conn) &&
        PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) &&
        PQsendQueryParams(conn, "SET LOCAL lock_timeout = '100ms'", 0, NULL, NULL, NULL, NULL, 0);
    for (struct pg_write_op *op = ops; ok && op; op = op->next) {
        const struct pg_args *a = op->pipe->args;
        ok = PQsendQueryPrepared(conn, op->name, (int)a->n, a->v, NULL, NULL, 0);
    }
    ok = ok && PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) &&
         PQpipelineSync(conn);
    int failed = 0;
    for (int i = 0; ok && i < 2; i++) { /* BEGIN, SET LOCAL */
        PGresult *r = next_result(conn);
        ok = r != NULL;
        failed |= ok && !result_ok(r);
        PQclear(r);
    }
    for (struct pg_write_op *op = ops; ok && op; op = op->next) {
        op->res = next_result(conn);
        ok = op->res != NULL;
        failed |= ok && !result_ok(op->res);
    }
    if (ok) {
        PGresult *r = next_result(conn); /* COMMIT: "ROLLBACK" when it was aborted */
        ok = r != NULL;
        failed |= ok && (!result_ok(r) || strcmp(PQcmdStatus(r), "COMMIT"));
        PQclear(r);
    }
    if (ok) {
        PGresult *sync = PQgetResult(conn);
        ok = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
        PQclear(sync);
    }
    ok = ok && PQexitPipelineMode(conn);
    if (!ok)
        c->broken = 1;
    else if (failed && PQtransactionStatus(conn) != PQTRANS_IDLE)
        rollback(c);
    for (struct pg_write_op *op = ops; op; op = op->next) {
        if (ok && !failed) {
            op->err = (struct ferr)FERR_INIT;
            op->rc = op->pipe->finish(op->res, op->pipe->arg, &op->err);
        }
        PQclear(op->res);
        op->res = NULL;
    }
    return ok && !failed;
}

/* An op of pg_write_piped written the ordinary way: its statement, then
 * its finish. Alone and out of a transaction (pg_write_one's way) the fast
 * form goes first: its failure changed nothing, so the full form may
 * follow; inside a transaction a failure would abort it, so the full form
 * only. */
static int run_piped(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    const struct pg_pipe *p = arg;
    int fast = p->fast_sql && !c->ndeferred && PQtransactionStatus(c->conn) == PQTRANS_IDLE;
    PGresult *r = pg_run(c, fast ? p->fast_sql : p->sql, p->args, p->what, err);
    if (!r && fast && pg_unique_violation(c)) {
        *err = (struct ferr)FERR_INIT;
        r = pg_run(c, p->sql, p->args, p->what, err);
    }
    if (!r)
        return -1;
    int rc = p->finish(r, p->arg, err);
    PQclear(r);
    return rc;
}

/* --- the queue ------------------------------------------------------------- */

static void lead_group(struct pg *pg, struct pg_write_op *self)
{
    struct pg_write_op *head = pg->q_head, *tail = head;
    int n = 1;
    while (tail->next && n < GROUP_MAX) {
        tail = tail->next;
        n++;
    }
    pg->q_head = tail->next;
    if (!pg->q_head)
        pg->q_tail = NULL;
    tail->next = NULL;
    pg->leading = 1;
    pthread_mutex_unlock(&pg->q_mu);

    if (head->next && all_piped(head)) {
        pg->piped_groups++;
        if (!try_pipeline(pg, head)) {
            pg->piped_fallbacks++;
            run_group(pg, head);
        }
    } else {
        run_group(pg, head);
    }

    pthread_mutex_lock(&pg->q_mu);
    for (struct pg_write_op *op = head, *next; op; op = next) {
        next = op->next;
        op->done = 1;
        if (op != self)
            pthread_cond_signal(&op->cond);
    }
    pg->leading = 0;
    if (pg->q_head)
        pthread_cond_signal(&pg->q_head->cond);
    else
        pthread_cond_broadcast(&pg->q_idle);
}

/* A write made while the caller's thread has a lease fence (store/leases.h):
 * the lease checked first, in the write's transaction. */
struct fenced {
    pg_write_fn fn;
    void *arg;
    const struct lease_fence *fence; /* the caller's: it waits for the write */
};

static int run_fenced(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    struct fenced *f = arg;
    if (pg->fence(c, f->fence, err))
        return -1;
    return f->fn(pg, c, f->arg, err);
}

static int write_op(struct pg *pg, pg_write_fn fn, void *arg, int one, const struct pg_pipe *pipe,
                    struct ferr *err)
{
    struct fenced fw = {fn, arg, store_fence_current()};
    if (fw.fence) { /* the lease's row stays locked to the commit: a transaction */
        fn = run_fenced;
        arg = &fw;
        one = 0;
        pipe = NULL;
    }
    struct pg_write_op op = {.fn = fn,
                             .arg = arg,
                             .one = one,
                             .pipe = pipe,
                             .err = FERR_INIT,
                             .cond = PTHREAD_COND_INITIALIZER};
    if (!pg->group_commit) {
        pthread_mutex_lock(&pg->write_mu);
        run_group(pg, &op);
        pthread_mutex_unlock(&pg->write_mu);
    } else {
        pthread_mutex_lock(&pg->q_mu);
        if (pg->stopping) {
            pthread_mutex_unlock(&pg->q_mu);
            return ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "the store is shutting down");
        }
        if (pg->q_tail)
            pg->q_tail->next = &op;
        else
            pg->q_head = &op;
        pg->q_tail = &op;
        while (!op.done) {
            if (!pg->leading)
                lead_group(pg, &op);
            else
                pthread_cond_wait(&op.cond, &pg->q_mu);
        }
        pthread_mutex_unlock(&pg->q_mu);
        pthread_cond_destroy(&op.cond);
    }
    if (op.rc && err)
        *err = op.err;
    return op.rc;
}

int pg_write(struct pg *pg, pg_write_fn fn, void *arg, struct ferr *err)
{
    return write_op(pg, fn, arg, 0, NULL, err);
}

int pg_write_one(struct pg *pg, pg_write_fn fn, void *arg, struct ferr *err)
{
    return write_op(pg, fn, arg, 1, NULL, err);
}

int pg_write_piped(struct pg *pg, const struct pg_pipe *p, struct ferr *err)
{
    return write_op(pg, run_piped, (void *)p, 1, p, err);
}
