/* SPDX-License-Identifier: MIT
 * The PostgreSQL backend's connections: opening them, statements prepared
 * once per connection, deferred commands sent in one pipeline with the
 * statement after them, the bounded pool of readers, and reading results.
 * Every area's file (pg_*.c) reads through these; writes go through
 * pg_write.c, which runs its statements with these too. Idle readers are
 * dropped all at once when one of them is found dead (PostgreSQL
 * restarted). */
#include "store/postgres/pg_int.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* --- parameters --------------------------------------------------------- */

static void args_push(struct pg_args *a, const char *v, char *own)
{
    if (a->n == a->alloc) {
        a->alloc = a->alloc ? 2 * a->alloc : 8;
        a->v = xrealloc(a->v, a->alloc * sizeof(*a->v));
        a->own = xrealloc(a->own, a->alloc * sizeof(*a->own));
    }
    a->v[a->n] = own ? own : v;
    a->own[a->n++] = own;
}

void pg_args_text(struct pg_args *a, const char *s)
{
    args_push(a, s, NULL);
}

void pg_args_null(struct pg_args *a)
{
    args_push(a, NULL, NULL);
}

void pg_args_int(struct pg_args *a, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    args_push(a, NULL, xstrdup(buf));
}

void pg_args_real(struct pg_args *a, double v)
{
    char buf[40];
    if (isnan(v))
        snprintf(buf, sizeof(buf), "0");
    else if (isinf(v))
        snprintf(buf, sizeof(buf), "%s", v > 0 ? "Infinity" : "-Infinity");
    else
        snprintf(buf, sizeof(buf), "%.17g", v);
    args_push(a, NULL, xstrdup(buf));
}

void pg_args_frag(struct pg_args *a, const struct sql_frag *f)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct sql_bind *b = &f->binds[i];
        if (b->type == SQL_BIND_TEXT)
            pg_args_text(a, b->text);
        else if (b->type == SQL_BIND_INT)
            pg_args_int(a, b->i);
        else
            pg_args_real(a, b->d);
    }
}

void pg_args_clear(struct pg_args *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->own[i]);
    a->n = 0;
}

void pg_args_release(struct pg_args *a)
{
    pg_args_clear(a);
    free(a->v);
    free(a->own);
    a->v = NULL;
    a->own = NULL;
    a->alloc = 0;
}

/* --- statements ----------------------------------------------------------- */

/* The primary message of PostgreSQL's error, one line, no SQL text. */
static const char *primary_message(const PGresult *r, const struct pg_conn *c)
{
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!m || !*m)
        m = PQerrorMessage(c->conn);
    return m && *m ? m : "unknown error";
}

int pg_conn_lost(const struct pg_conn *c)
{
    return c->broken || PQstatus(c->conn) != CONNECTION_OK;
}

/* Sets err for a failed result r (NULL: no result at all) and c->sqlstate. */
void pg_fail_result(struct pg_conn *c, const PGresult *r, const char *what, struct ferr *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state ? state : "");
    char msg[200];
    snprintf(msg, sizeof(msg), "%s", primary_message(r, c));
    msg[strcspn(msg, "\n")] = '\0';
    if (pg_conn_lost(c) || !strncmp(c->sqlstate, "08", 2) || !strncmp(c->sqlstate, "57P", 3))
        ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "the database connection was lost while %s: %s",
                 what, msg);
    else if (!strcmp(c->sqlstate, "40P01") || !strcmp(c->sqlstate, "40001"))
        ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "database conflict while %s: %s", what, msg);
    else if (!strcmp(c->sqlstate, "22021")) /* SQLite takes such bytes; PostgreSQL's text not */
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a value is not valid UTF-8");
    else if (!strcmp(c->sqlstate, "22P02") || !strcmp(c->sqlstate, "42883"))
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a value does not fit its field: %s", msg);
    else if (!strcmp(c->sqlstate, "22003"))
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a number is out of range: %s", msg);
    else
        ferr_set(err, FERR_INTERNAL_ERROR, "database error while %s: %s", what, msg);
}

int pg_fail(struct pg_conn *c, const char *what, struct ferr *err)
{
    pg_fail_result(c, NULL, what, err);
    return -1;
}

int pg_unique_violation(const struct pg_conn *c)
{
    return !strcmp(c->sqlstate, "23505");
}

