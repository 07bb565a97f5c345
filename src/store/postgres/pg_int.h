/* SPDX-License-Identifier: MIT
 * Internals of the PostgreSQL backend, for the files of store/postgres/ only.
 * The shape mirrors the SQLite backend (store/sqlite/sqlite_int.h) so that
 * an area reads the same in both: one file per area, ops named pg_<op>.
 *
 * Connections: one writer connection per server process, used by the
 * current group-commit leader (pg_conn.c); readers come from a bounded pool
 * (at most FERRY_PG_POOL, default 16, connections; a reader beyond that
 * waits), so a replica's load on the database is bounded. Every connection
 * prepares each static SQL text once (the cache is keyed by the text's
 * address, as in SQLite) and runs it with PQexecPrepared; SQL built at run
 * time (searches) goes through PQexecParams.
 *
 * Values travel as text in both directions (except the big results read
 * by pg_run_rows and pg_copy_rows, in binary): parameters are formatted by the pg_args_*
 * helpers; results are read back by pg_get_*. A double is
 * written with 17 significant digits and read back by strtod, so every
 * value round-trips exactly; NaN is stored as 0 with is_nan = 1 (as in
 * SQLite: the shared SQL builders test is_nan) and infinities as
 * 'Infinity'/'-Infinity'.
 *
 * Replicas: nothing here caches rows across requests; numbers that must be
 * unique and gap-free (model versions) are taken under a row lock in the
 * transaction that uses them; serialization failures and deadlocks between
 * replicas are retried (pg_write). */
#ifndef FERRY_STORE_POSTGRES_PG_INT_H
#define FERRY_STORE_POSTGRES_PG_INT_H

#include "store/backend.h"
#include "store/auth.h"
#include "store/leases.h"
#include "store/gc.h"
#include "store/logged_models.h"
#include "store/import.h"
#include "store/metrics.h"
#include "store/predictions.h"
#include "store/registry.h"
#include "store/traces.h"
#include "store/sqlfrag.h"
#include "store/sql_dialect.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define PG_STMT_CACHE 128
#define PG_DEFER_MAX  4

struct pg_conn {
    PGconn *conn;
    const char *keys[PG_STMT_CACHE]; /* static SQL text, compared by address */
    unsigned names[PG_STMT_CACHE];   /* prepared as "f<name>" */
    int nstmts;
    unsigned next_name;
    char sqlstate[6]; /* of the last failed statement, "" when none */
    /* Commands without parameters (BEGIN, SAVEPOINT, ...) sent with the
     * next statement, in one round trip (pg_defer). */
    const char *deferred[PG_DEFER_MAX];
    int ndeferred;
    int deferred_failed;  /* one of them failed: the transaction is aborted */
    int broken;           /* a pipeline went wrong: treated as lost */
    struct pg_conn *next; /* free-list link */
};

struct pg_write_op;

struct pg {
    struct store base; /* first: struct store * casts to struct pg * */
    char *conninfo;    /* as libpq takes it; may hold a password: never print it */
    char *shown;       /* the URI with any password replaced by "***", for messages */
    int group_commit;
    /* pg_lease_fence, set at open: the write path checks fences through it
     * (pg_conn.c does not depend on the leases area's file). */
    int (*fence)(struct pg_conn *c, const struct lease_fence *f, struct ferr *err);

    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cond; /* a reader was returned */
    struct pg_conn *free_readers;
    int nreaders, max_readers;

    struct pg_conn *writer;
    pthread_mutex_t write_mu; /* direct mode: serialises writers */

    /* group commit (leader/follower, as store/sqlite/sqlite_conn.c) */
    pthread_mutex_t q_mu;
    pthread_cond_t q_idle;
    struct pg_write_op *q_head, *q_tail;
    int leading;
    int stopping;
    /* groups written in one pipeline, and those that went the ordinary
     * way after a statement of theirs failed (the leader's alone) */
    unsigned long piped_groups, piped_fallbacks;
};

/* A write: fn runs inside a transaction on the writer connection (inside a
 * savepoint of its own when grouped with others). It returns 0, or -1 with
 * err set and its changes are rolled back. fn may run more than once: when
 * PostgreSQL aborts it for a deadlock or a serialization failure with
 * another replica, it is run again from the start (so, as every op's
 * contract says, a failing fn must leave its outputs released). */
typedef int (*pg_write_fn)(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err);

int pg_write(struct pg *pg, pg_write_fn fn, void *arg, struct ferr *err);
/* As pg_write, for an fn that runs exactly one statement (or none) and may
 * run twice with the effect of once (an upsert, an insert that skips what
 * exists): written alone, the statement is its own transaction, one round
 * trip instead of three (BEGIN, the statement, COMMIT); grouped, as any. */
