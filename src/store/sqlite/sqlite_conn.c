/* SPDX-License-Identifier: MIT
 * The SQLite backend's connections: opening them, the statement cache, the
 * pool of readers, the write path and group commit. Every area's file
 * (sqlite_*.c) reads and writes through these.
 *
 * Durability: WAL with synchronous=NORMAL. A commit is in the WAL file before
 * sqlite3_step returns, so an acknowledged write survives the process being
 * killed (kill -9); only a power loss can lose the last commits, which FULL
 * would prevent at ~3x the commit cost (FERRY_SQLITE_SYNC=FULL selects it).
 *
 * Group commit, leader/follower: a submitter queues its write_op; when no
 * group is being written it becomes the leader, takes every queued op (its
 * own among them), runs each inside its own SAVEPOINT within one
 * transaction (a failing op rolls back alone), commits once, then wakes the
 * followers whose ops it wrote and hands the lead to the next queued op.
 * Followers sleep on their own condition variable. There is no writer
 * thread: a lone client pays no thread hand-off at all, and a group of k ops
 * costs k-1 wake-ups. No op is acknowledged before the COMMIT that contains
 * it has returned. */
#include "store/sqlite/sqlite_int.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct write_op {
    sq_write_fn fn;
    void *arg;
    int rc;
    int done;
    struct ferr err;
    struct write_op *next;
    pthread_cond_t cond; /* signalled when done: wakes only this submitter */
};

/* Ops per group-commit transaction; bounds the latency of the first op. */
#define GROUP_MAX 512

int sq_fail(struct sq_conn *c, const char *what, struct ferr *err)
{
    return ferr_set(err, FERR_INTERNAL_ERROR, "database error while %s: %s", what,
                    sqlite3_errmsg(c->db));
}

int sq_exec(struct sq_conn *c, const char *sql, struct ferr *err)
{
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sq_fail(c, "executing a statement", err);
    return 0;
}

sqlite3_stmt *sq_prep(struct sq_conn *c, const char *sql, struct ferr *err)
{
    for (int i = 0; i < c->nstmts; i++) {
        if (c->keys[i] == sql) {
            sqlite3_reset(c->stmts[i]);
            sqlite3_clear_bindings(c->stmts[i]);
            return c->stmts[i];
        }
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        sq_fail(c, "preparing a statement", err);
        return NULL;
    }
    if (c->nstmts == SQ_STMT_CACHE) { /* full: evict the oldest */
        sqlite3_finalize(c->stmts[0]);
        memmove(c->keys, c->keys + 1, sizeof(*c->keys) * (SQ_STMT_CACHE - 1));
        memmove(c->stmts, c->stmts + 1, sizeof(*c->stmts) * (SQ_STMT_CACHE - 1));
        c->nstmts--;
    }
    c->keys[c->nstmts] = sql;
    c->stmts[c->nstmts++] = st;
    return st;
}

int sq_bind_frag(sqlite3_stmt *st, const struct sql_frag *f)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct sql_bind *b = &f->binds[i];
        int idx = (int)i + 1, rc;
        switch (b->type) {
        case SQL_BIND_TEXT:
            rc = sqlite3_bind_text(st, idx, b->text, -1, SQLITE_STATIC);
            break;
        case SQL_BIND_INT:
            rc = sqlite3_bind_int64(st, idx, b->i);
            break;
        default:
            rc = sqlite3_bind_double(st, idx, b->d);
            break;
        }
        if (rc != SQLITE_OK)
            return -1;
    }
    return 0;
}

char *sq_col_str(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return xstrdup(t ? (const char *)t : "");
}

char *sq_col_str_or_null(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? xstrdup((const char *)t) : NULL;
}

static void conn_free(struct sq_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->nstmts; i++)
        sqlite3_finalize(c->stmts[i]);
    if (sqlite3_close(c->db) != SQLITE_OK)
        log_warn("closing the database: %s", sqlite3_errmsg(c->db));
    free(c);
}