PGresult *pg_check(struct pg_conn *c, PGresult *r, const char *what, struct ferr *err)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        c->sqlstate[0] = '\0';
        return r;
    }
    pg_fail_result(c, r, what, err);
    PQclear(r);
    return NULL;
}

/* --- deferred commands: one round trip for BEGIN + the first statement --- */

/* The statement to run after the deferred commands: prepared (name) or
 * text with parameters, or none (only the deferred commands run). */
struct stmt {
    const char *name, *text;
    int n;
    const char *const *v;
};

/* Runs c's deferred commands, then st, in one pipeline: every command is
 * sent, then one Sync, then the results are read. Returns st's result (or
 * the first failed deferred command's, whose failure skipped st; or for
 * no st, the first failure or a COMMAND_OK result), or NULL when the
 * pipeline itself failed (c->broken: the connection is then reopened or
 * dropped, never reused). */
static PGresult *exec_pipelined(struct pg_conn *c, const struct stmt *st)
{
    PGconn *conn = c->conn;
    int nd = c->ndeferred, sent = 0, ok = PQenterPipelineMode(conn);
    c->ndeferred = 0;
    for (int i = 0; ok && i < nd; i++, sent++)
        ok = PQsendQueryParams(conn, c->deferred[i], 0, NULL, NULL, NULL, NULL, 0);
    if (ok && st && st->name)
        ok = PQsendQueryPrepared(conn, st->name, st->n, st->v, NULL, NULL, 0);
    else if (ok && st)
        ok = PQsendQueryParams(conn, st->text, st->n, NULL, st->v, NULL, NULL, 0);
    if (ok && st)
        sent++;
    if (ok)
        ok = PQpipelineSync(conn);
    PGresult *first_bad = NULL, *last = NULL;
    for (int i = 0; ok && i < sent; i++) {
        PGresult *r = PQgetResult(conn);
        if (!r) {
            ok = 0;
            break;
        }
        /* Each command's results end with a NULL; a single-row mode is
         * never asked for, so one result each. */
        for (PGresult *extra; (extra = PQgetResult(conn));)
            PQclear(extra);
        ExecStatusType t = PQresultStatus(r);
        int good = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
        if (!good && !first_bad && t != PGRES_PIPELINE_ABORTED) {
            first_bad = r;
            if (i < nd)
                c->deferred_failed = 1;
        } else if (i == sent - 1 && good) {
            last = r;
        } else {
            PQclear(r);
        }
    }
    if (ok) {
        PGresult *sync = PQgetResult(conn);
        ok = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
        PQclear(sync);
    }
    if (ok)
        ok = PQexitPipelineMode(conn);
    if (!ok) {
        c->broken = 1;
        PQclear(first_bad);
        PQclear(last);
        return NULL;
    }
    if (first_bad) {
        PQclear(last);
        return first_bad;
    }
    return last;
}

/* Runs the deferred commands on their own (before a statement that cannot
 * share their pipeline). 0, or -1 with err set. */
int pg_flush_deferred(struct pg_conn *c, const char *what, struct ferr *err)
{
    if (!c->ndeferred)
        return 0;
    PGresult *r = pg_check(c, exec_pipelined(c, NULL), what, err);
    PQclear(r);
    return r ? 0 : -1;
}

void pg_defer(struct pg_conn *c, const char *sql)
{
    if (c->ndeferred == PG_DEFER_MAX) {  /* never with today's callers */
        struct ferr ignored = FERR_INIT; /* a failure shows at the next statement */
        if (pg_flush_deferred(c, "sending deferred commands", &ignored))
            c->deferred_failed = 1;
    }
    c->deferred[c->ndeferred++] = sql;
}

/* The prepared name of sql on c ("" when it cannot be prepared: err set). */
int pg_prepared(struct pg_conn *c, const char *sql, char name[16], const char *what,
                struct ferr *err)
{
    for (int i = 0; i < c->nstmts; i++) {
        if (c->keys[i] == sql) {
            snprintf(name, 16, "f%u", c->names[i]);
            return 0;
        }
    }
    if (pg_flush_deferred(c, what, err)) /* a statement's first use: a round trip of its own */
        return -1;
    if (c->nstmts == PG_STMT_CACHE) { /* full: forget the oldest */
        char old[16];
        snprintf(old, sizeof(old), "f%u", c->names[0]);
        char dealloc[32];
        snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", old);
        PQclear(PQexec(c->conn, dealloc));
        memmove(c->keys, c->keys + 1, sizeof(*c->keys) * (PG_STMT_CACHE - 1));
        memmove(c->names, c->names + 1, sizeof(*c->names) * (PG_STMT_CACHE - 1));
        c->nstmts--;
    }
    unsigned id = c->next_name++;
    snprintf(name, 16, "f%u", id);
    PGresult *r = pg_check(c, PQprepare(c->conn, name, sql, 0, NULL), what, err);
    if (!r)
        return -1;
    PQclear(r);
    c->keys[c->nstmts] = sql;
    c->names[c->nstmts++] = id;
    return 0;
}