int pg_write_one(struct pg *pg, pg_write_fn fn, void *arg, struct ferr *err);
/* A write that is one prepared statement whose result finish reads: as
 * pg_write_one's fn, it may run twice with the effect of once, and a
 * failing finish must mean the statement changed nothing (an insert into
 * a run that is not there). Grouped with others of its kind, the whole
 * group goes to PostgreSQL in one pipeline, one round trip (pg_write.c);
 * otherwise it is written as pg_write_one's. fast_sql (may be NULL) is a
 * cheaper form that fails (unique_violation) where sql would skip rows
 * that exist: it goes first wherever its failure costs no more than
 * running sql after it (alone, out of a transaction; a pipeline, written
 * again the ordinary way), and sql everywhere else. args must stay valid
 * until pg_write_piped returns. In a pipeline finish runs after the
 * group's COMMIT; written the ordinary way, after the statement; and as
 * fn it may run more than once. */
struct pg_pipe {
    const char *sql;      /* static text, prepared once per connection */
    const char *fast_sql; /* the same, cheaper where nothing exists yet */
    const struct pg_args *args;
    const char *what; /* for errors: "logging a batch" */
    int (*finish)(const PGresult *r, void *arg, struct ferr *err);
    void *arg;
};
int pg_write_piped(struct pg *pg, const struct pg_pipe *p, struct ferr *err);
/* A reader connection (waits while the pool is at its limit); put it back
 * with pg_reader_put. NULL with err set when the database cannot be reached. */
struct pg_conn *pg_reader_get(struct pg *pg, struct ferr *err);
void pg_reader_put(struct pg *pg, struct pg_conn *c);
/* A reader inside a REPEATABLE READ, READ ONLY transaction, for a search
 * whose statements (the page's keys, then their rows) must all see one
 * snapshot; its BEGIN travels with the first statement (pg_defer). End it
 * with pg_snapshot_put (NULL is fine), which leaves the reader idle. */
struct pg_conn *pg_snapshot_get(struct pg *pg, struct ferr *err);
void pg_snapshot_put(struct pg *pg, struct pg_conn *c);

/* For pg_write.c, the connection layer's own tools: whether c is lost
 * (PostgreSQL restarted, or a pipeline broke); r checked (a failure sets
 * err and c->sqlstate, clears r and gives NULL); sql's prepared name on c
 * (its first use prepares it, a round trip); c reopened in place. */
int pg_conn_lost(const struct pg_conn *c);
PGresult *pg_check(struct pg_conn *c, PGresult *r, const char *what, struct ferr *err);
int pg_prepared(struct pg_conn *c, const char *sql, char name[16], const char *what,
                struct ferr *err);
int pg_conn_reopen(struct pg *pg, struct pg_conn *c, struct ferr *err);

/* Bound parameters, in placeholder order ($1, $2, ...). Text values are
 * borrowed (must outlive the call that uses them); numbers are formatted
 * into storage the args own. A NULL text is SQL NULL. */
struct pg_args {
    size_t n, alloc;
    const char **v;
    char **own; /* own[i]: what v[i] points to when the args formatted it */
};
#define PG_ARGS_INIT                                                                               \
    {                                                                                              \
        0, 0, NULL, NULL                                                                           \
    }
void pg_args_text(struct pg_args *a, const char *s);
void pg_args_int(struct pg_args *a, int64_t v);
/* A double as value text ("0" for NaN: pair it with an is_nan argument). */
void pg_args_real(struct pg_args *a, double v);
void pg_args_null(struct pg_args *a);
/* Every bound value of f, in order (f's placeholders must be $1.. $n). */
void pg_args_frag(struct pg_args *a, const struct sql_frag *f);
void pg_args_clear(struct pg_args *a); /* n = 0, keeps the storage */
void pg_args_release(struct pg_args *a);

/* Runs static SQL text sql (prepared once per connection, keyed by its
 * address: pass a static array, never a built string) with args a (NULL:
 * none). Returns the result (PGRES_TUPLES_OK or PGRES_COMMAND_OK; free it
 * with PQclear), or NULL with err set to INTERNAL_ERROR naming what failed
 * and c->sqlstate set. */
PGresult *pg_run(struct pg_conn *c, const char *sql, const struct pg_args *a, const char *what,
                 struct ferr *err);
/* A search's built text kept for the process's life, so that pg_run can
 * prepare it (its cache is keyed by a text's address) and PostgreSQL plan
 * it once per connection: a search's text depends on its filter's shape
 * and its order, not on their values (bound), so few texts recur (each
 * new one costs a round trip to prepare). NULL when the text is too long
 * or the store of them is full: run it with pg_run_text. Thread-safe. */
const char *pg_intern(const char *sql);
/* As pg_run, for SQL text built at run time (not prepared, not cached). */
PGresult *pg_run_text(struct pg_conn *c, const char *sql, const struct pg_args *a, const char *what,
                      struct ferr *err);