struct sq_conn *sq_conn_open(struct sq *sq, struct ferr *err)
{
    struct sq_conn *c = xcalloc(1, sizeof(*c));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(sq->path, &c->db, flags, NULL) != SQLITE_OK) {
        ferr_set(err, FERR_INTERNAL_ERROR, "cannot open database '%s': %s", sq->path,
                 c->db ? sqlite3_errmsg(c->db) : "out of memory");
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    const char *sync = getenv("FERRY_SQLITE_SYNC");
    char pragmas[256];
    snprintf(pragmas, sizeof(pragmas),
             "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; "
             "PRAGMA synchronous = %s; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
             sync && !strcmp(sync, "FULL") ? "FULL" : "NORMAL");
    char *msg = NULL;
    if (sqlite3_exec(c->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        ferr_set(err, FERR_INTERNAL_ERROR, "cannot configure database '%s': %s", sq->path,
                 msg ? msg : "unknown error");
        sqlite3_free(msg);
        conn_free(c);
        return NULL;
    }
    return c;
}

struct sq_conn *sq_reader_get(struct sq *sq, struct ferr *err)
{
    pthread_mutex_lock(&sq->pool_mu);
    struct sq_conn *c = sq->free_readers;
    if (c)
        sq->free_readers = c->next;
    pthread_mutex_unlock(&sq->pool_mu);
    return c ? c : sq_conn_open(sq, err);
}

void sq_reader_put(struct sq *sq, struct sq_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&sq->pool_mu);
    c->next = sq->free_readers;
    sq->free_readers = c;
    pthread_mutex_unlock(&sq->pool_mu);
}

/* Runs one op inside a savepoint; its failure rolls back only its changes. */
static void run_op(struct sq *sq, struct write_op *op)
{
    static const char sp[] = "SAVEPOINT op", rel[] = "RELEASE op", rb[] = "ROLLBACK TO op";
    struct sq_conn *c = sq->writer;
    if (sq_exec(c, sp, &op->err)) {
        op->rc = -1;
        return;
    }
    op->rc = op->fn(sq, c, op->arg, &op->err);
    if (op->rc) {
        struct ferr ignored;
        if (sq_exec(c, rb, &ignored))
            log_error("rollback to savepoint failed: %s", ignored.msg);
    }
    struct ferr e2;
    if (sq_exec(c, rel, &e2) && !op->rc) {
        op->rc = -1;
        op->err = e2;
    }
}

/* One transaction over a list of ops; sets every op's rc. A lone op needs no
 * savepoint: if it fails, the whole transaction is its own to roll back. */
static void run_group(struct sq *sq, struct write_op *ops)
{
    static const char begin[] = "BEGIN IMMEDIATE", commit[] = "COMMIT", rollback[] = "ROLLBACK";
    struct ferr err = FERR_INIT;
    if (sq_exec(sq->writer, begin, &err)) {
        for (struct write_op *op = ops; op; op = op->next) {
            op->rc = -1;
            op->err = err;
        }
        return;
    }
    if (!ops->next) {
        ops->rc = ops->fn(sq, sq->writer, ops->arg, &ops->err);
        if (ops->rc) {
            struct ferr ignored;
            if (sq_exec(sq->writer, rollback, &ignored))
                log_error("rollback failed: %s", ignored.msg);
            return;
        }
    } else {
        for (struct write_op *op = ops; op; op = op->next)
            run_op(sq, op);
    }
    if (sq_exec(sq->writer, commit, &err)) {
        struct ferr ignored;
        if (sq_exec(sq->writer, rollback, &ignored))
            log_error("rollback failed: %s", ignored.msg);
        for (struct write_op *op = ops; op; op = op->next) {
            op->rc = -1;
            op->err = err;
        }
    }
}

/* Called with q_mu held by a submitter whose op is queued while no leader is
 * active: writes up to GROUP_MAX queued ops as one group. Returns with q_mu
 * held again. */