PGresult *pg_run(struct pg_conn *c, const char *sql, const struct pg_args *a, const char *what,
                 struct ferr *err)
{
    char name[16];
    if (pg_prepared(c, sql, name, what, err))
        return NULL;
    int n = a ? (int)a->n : 0;
    const char *const *v = a ? a->v : NULL;
    if (c->ndeferred) {
        struct stmt st = {name, NULL, n, v};
        return pg_check(c, exec_pipelined(c, &st), what, err);
    }
    return pg_check(c, PQexecPrepared(c->conn, name, n, v, NULL, NULL, 0), what, err);
}

/* Built texts kept for the process's life (see pg_intern): up to
 * INTERN_MAX texts shorter than INTERN_LEN bytes, in static storage. */
#define INTERN_MAX 128
#define INTERN_LEN 4096
static char interned[INTERN_MAX][INTERN_LEN];
static int ninterned;
static pthread_mutex_t intern_mu = PTHREAD_MUTEX_INITIALIZER;

const char *pg_intern(const char *sql)
{
    size_t len = strlen(sql);
    const char *hit = NULL;
    if (len >= INTERN_LEN)
        return NULL;
    pthread_mutex_lock(&intern_mu);
    for (int i = 0; i < ninterned && !hit; i++)
        if (!strcmp(interned[i], sql))
            hit = interned[i];
    if (!hit && ninterned < INTERN_MAX) {
        memcpy(interned[ninterned], sql, len + 1);
        hit = interned[ninterned++];
    }
    pthread_mutex_unlock(&intern_mu);
    return hit;
}

PGresult *pg_run_text(struct pg_conn *c, const char *sql, const struct pg_args *a, const char *what,
                      struct ferr *err)
{
    if (!a || !a->n) {
        /* PQexec's simple protocol (the text may hold several statements)
         * cannot share a pipeline: the deferred commands go first. */
        if (pg_flush_deferred(c, what, err))
            return NULL;
        return pg_check(c, PQexec(c->conn, sql), what, err);
    }
    if (c->ndeferred) {
        struct stmt st = {NULL, sql, (int)a->n, a->v};
        return pg_check(c, exec_pipelined(c, &st), what, err);
    }
    return pg_check(c, PQexecParams(c->conn, sql, (int)a->n, NULL, a->v, NULL, NULL, 0), what, err);
}

int pg_do(struct pg_conn *c, const char *sql, const struct pg_args *a, const char *what,
          struct ferr *err)
{
    PGresult *r = pg_run(c, sql, a, what, err);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

int64_t pg_affected(const PGresult *r)
{
    const char *n = PQcmdTuples((PGresult *)r);
    return n && *n ? strtoll(n, NULL, 10) : 0;
}

/* --- cells ---------------------------------------------------------------- */

int pg_get_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col);
}

const char *pg_get_ref(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

char *pg_get_str(const PGresult *r, int row, int col)
{
    return xstrdup(pg_get_ref(r, row, col));
}

char *pg_get_str_or_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
}

int64_t pg_get_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    const char *v = PQgetvalue(r, row, col);
    if (!strcmp(v, "t"))
        return 1;
    if (!strcmp(v, "f"))
        return 0;
    return strtoll(v, NULL, 10);
}

double pg_get_real(const PGresult *r, int row, int col, int is_nan_col)
{
    if (is_nan_col >= 0 && pg_get_int(r, row, is_nan_col))
        return NAN;
    if (PQgetisnull(r, row, col))
        return 0;
    const char *v = PQgetvalue(r, row, col);
    if (!strcmp(v, "Infinity"))
        return INFINITY;
    if (!strcmp(v, "-Infinity"))
        return -INFINITY;
    if (!strcmp(v, "NaN"))
        return NAN;
    return strtod(v, NULL);
}