/* Sends sql (static text without parameters: BEGIN, SAVEPOINT ...) in one
 * round trip with the next statement run on c, in libpq's pipeline mode,
 * instead of a round trip of its own. Its failure is that statement's
 * failure (err, c->sqlstate), and c->deferred_failed says the transaction
 * is aborted. */
void pg_defer(struct pg_conn *c, const char *sql);
/* pg_run for a statement whose result is not needed: 0 or -1. */
int pg_do(struct pg_conn *c, const char *sql, const struct pg_args *a, const char *what,
          struct ferr *err);
/* The number of rows an INSERT/UPDATE/DELETE result touched. */
int64_t pg_affected(const PGresult *r);
/* 1 when the last failure on c was a unique-key violation (23505), after
 * which the caller answers RESOURCE_ALREADY_EXISTS (and returns -1: the
 * transaction is aborted). */
int pg_unique_violation(const struct pg_conn *c);
/* An INTERNAL_ERROR carrying PostgreSQL's message for what failed. */
int pg_fail(struct pg_conn *c, const char *what, struct ferr *err);

/* Result cells. pg_get_str: a new string ("" for NULL); _or_null: NULL for
 * NULL; pg_get_int: 0 for NULL; pg_get_real: the double of a value column
 * (NaN when is_nan_col >= 0 and that column is 1). */
int pg_get_null(const PGresult *r, int row, int col);
char *pg_get_str(const PGresult *r, int row, int col);
char *pg_get_str_or_null(const PGresult *r, int row, int col);
const char *pg_get_ref(const PGresult *r, int row, int col); /* borrowed, "" for NULL */
int64_t pg_get_int(const PGresult *r, int row, int col);
double pg_get_real(const PGresult *r, int row, int col, int is_nan_col);

/* The (key, value) rows sql (static) selects for the id bound to $1. */
int pg_load_kv(struct pg_conn *c, const char *sql, int64_t id, struct kv_list *out,
               struct ferr *err);

/* pg_conn.c: the lifecycle. */
struct pg_conn *pg_conn_open(struct pg *pg, struct ferr *err);
void pg_conn_close(struct pg_conn *c);
void pg_free(struct pg *pg);

/* Shared lookups (any connection). */
int pg_run_lookup(struct pg_conn *c, const char *run_id, int64_t *id, enum lifecycle *lc,
                  int64_t *experiment_id, struct ferr *err);
int pg_run_active(struct pg_conn *c, const char *run_id, int64_t *id, int64_t *experiment_id,
                  struct ferr *err);
int pg_load_run(struct pg_conn *c, int64_t id, struct run *out, struct ferr *err);
int pg_load_run_info(struct pg_conn *c, int64_t id, struct run_info *out, struct ferr *err);
int pg_set_run_tag(struct pg_conn *c, int64_t run, const char *key, const char *value,
                   struct ferr *err);
int pg_logged_model_lookup(struct pg_conn *c, const char *model_id, int64_t *id, struct ferr *err);
int pg_put_model_metrics(struct pg_conn *c, const char *run_id, const struct metric_list *ml,
                         struct ferr *err);
int pg_load_model_refs(struct pg_conn *c, int64_t run, struct run *out, struct ferr *err);

/* pg_leases.c: refuses a write under f unless f's epoch holds (store/leases.h),
 * the lease's row locked FOR SHARE until the transaction ends. */
int pg_lease_fence(struct pg_conn *c, const struct lease_fence *f, struct ferr *err);

/* pg_experiments.c: the experiment half of the tracking table (pg_runs.c). */
int pg_create_experiment(struct store *s, const char *name, const char *artifact_location,
                         const struct kv_list *tags, int64_t *id_out, struct ferr *err);
int pg_get_experiment(struct store *s, int64_t id, struct experiment *out, struct ferr *err);
int pg_get_experiment_by_name(struct store *s, const char *name, struct experiment *out,
                              struct ferr *err);
int pg_search_experiments(struct store *s, const struct experiment_search *q,
                          struct store_page *page, struct experiment_list *out, struct ferr *err);
int pg_rename_experiment(struct store *s, int64_t id, const char *new_name, struct ferr *err);
int pg_set_experiment_lifecycle(struct store *s, int64_t id, enum lifecycle to, struct ferr *err);
int pg_set_experiment_tag(struct store *s, int64_t id, const char *key, const char *value,
                          struct ferr *err);