static void lead_group(struct sq *sq, struct write_op *self)
{
    struct write_op *head = sq->q_head, *tail = head;
    int n = 1;
    while (tail->next && n < GROUP_MAX) {
        tail = tail->next;
        n++;
    }
    sq->q_head = tail->next;
    if (!sq->q_head)
        sq->q_tail = NULL;
    tail->next = NULL;
    sq->leading = 1;
    pthread_mutex_unlock(&sq->q_mu);

    run_group(sq, head);

    pthread_mutex_lock(&sq->q_mu);
    for (struct write_op *op = head, *next; op; op = next) {
        next = op->next; /* op lives on its submitter's stack: read next first */
        op->done = 1;
        if (op != self)
            pthread_cond_signal(&op->cond);
    }
    sq->leading = 0;
    if (sq->q_head) /* the next queued submitter leads the next group */
        pthread_cond_signal(&sq->q_head->cond);
    else
        pthread_cond_broadcast(&sq->q_idle);
}

/* A write made while the caller's thread has a lease fence (store/leases.h):
 * the lease checked first, in the write's transaction (one writer at a
 * time: no acquire can come between the check and the commit). */
struct fenced {
    sq_write_fn fn;
    void *arg;
    const struct lease_fence *fence; /* the caller's: it waits for the write */
};

static int run_fenced(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    struct fenced *f = arg;
    if (sq->fence(c, f->fence, err))
        return -1;
    return f->fn(sq, c, f->arg, err);
}

int sq_write(struct sq *sq, sq_write_fn fn, void *arg, struct ferr *err)
{
    struct fenced fw = {fn, arg, store_fence_current()};
    if (fw.fence) {
        fn = run_fenced;
        arg = &fw;
    }
    struct write_op op = {fn, arg, 0, 0, FERR_INIT, NULL, PTHREAD_COND_INITIALIZER};
    if (!sq->group_commit) {
        pthread_mutex_lock(&sq->write_mu);
        run_group(sq, &op);
        pthread_mutex_unlock(&sq->write_mu);
    } else {
        pthread_mutex_lock(&sq->q_mu);
        if (sq->stopping) {
            pthread_mutex_unlock(&sq->q_mu);
            return ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "the store is shutting down");
        }
        if (sq->q_tail)
            sq->q_tail->next = &op;
        else
            sq->q_head = &op;
        sq->q_tail = &op;
        while (!op.done) {
            if (!sq->leading)
                lead_group(sq, &op);
            else
                pthread_cond_wait(&op.cond, &sq->q_mu);
        }
        pthread_mutex_unlock(&sq->q_mu);
        pthread_cond_destroy(&op.cond);
    }
    if (op.rc && err)
        *err = op.err;
    return op.rc;
}

void sq_free(struct sq *sq)
{
    /* Refuse new writes, then let the queued ones be written. */
    pthread_mutex_lock(&sq->q_mu);
    sq->stopping = 1;
    while (sq->leading || sq->q_head)
        pthread_cond_wait(&sq->q_idle, &sq->q_mu);
    pthread_mutex_unlock(&sq->q_mu);
    for (struct sq_conn *c = sq->free_readers, *next; c; c = next) {
        next = c->next;
        conn_free(c);
    }
    conn_free(sq->writer);
    pthread_mutex_destroy(&sq->pool_mu);
    pthread_mutex_destroy(&sq->write_mu);
    pthread_mutex_destroy(&sq->q_mu);
    pthread_cond_destroy(&sq->q_idle);
    free(sq->path);
    free(sq->base.default_artifact_root);
    free(sq);
}

void sq_release_memory(struct sq *sq)
{
    pthread_mutex_lock(&sq->pool_mu);
    for (struct sq_conn *c = sq->free_readers; c; c = c->next)
        sqlite3_db_release_memory(c->db);
    pthread_mutex_unlock(&sq->pool_mu);
    /* The writer connection is free while no group is being written. */
    pthread_mutex_lock(&sq->q_mu);
    if (!sq->leading && !sq->q_head && pthread_mutex_trylock(&sq->write_mu) == 0) {
        sqlite3_db_release_memory(sq->writer->db);
        pthread_mutex_unlock(&sq->write_mu);
    }
    pthread_mutex_unlock(&sq->q_mu);
}

int sq_load_kv(struct sq_conn *c, const char *sql, int64_t id, struct kv_list *out,
               struct ferr *err)
{
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        kv_list_add(out, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "reading key-value pairs", err);
}