int pg_load_kv(struct pg_conn *c, const char *sql, int64_t id, struct kv_list *out,
               struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, id);
    PGresult *r = pg_run(c, sql, &a, "reading key-value pairs", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    for (int i = 0, n = PQntuples(r); i < n; i++)
        kv_list_add(out, pg_get_ref(r, i, 0), pg_get_ref(r, i, 1));
    PQclear(r);
    return 0;
}

/* --- connections ---------------------------------------------------------- */

static void notice_quiet(void *arg, const PGresult *r)
{
    (void)arg;
    (void)r; /* NOTICEs ("relation exists, skipping") are not errors */
}

struct pg_conn *pg_conn_open(struct pg *pg, struct ferr *err)
{
    static const char *const keys[] = {"dbname", "fallback_application_name", NULL};
    const char *vals[] = {pg->conninfo, "ferry", NULL};
    struct pg_conn *c = xcalloc(1, sizeof(*c));
    c->conn = PQconnectdbParams(keys, vals, 1);
    if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
        char msg[300];
        snprintf(msg, sizeof(msg), "%s", c->conn ? PQerrorMessage(c->conn) : "out of memory");
        msg[strcspn(msg, "\n")] = '\0';
        ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "cannot connect to the database %s: %s",
                 pg->shown, msg);
        PQfinish(c->conn);
        free(c);
        return NULL;
    }
    PQsetNoticeReceiver(c->conn, notice_quiet, NULL);
    if (pg_conn_session(c, err)) {
        pg_conn_close(c);
        return NULL;
    }
    return c;
}

void pg_conn_close(struct pg_conn *c)
{
    if (!c)
        return;
    PQfinish(c->conn);
    free(c);
}

/* Reopens a lost connection in place (its prepared statements are gone). */
int pg_conn_reopen(struct pg *pg, struct pg_conn *c, struct ferr *err)
{
    struct pg_conn *fresh = pg_conn_open(pg, err);
    if (!fresh)
        return -1;
    PQfinish(c->conn);
    c->conn = fresh->conn;
    c->nstmts = 0;
    c->sqlstate[0] = '\0';
    c->ndeferred = 0;
    c->deferred_failed = 0;
    c->broken = 0;
    free(fresh);
    return 0;
}

struct pg_conn *pg_reader_get(struct pg *pg, struct ferr *err)
{
    pthread_mutex_lock(&pg->pool_mu);
    while (!pg->free_readers && pg->nreaders >= pg->max_readers)
        pthread_cond_wait(&pg->pool_cond, &pg->pool_mu);
    struct pg_conn *c = pg->free_readers;
    if (c)
        pg->free_readers = c->next;
    else
        pg->nreaders++; /* a slot for the one opened below */
    pthread_mutex_unlock(&pg->pool_mu);
    if (c)
        return c;
    c = pg_conn_open(pg, err);
    if (!c) {
        pthread_mutex_lock(&pg->pool_mu);
        pg->nreaders--;
        pthread_cond_signal(&pg->pool_cond);
        pthread_mutex_unlock(&pg->pool_mu);
    }
    return c;
}

void pg_reader_put(struct pg *pg, struct pg_conn *c)
{
    if (!c)
        return;
    struct pg_conn *dead = NULL;
    int n = 0;
    pthread_mutex_lock(&pg->pool_mu);
    if (pg_conn_lost(c) || c->ndeferred || PQtransactionStatus(c->conn) != PQTRANS_IDLE) {
        /* Lost: PostgreSQL restarted, so every idle reader is lost too. */
        dead = c;
        c->next = pg->free_readers;
        pg->free_readers = NULL;
        for (struct pg_conn *d = dead; d; d = d->next)
            n++;
        pg->nreaders -= n;
        pthread_cond_broadcast(&pg->pool_cond);
    } else {
        c->next = pg->free_readers;
        pg->free_readers = c;
        pthread_cond_signal(&pg->pool_cond);
    }
    pthread_mutex_unlock(&pg->pool_mu);
    for (struct pg_conn *d = dead, *next; d; d = next) {
        next = d->next;
        pg_conn_close(d);
    }
}