/* Each area's ops table, defined in its file (pg_<area>.c). */
extern const struct store_tracking_ops pg_tracking; /* pg_runs.c */
extern const struct store_metrics_ops pg_metrics;
extern const struct store_registry_ops pg_registry;
extern const struct store_logged_model_ops pg_logged_models;
extern const struct store_traces_ops pg_traces;
extern const struct store_gc_ops pg_gc;
extern const struct store_import_ops pg_import;
extern const struct store_auth_ops pg_auth;
extern const struct store_lease_ops pg_leases;
extern const struct store_deployment_ops pg_deployments;
extern const struct store_prediction_ops pg_predictions;
extern const struct store_monitor_ops pg_monitors;
extern const struct store_dataset_ops pg_datasets;
extern const struct store_lineage_ops pg_lineage;
extern const struct store_trigger_ops pg_triggers;
extern const struct store_webhook_ops pg_webhooks;

/* pg_conn.c: the settings every session gets when it is opened
 * (pg_conn_open calls it): 0, or -1 with err set. */
int pg_conn_session(struct pg_conn *c, struct ferr *err);

/* pg_conn.c: big results, a row at a time. fn gets each row (row of r,
 * whose cells are binary: read them with pg_bin_*). */
typedef void (*pg_row_fn)(void *arg, const PGresult *r, int row);
/* As pg_run (static sql, prepared once per connection), with the rows
 * handed to fn as they arrive (libpq's single-row mode), in binary format,
 * none kept. 0, or -1 with err set as pg_run sets it; on failure fn may
 * have seen some rows: the caller drops what it made of them. */
int pg_run_rows(struct pg_conn *c, const char *sql, const struct pg_args *a, pg_row_fn fn,
                void *arg, const char *what, struct ferr *err);
/* Binary cells: an int2, int4 or int8 (0 for NULL); a float8 (0 for NULL,
 * NaN when is_nan_col >= 0 and that int column is not 0). */
int64_t pg_bin_int(const PGresult *r, int row, int col);
double pg_bin_real(const PGresult *r, int row, int col, int is_nan_col);
/* The same from len big-endian bytes at p (an int2/int4/int8; a float8,
 * 0 unless len is 8). Inline: a history reads 400,000 of them. */
static inline uint64_t pg_be_bytes(const void *p, int len)
{
    const unsigned char *b = p;
    uint64_t v = 0;
    for (int i = 0; i < len && i < 8; i++)
        v = v << 8 | b[i];
    return v;
}
static inline int64_t pg_be_int(const void *p, int len)
{
    uint64_t v = pg_be_bytes(p, len);
    if (len == 2)
        return (int16_t)(uint16_t)v;
    if (len == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}
static inline double pg_be_real(const void *p, int len)
{
    uint64_t v = pg_be_bytes(p, len);
    double d;
    memcpy(&d, &v, sizeof(d)); /* a float8 is its IEEE 754 bits */
    return len == 8 ? d : 0;
}

/* pg_conn.c, for the other ways of reading: err (and c->sqlstate) for a
 * failed result r (NULL: the connection's own error); the commands
 * pg_defer queued, sent on their own: 0, or -1 with err set. */
void pg_fail_result(struct pg_conn *c, const PGresult *r, const char *what, struct ferr *err);
int pg_flush_deferred(struct pg_conn *c, const char *what, struct ferr *err) WARN_UNUSED;

/* pg_copy.c: the biggest results (a whole metric history) by COPY ... TO
 * STDOUT (FORMAT binary). A row's fields as the server sent them. */
#define PG_COPY_MAX_FIELDS 8
struct pg_copy_row {
    int n;                                      /* fields */
    const unsigned char *v[PG_COPY_MAX_FIELDS]; /* big-endian binary; NULL for SQL NULL */
    int len[PG_COPY_MAX_FIELDS];                /* bytes; 0 for NULL */
};
typedef void (*pg_copy_fn)(void *arg, const struct pg_copy_row *row);
/* Runs sql, a "COPY (SELECT ...) TO STDOUT (FORMAT binary)" of at most
 * PG_COPY_MAX_FIELDS columns built by the caller (values in it escaped:
 * COPY takes no parameters), and hands fn each row as it arrives, none
 * kept. 0, or -1 with err set (fn may have seen some rows: the caller
 * drops what it made of them). */
int pg_copy_rows(struct pg_conn *c, const char *sql, pg_copy_fn fn, void *arg, const char *what,
                 struct ferr *err) WARN_UNUSED;

/* The parse of one COPY's data, message by message, with no connection
 * (so that tests and fuzzers can feed it any bytes). Starts zeroed. */
struct pg_copy_parse {
    int header_done; /* the signature and header are behind */
    int ended;       /* the -1 trailer was seen: later bytes are ignored */
};
/* Parses one CopyData message, len bytes at p (a whole number of rows, the
 * header before the first), and hands fn each row, its fields pointing into
 * p. Reads nothing outside p[0..len). 0, or -1 when the message is not what
 * the binary format says (fn may have seen the rows before the fault). */
int pg_copy_parse_message(struct pg_copy_parse *st, const unsigned char *p, size_t len,
                          pg_copy_fn fn, void *arg) WARN_UNUSED;

#endif