struct pg_conn *pg_snapshot_get(struct pg *pg, struct ferr *err)
{
    struct pg_conn *c = pg_reader_get(pg, err);
    if (c)
        pg_defer(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    return c;
}

void pg_snapshot_put(struct pg *pg, struct pg_conn *c)
{
    if (!c)
        return;
    struct ferr ignored = FERR_INIT; /* a lost connection: pg_reader_put drops it */
    if (c->ndeferred)                /* no statement ran: the BEGIN was never sent */
        c->ndeferred = 0;
    else /* read only: ROLLBACK ends it as COMMIT would, and a failed one too */
        PQclear(pg_run_text(c, "ROLLBACK", NULL, "ending a read", &ignored));
    c->deferred_failed = 0;
    pg_reader_put(pg, c);
}

void pg_free(struct pg *pg)
{
    pthread_mutex_lock(&pg->q_mu);
    pg->stopping = 1;
    while (pg->leading || pg->q_head)
        pthread_cond_wait(&pg->q_idle, &pg->q_mu);
    pthread_mutex_unlock(&pg->q_mu);
    for (struct pg_conn *c = pg->free_readers, *next; c; c = next) {
        next = c->next;
        pg_conn_close(c);
    }
    pg_conn_close(pg->writer);
    pthread_mutex_destroy(&pg->pool_mu);
    pthread_cond_destroy(&pg->pool_cond);
    pthread_mutex_destroy(&pg->write_mu);
    pthread_mutex_destroy(&pg->q_mu);
    pthread_cond_destroy(&pg->q_idle);
    free(pg->conninfo);
    free(pg->shown);
    free(pg->base.default_artifact_root);
    free(pg);
}

/* --- session settings ----------------------------------------------------- */

/* Every connection plans without parallel workers. A tracking server's
 * reads are many small requests at once, and ferry bounds its load on the
 * database by the number of its connections (the reader pool): a parallel
 * plan takes more processes than that bound says, and its Gather Merge
 * hands the LIMIT of a search no bounded (top-N) sort. runs/search over
 * 100,000 runs took 375-490 ms with the default (2 workers) and 172-188 ms
 * without, on 2 cores. Set per session, not in the database, so ferry
 * changes nothing for other clients of that database. */
int pg_conn_session(struct pg_conn *c, struct ferr *err)
{
    PGresult *r = pg_check(c, PQexec(c->conn, "SET max_parallel_workers_per_gather = 0"),
                           "setting up the database session", err);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

/* --- rows one at a time, in binary ---------------------------------------- */

/* The big results (a metric's history: 100,000 rows and more) neither wait
 * for the whole result nor hold it: libpq's ordinary mode stores every row
 * in one result that grows to megabytes, and the pages it touches cost
 * more than the rows (on a 2-core VM, 100,000 points of four columns took
 * 74 ms that way, 29 ms in single-row mode). In binary, a bigint or a
 * double is its bytes: no strtoll, no strtod. */
int pg_run_rows(struct pg_conn *c, const char *sql, const struct pg_args *a, pg_row_fn fn,
                void *arg, const char *what, struct ferr *err)
{
    char name[16];
    /* Single-row mode cannot share a pipeline: deferred commands go first. */
    if (pg_flush_deferred(c, what, err) || pg_prepared(c, sql, name, what, err))
        return -1;
    if (!PQsendQueryPrepared(c->conn, name, a ? (int)a->n : 0, a ? a->v : NULL, NULL, NULL, 1))
        return pg_fail(c, what, err);
    /* Refused only when no query is in progress: the rows then come in one
     * result, read the same way below. */
    (void)PQsetSingleRowMode(c->conn);
    int rc = 0, done = 0;
    PGresult *r;
    while ((r = PQgetResult(c->conn))) { /* to the end, even after a failure */
        ExecStatusType st = PQresultStatus(r);
        if (!rc && (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK)) {
            for (int i = 0, n = PQntuples(r); i < n; i++)
                fn(arg, r, i);
            done = st == PGRES_TUPLES_OK;
        } else if (!rc) {
            pg_fail_result(c, r, what, err);
            rc = -1;
        }
        PQclear(r);
    }
    if (!rc && !done) /* no final result: the connection went away */
        return pg_fail(c, what, err);
    if (!rc)
        c->sqlstate[0] = '\0';
    return rc;
}

int64_t pg_bin_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return pg_be_int(PQgetvalue(r, row, col), PQgetlength(r, row, col));
}

double pg_bin_real(const PGresult *r, int row, int col, int is_nan_col)
{
    if (is_nan_col >= 0 && pg_bin_int(r, row, is_nan_col))
        return NAN;
    if (PQgetisnull(r, row, col))
        return 0;
    return pg_be_real(PQgetvalue(r, row, col), PQgetlength(r, row, col));
}
