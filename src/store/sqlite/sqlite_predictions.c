/* SPDX-License-Identifier: MIT
 * The prediction log in the SQLite backend (store/predictions.h's
 * contract): one database file per deployment and UTC day,
 * <tracking file>-predictions/<deployment>/YYYY-MM-DD.db, so log writes
 * never take the tracking file's write lock and retention unlinks whole
 * files. Each file (a partition) holds:
 *   rows      (rid BLOB, row, shadow) WITHOUT ROWID: the request's target (an id in
 *             targets), caller_id (partial index), tags, latency, status,
 *             the inputs and outputs blobs, label and label_ms
 *   targets   the dictionary of what answered
 *   label_history  every label given, with what it replaced
 *   hours     the hourly aggregates per (hour, target, slice)
 *   dirty     hours written since their aggregates were computed, with a
 *             generation counter bumped by each write
 *
 * Handles. A partition is opened on first use (created only by a write)
 * and kept in a cache of at most PLOG_MAX_OPEN handles, least recently used
 * first out; each has one connection (WAL, synchronous=NORMAL, prepared
 * statements kept) and a mutex: one user at a time, which is also how
 * SQLite orders writes to one file. Two processes on one file (a server and
 * `ferry gc`) meet SQLite's own locking (busy timeout).
 *
 * Batches. A put is one transaction per partition it touches; labels one
 * transaction per partition looked in. Scans hold the partition while
 * they call back: the callback must not write to the log.
 *
 * An in-memory tracking store (":memory:" as the path) keeps each
 * partition as an in-memory database that is never evicted and lives as
 * long as the store: the log then behaves the same (tests, throwaway
 * servers), and nothing is written beside a file that does not exist. */
#include "store/sqlite/sqlite_int.h"
#include "store/predictions.h"

#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/deployment.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

#define PLOG_MAX_OPEN 32
#define HOUR_MS       3600000LL
#define DAY_MS        86400000LL

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_INSERT_ROW,
    ST_DIRTY,
    ST_INSERT_TARGET,
    ST_TARGETS,
    ST_HIST_SEQ,
    ST_SET_LABEL,
    ST_HISTORY_ADD,
    ST_CALLER,
    ST_GEN,
    ST_HOUR_DEL,
    ST_HOUR_ADD,
    ST_DIRTY_DEL,
    ST_DIRTY_LIST,
    ST_HOURS,
    ST_SCAN,
    ST_GET_ROW,
    ST_HISTORY,
    ST__COUNT
};

#define ROW_COLS                                                                                   \
    "rid, row, nrows, target, caller_id, tags, latency_us, status, inputs, outputs, label, "       \
    "label_ms"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_INSERT_ROW] = "INSERT OR IGNORE INTO rows (rid, row, nrows, target, caller_id, tags, "
                      "latency_us, status, inputs, outputs, shadow) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_DIRTY] = "INSERT INTO dirty (hour_ms, gen) VALUES (?, 1) "
                 "ON CONFLICT (hour_ms) DO UPDATE SET gen = gen + 1",
    [ST_INSERT_TARGET] = "INSERT INTO targets (deployment, revision, model, version, shadow, "
                         "columns, classes, task) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_TARGETS] = "SELECT id, deployment, revision, model, version, shadow, columns, classes, "
                   "task FROM targets ORDER BY id",
    [ST_HIST_SEQ] = "SELECT coalesce(max(seq), 0) FROM label_history",
    [ST_SET_LABEL] = "UPDATE rows SET label = ?, label_ms = ? WHERE rid = ? AND row = ?",
    [ST_HISTORY_ADD] = "INSERT INTO label_history (rid, row, seq, label, previous, user_id, "
                       "time_ms) SELECT rid, row, ?3, ?4, label, ?5, ?6 FROM rows "
                       "WHERE rid = ?1 AND row = ?2 ORDER BY shadow LIMIT 1",
    [ST_CALLER] = "SELECT rid, label FROM rows WHERE caller_id = ? AND row = ? "
                  "ORDER BY rid DESC LIMIT 1",
    [ST_GEN] = "SELECT gen FROM dirty WHERE hour_ms = ?",
    [ST_HOUR_DEL] = "DELETE FROM hours WHERE hour_ms = ?",
    [ST_HOUR_ADD] = "INSERT INTO hours (hour_ms, target, slice_key, slice_value, count, failed, "
                    "labeled, latency, stats) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_DIRTY_DEL] = "DELETE FROM dirty WHERE hour_ms = ?",
    [ST_DIRTY_LIST] = "SELECT hour_ms, gen FROM dirty WHERE hour_ms >= ? AND hour_ms < ? "
                      "ORDER BY hour_ms",
    [ST_HOURS] = "SELECT hour_ms, target, slice_key, slice_value, count, failed, labeled, "
                 "latency, stats FROM hours WHERE hour_ms >= ? AND hour_ms < ? "
                 "ORDER BY hour_ms, target, slice_key, slice_value",
    [ST_SCAN] = "SELECT " ROW_COLS " FROM rows WHERE rid >= ? AND rid < ? "
                "ORDER BY rid, row, shadow",
    [ST_GET_ROW] = "SELECT " ROW_COLS " FROM rows WHERE rid = ? AND row = ? "
                   "ORDER BY shadow LIMIT 1",
    [ST_HISTORY] = "SELECT label, previous, user_id, time_ms FROM label_history "
                   "WHERE rid = ? AND row = ? ORDER BY seq",
};

/* The key's columns are declared first: SQLite 3.40's integrity_check
 * misreads the NOT NULL columns of a WITHOUT ROWID table whose key has a
 * column declared after them ("NULL value in rows.nrows" on sound data). */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS targets (id INTEGER PRIMARY KEY, deployment TEXT NOT NULL, "
    "revision INTEGER NOT NULL, model TEXT NOT NULL, version INTEGER NOT NULL, "
    "shadow INTEGER NOT NULL, columns TEXT NOT NULL, classes TEXT NOT NULL, task TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS rows (rid BLOB NOT NULL, row INTEGER NOT NULL, "
    "shadow INTEGER NOT NULL DEFAULT 0, "
    "nrows INTEGER NOT NULL, target INTEGER NOT NULL, caller_id TEXT, tags TEXT, "
    "latency_us INTEGER NOT NULL, status INTEGER NOT NULL, inputs BLOB, outputs BLOB, "
    "label TEXT, label_ms INTEGER, PRIMARY KEY (rid, row, shadow)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS rows_caller ON rows (caller_id, row) "
    "WHERE caller_id IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS label_history (rid BLOB NOT NULL, row INTEGER NOT NULL, "
    "seq INTEGER NOT NULL, label TEXT NOT NULL, previous TEXT, user_id TEXT NOT NULL, "
    "time_ms INTEGER NOT NULL, PRIMARY KEY (rid, row, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS hours (hour_ms INTEGER NOT NULL, target INTEGER NOT NULL, "
    "slice_key TEXT NOT NULL, slice_value TEXT NOT NULL, count INTEGER NOT NULL, "
    "failed INTEGER NOT NULL, labeled INTEGER NOT NULL, latency TEXT NOT NULL, "
    "stats TEXT NOT NULL, PRIMARY KEY (hour_ms, target, slice_key, slice_value)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS dirty (hour_ms INTEGER PRIMARY KEY, gen INTEGER NOT NULL);"
    "PRAGMA user_version = 1;";

struct plog_target {
    int64_t id;
    struct pred_target t;
};

struct plog_part {
    char *deployment;
    int64_t day; /* days since the epoch, UTC */
    sqlite3 *db;
    sqlite3_stmt *st[ST__COUNT];
    pthread_mutex_t mu; /* held by the one user */
    int refs;           /* users and waiters, under plog->mu */
    uint64_t used;      /* LRU clock, under plog->mu */
    struct plog_target *targets;
    size_t ntargets;
    int targets_loaded;
    size_t last;      /* the last target found, tried first */
    int64_t hist_seq; /* the last label_history.seq; 0: not read yet */
    struct plog_part *next;
};

struct sq_plog {
    pthread_mutex_t mu;
    pthread_cond_t idle; /* a partition's refs fell to 0 */
    char *dir;           /* <tracking file>-predictions; NULL in memory */
    struct plog_part *parts;
    size_t nopen;
    uint64_t clock;
};

/* ---------- dates ---------- */

/* Howard Hinnant's days_from_civil / civil_from_days. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void day_name(int64_t day, char out[48])
{
    int64_t z = day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(out, 48, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* "YYYY-MM-DD.db" -> the day; -1 for any other name. */
static int64_t day_parse(const char *name)
{
    if (strlen(name) != 13 || strcmp(name + 10, ".db") || name[4] != '-' || name[7] != '-')
        return -1;
    unsigned v[8];
    static const int pos[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (int i = 0; i < 8; i++) {
        char c = name[pos[i]];
        if (c < '0' || c > '9')
            return -1;
        v[i] = (unsigned)(c - '0');
    }
    int64_t y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    unsigned m = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int64_t day = days_from_civil(y, m, d);
    char back[48];
    day_name(day, back);
    return strncmp(back, name, 10) ? -1 : day;
}

static int64_t day_of(int64_t ms)
{
    return ms / DAY_MS;
}

/* ---------- partitions ---------- */

static struct sq_plog *plog_of(struct store *s)
{
    return ((struct sq *)s)->plog;
}

struct sq_plog *sq_plog_new(const char *tracking_path)
{
    struct sq_plog *pl = xcalloc(1, sizeof(*pl));
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->idle, NULL);
    if (strcmp(tracking_path, ":memory:") && !strstr(tracking_path, "mode=memory")) {
        struct sbuf sb = SBUF_INIT;
        sbuf_addf(&sb, "%s-predictions", tracking_path);
        pl->dir = sbuf_detach(&sb, NULL);
    }
    return pl;
}

static void targets_clear(struct plog_part *p)
{
    for (size_t i = 0; i < p->ntargets; i++)
        pred_target_release(&p->targets[i].t);
    free(p->targets);
    p->targets = NULL;
    p->ntargets = 0;
    p->targets_loaded = 0;
    p->last = 0;
}

static void part_close(struct plog_part *p)
{
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(p->st[i]);
    if (p->db && sqlite3_close(p->db) != SQLITE_OK)
        log_warn("closing a prediction log partition: %s", sqlite3_errmsg(p->db));
    targets_clear(p);
    pthread_mutex_destroy(&p->mu);
    free(p->deployment);
    free(p);
}

void sq_plog_free(struct sq_plog *pl)
{
    if (!pl)
        return;
    while (pl->parts) {
        struct plog_part *p = pl->parts;
        pl->parts = p->next;
        part_close(p);
    }
    pthread_mutex_destroy(&pl->mu);
    pthread_cond_destroy(&pl->idle);
    free(pl->dir);
    free(pl);
}

static void part_path(const struct sq_plog *pl, const char *dep, int64_t day, struct sbuf *out)
{
    char name[48];
    day_name(day, name);
    sbuf_addf(out, "%s/%s/%s.db", pl->dir, dep, name);
}

static int part_fail(sqlite3 *db, const char *what, struct ferr *err)
{
    return ferr_set(err, FERR_INTERNAL_ERROR, "prediction log database error while %s: %s", what,
                    db ? sqlite3_errmsg(db) : "out of memory");
}

static int mkdir_one(const char *path, struct ferr *err)
{
    if (mkdir(path, 0777) && errno != EEXIST)
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot create '%s': %s", path, strerror(errno));
    return 0;
}

/* Opens (create: creating) the partition's database; *absent 1 when it
 * does not exist and create is 0. */
static struct plog_part *part_open(struct sq_plog *pl, const char *dep, int64_t day, int create,
                                   int *absent, struct ferr *err)
{
    struct sbuf path = SBUF_INIT;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (pl->dir) {
        part_path(pl, dep, day, &path);
        if (!create) {
            struct stat st;
            if (stat(path.buf, &st)) {
                sbuf_release(&path);
                *absent = 1;
                return NULL;
            }
        } else {
            struct sbuf d = SBUF_INIT;
            sbuf_addf(&d, "%s/%s", pl->dir, dep);
            int rc = mkdir_one(pl->dir, err) || mkdir_one(d.buf, err);
            sbuf_release(&d);
            if (rc) {
                sbuf_release(&path);
                return NULL;
            }
            flags |= SQLITE_OPEN_CREATE;
        }
    } else {
        if (!create) {
            *absent = 1;
            return NULL;
        }
        sbuf_addstr(&path, ":memory:");
        flags |= SQLITE_OPEN_CREATE;
    }
    struct plog_part *p = xcalloc(1, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    p->deployment = xstrdup(dep);
    p->day = day;
    int rc = sqlite3_open_v2(path.buf, &p->db, flags, NULL);
    sbuf_release(&path);
    if (rc != SQLITE_OK) {
        part_fail(p->db, "opening a partition", err);
        part_close(p);
        return NULL;
    }
    char *msg = NULL;
    if (sqlite3_exec(p->db,
                     "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; "
                     "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;",
                     NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(p->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
        ferr_set(err, FERR_INTERNAL_ERROR, "cannot set up prediction log partition: %s",
                 msg ? msg : "unknown error");
        sqlite3_free(msg);
        part_close(p);
        return NULL;
    }
    for (int i = 0; i < ST__COUNT; i++) {
        if (sqlite3_prepare_v3(p->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &p->st[i],
                               NULL) != SQLITE_OK) {
            part_fail(p->db, "preparing a statement", err);
            part_close(p);
            return NULL;
        }
    }
    return p;
}

/* Closes the least recently used idle partition while over the cap
 * (never an in-memory one: it would lose its rows). Under pl->mu. */
static void evict(struct sq_plog *pl)
{
    while (pl->dir && pl->nopen >= PLOG_MAX_OPEN) {
        struct plog_part **victim = NULL;
        for (struct plog_part **pp = &pl->parts; *pp; pp = &(*pp)->next)
            if (!(*pp)->refs && (!victim || (*pp)->used < (*victim)->used))
                victim = pp;
        if (!victim)
            return; /* all in use: the cap is exceeded until they are put back */
        struct plog_part *p = *victim;
        *victim = p->next;
        pl->nopen--;
        part_close(p);
    }
}

/* The partition, locked for the caller; NULL with *absent 1 when it does
 * not exist (create 0), or with err set. Put back with part_put. */
static struct plog_part *part_get(struct sq_plog *pl, const char *dep, int64_t day, int create,
                                  int *absent, struct ferr *err)
{
    *absent = 0;
    pthread_mutex_lock(&pl->mu);
    struct plog_part *p;
    for (p = pl->parts; p; p = p->next)
        if (p->day == day && !strcmp(p->deployment, dep))
            break;
    if (!p) {
        evict(pl);
        p = part_open(pl, dep, day, create, absent, err);
        if (!p) {
            pthread_mutex_unlock(&pl->mu);
            return NULL;
        }
        p->next = pl->parts;
        pl->parts = p;
        pl->nopen++;
    }
    p->refs++;
    p->used = ++pl->clock;
    pthread_mutex_unlock(&pl->mu);
    pthread_mutex_lock(&p->mu);
    return p;
}

static void part_put(struct sq_plog *pl, struct plog_part *p)
{
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_lock(&pl->mu);
    if (--p->refs == 0)
        pthread_cond_broadcast(&pl->idle);
    pthread_mutex_unlock(&pl->mu);
}

static sqlite3_stmt *stmt(struct plog_part *p, int which)
{
    sqlite3_stmt *st = p->st[which];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static int run(struct plog_part *p, int which, const char *what, struct ferr *err)
{
    sqlite3_stmt *st = stmt(p, which);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : part_fail(p->db, what, err);
}

static int begin(struct plog_part *p, struct ferr *err)
{
    return run(p, ST_BEGIN, "beginning a transaction", err);
}

static int commit(struct plog_part *p, struct ferr *err)
{
    return run(p, ST_COMMIT, "committing", err);
}

/* After a failed write: the transaction goes, and with it any target the
 * dictionary cache learnt inside it. */
static void rollback(struct plog_part *p)
{
    if (!sqlite3_get_autocommit(p->db)) {
        struct ferr ignored = FERR_INIT;
        (void)run(p, ST_ROLLBACK, "rolling back", &ignored);
    }
    targets_clear(p);
    p->hist_seq = 0;
}

/* The days a deployment has partitions of, ascending. */
static int list_days(struct sq_plog *pl, const char *dep, int64_t **days, size_t *n,
                     struct ferr *err)
{
    *days = NULL;
    *n = 0;
    size_t alloc = 0;
    if (!pl->dir) {
        pthread_mutex_lock(&pl->mu);
        for (struct plog_part *p = pl->parts; p; p = p->next) {
            if (strcmp(p->deployment, dep))
                continue;
            ALLOC_GROW(*days, *n + 1, alloc);
            (*days)[(*n)++] = p->day;
        }
        pthread_mutex_unlock(&pl->mu);
    } else {
        struct sbuf d = SBUF_INIT;
        sbuf_addf(&d, "%s/%s", pl->dir, dep);
        DIR *dir = opendir(d.buf);
        if (!dir) {
            int e = errno;
            int rc = e == ENOENT || e == ENOTDIR
                         ? 0
                         : ferr_set(err, FERR_INTERNAL_ERROR, "cannot list '%s': %s", d.buf,
                                    strerror(e));
            sbuf_release(&d);
            return rc;
        }
        sbuf_release(&d);
        struct dirent *e;
        while ((e = readdir(dir))) {
            int64_t day = day_parse(e->d_name);
            if (day < 0)
                continue;
            ALLOC_GROW(*days, *n + 1, alloc);
            (*days)[(*n)++] = day;
        }
        closedir(dir);
    }
    /* insertion sort: a deployment has tens of days */
    for (size_t i = 1; i < *n; i++)
        for (size_t j = i; j > 0 && (*days)[j - 1] > (*days)[j]; j--) {
            int64_t t = (*days)[j];
            (*days)[j] = (*days)[j - 1];
            (*days)[j - 1] = t;
        }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_add(char ***v, size_t *n, size_t *alloc, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i], name))
            return;
    ALLOC_GROW(*v, *n + 1, *alloc);
    (*v)[(*n)++] = xstrdup(name);
}

static int sq_pred_deployments(struct store *s, char ***names, size_t *n, struct ferr *err)
{
    struct sq_plog *pl = plog_of(s);
    size_t alloc = 0;
    *names = NULL;
    *n = 0;
    if (!pl->dir) {
        pthread_mutex_lock(&pl->mu);
        for (struct plog_part *p = pl->parts; p; p = p->next)
            names_add(names, n, &alloc, p->deployment);
        pthread_mutex_unlock(&pl->mu);
    } else {
        DIR *dir = opendir(pl->dir);
        if (!dir) {
            if (errno == ENOENT)
                return 0;
            return ferr_set(err, FERR_INTERNAL_ERROR, "cannot list '%s': %s", pl->dir,
                            strerror(errno));
        }
        struct dirent *e;
        while ((e = readdir(dir)))
            if (!deployment_name_check(e->d_name, NULL))
                names_add(names, n, &alloc, e->d_name);
        closedir(dir);
    }
    if (*n > 1)
        qsort(*names, *n, sizeof(**names), cmp_str);
    return 0;
}

static void names_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ---------- the targets dictionary ---------- */

static int targets_load(struct plog_part *p, struct ferr *err)
{
    if (p->targets_loaded)
        return 0;
    targets_clear(p);
    sqlite3_stmt *st = stmt(p, ST_TARGETS);
    int rc;
    size_t alloc = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ALLOC_GROW(p->targets, p->ntargets + 1, alloc);
        struct plog_target *t = &p->targets[p->ntargets++];
        t->id = sqlite3_column_int64(st, 0);
        t->t.deployment = sq_col_str(st, 1);
        t->t.revision = sqlite3_column_int64(st, 2);
        t->t.model = sq_col_str(st, 3);
        t->t.version = sqlite3_column_int64(st, 4);
        t->t.shadow = sqlite3_column_int(st, 5);
        t->t.columns = sq_col_str(st, 6);
        t->t.classes = sq_col_str(st, 7);
        t->t.task = sq_col_str(st, 8);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        targets_clear(p);
        return part_fail(p->db, "reading targets", err);
    }
    p->targets_loaded = 1;
    return 0;
}

static const struct pred_target *target_by_id(struct plog_part *p, int64_t id)
{
    if (p->last < p->ntargets && p->targets[p->last].id == id)
        return &p->targets[p->last].t;
    for (size_t i = 0; i < p->ntargets; i++)
        if (p->targets[i].id == id) {
            p->last = i;
            return &p->targets[i].t;
        }
    return NULL;
}

static void bind_text_or_empty(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

/* The id of t in p's dictionary, added (inside the caller's transaction)
 * when new. */
static int target_id(struct plog_part *p, const struct pred_target *t, int64_t *id,
                     struct ferr *err)
{
    if (targets_load(p, err))
        return -1;
    if (p->last < p->ntargets && pred_target_equal(&p->targets[p->last].t, t)) {
        *id = p->targets[p->last].id;
        return 0;
    }
    for (size_t i = 0; i < p->ntargets; i++)
        if (pred_target_equal(&p->targets[i].t, t)) {
            p->last = i;
            *id = p->targets[i].id;
            return 0;
        }
    sqlite3_stmt *st = stmt(p, ST_INSERT_TARGET);
    bind_text_or_empty(st, 1, t->deployment);
    sqlite3_bind_int64(st, 2, t->revision);
    bind_text_or_empty(st, 3, t->model);
    sqlite3_bind_int64(st, 4, t->version);
    sqlite3_bind_int(st, 5, t->shadow ? 1 : 0);
    sqlite3_bind_text(st, 6, t->columns ? t->columns : "[]", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, t->classes ? t->classes : "[]", -1, SQLITE_STATIC);
    bind_text_or_empty(st, 8, t->task);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return part_fail(p->db, "adding a target", err);
    p->targets = xrealloc(p->targets, (p->ntargets + 1) * sizeof(*p->targets));
    struct plog_target *nt = &p->targets[p->ntargets];
    nt->id = sqlite3_last_insert_rowid(p->db);
    pred_target_copy(t, &nt->t);
    p->last = p->ntargets++;
    *id = nt->id;
    return 0;
}

/* ---------- writes ---------- */

/* Marks hour dirty unless it is one of the hours this transaction marked
 * already (*marked, a few). */
struct hour_set {
    int64_t v[32];
    size_t n;
};

static int mark_dirty(struct plog_part *p, int64_t ms, struct hour_set *hs, struct ferr *err)
{
    int64_t hour = ms - ms % HOUR_MS;
    for (size_t i = 0; i < hs->n; i++)
        if (hs->v[i] == hour)
            return 0;
    if (hs->n < sizeof(hs->v) / sizeof(hs->v[0]))
        hs->v[hs->n++] = hour;
    sqlite3_stmt *st = stmt(p, ST_DIRTY);
    sqlite3_bind_int64(st, 1, hour);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : part_fail(p->db, "marking an hour", err);
}

static int insert_row(struct plog_part *p, const struct pred_row *r, struct hour_set *hs,
                      struct ferr *err)
{
    int64_t tid;
    if (target_id(p, &r->target, &tid, err))
        return -1;
    sqlite3_stmt *st = stmt(p, ST_INSERT_ROW);
    sqlite3_bind_blob(st, 1, r->rid, PRED_RID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->row);
    sqlite3_bind_int64(st, 3, r->nrows);
    sqlite3_bind_int64(st, 4, tid);
    if (r->caller_id)
        sqlite3_bind_text(st, 5, r->caller_id, -1, SQLITE_STATIC);
    if (r->tags && *r->tags)
        sqlite3_bind_text(st, 6, r->tags, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, r->latency_us);
    sqlite3_bind_int(st, 8, r->status);
    if (r->inputs)
        sqlite3_bind_blob(st, 9, r->inputs, (int)r->ninputs, SQLITE_STATIC);
    if (r->outputs)
        sqlite3_bind_blob(st, 10, r->outputs, (int)r->noutputs, SQLITE_STATIC);
    sqlite3_bind_int(st, 11, r->target.shadow ? 1 : 0);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return part_fail(p->db, "logging a row", err);
    if (!sqlite3_changes(p->db))
        return 0; /* logged already: a retried batch */
    return mark_dirty(p, pred_rid_time_ms(r->rid), hs, err);
}

static int sq_pred_put(struct store *s, const struct pred_row *rows, size_t n, struct ferr *err)
{
    struct sq_plog *pl = plog_of(s);
    unsigned char *done = xcalloc(n, 1);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (done[i])
            continue;
        const char *dep = rows[i].target.deployment;
        int64_t day = day_of(pred_rid_time_ms(rows[i].rid));
        int absent;
        struct plog_part *p = part_get(pl, dep, day, 1, &absent, err);
        if (!p) {
            rc = -1;
            break;
        }
        struct hour_set hs = {{0}, 0};
        rc = begin(p, err);
        for (size_t j = i; j < n && !rc; j++) {
            if (done[j] || day_of(pred_rid_time_ms(rows[j].rid)) != day ||
                strcmp(rows[j].target.deployment, dep))
                continue;
            rc = insert_row(p, &rows[j], &hs, err);
            done[j] = 1;
        }
        if (!rc)
            rc = commit(p, err);
        if (rc)
            rollback(p);
        part_put(pl, p);
    }
    free(done);
    return rc;
}

/* Labels row (rid, row) of p if it exists: *found 1. */
static int apply_label(struct plog_part *p, const unsigned char *rid, uint32_t row,
                       const struct feedback_label *l, const char *user, int64_t now_ms,
                       struct hour_set *hs, int *found, struct ferr *err)
{
    *found = 0;
    sqlite3_stmt *st;
    int rc;
    if (!p->hist_seq) { /* history entries are numbered per partition, in order */
        st = stmt(p, ST_HIST_SEQ);
        rc = sqlite3_step(st);
        p->hist_seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
            return part_fail(p->db, "reading label history", err);
    }
    /* the history entry first, copying what it replaces: no row, no entry */
    int64_t when = l->time_ms ? l->time_ms : now_ms;
    st = stmt(p, ST_HISTORY_ADD);
    sqlite3_bind_blob(st, 1, rid, PRED_RID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, row);
    sqlite3_bind_int64(st, 3, p->hist_seq + 1);
    sqlite3_bind_text(st, 4, l->label, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, user, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, when);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return part_fail(p->db, "adding label history", err);
    if (!sqlite3_changes(p->db))
        return 0;
    p->hist_seq++;
    st = stmt(p, ST_SET_LABEL);
    sqlite3_bind_text(st, 1, l->label, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, when);
    sqlite3_bind_blob(st, 3, rid, PRED_RID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, row);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return part_fail(p->db, "labeling a row", err);
    *found = 1;
    return mark_dirty(p, pred_rid_time_ms(rid), hs, err);
}

/* The newest row caller_id names (row row) in p: *found 1 and its rid. */
static int find_caller(struct plog_part *p, const char *caller_id, uint32_t row,
                       unsigned char rid[PRED_RID_BYTES], int *found, struct ferr *err)
{
    sqlite3_stmt *st = stmt(p, ST_CALLER);
    sqlite3_bind_text(st, 1, caller_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, row);
    int rc = sqlite3_step(st);
    *found = 0;
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == PRED_RID_BYTES) {
        memcpy(rid, sqlite3_column_blob(st, 0), PRED_RID_BYTES);
        *found = 1;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : part_fail(p->db, "finding a caller id", err);
}

struct label_batch {
    const struct feedback_label *labels;
    const unsigned char (*rid)[PRED_RID_BYTES];
    const uint32_t *row;
    const unsigned char *is_rid;
    size_t n;
    const char *user;
    int64_t now_ms;
    unsigned char *found;
};

/* Applies, in one transaction of p, every label of b not yet found that
 * p may hold: rid labels of p's day (day >= 0), or caller labels. */
static int label_in(struct plog_part *p, struct label_batch *b, int callers, struct ferr *err)
{
    struct hour_set hs = {{0}, 0};
    if (begin(p, err))
        return -1;
    unsigned char *before = xmalloc(b->n);
    memcpy(before, b->found, b->n);
    int rc = 0;
    for (size_t i = 0; i < b->n && !rc; i++) {
        if (b->found[i] || !b->is_rid[i] != !!callers)
            continue;
        int found = 0;
        if (!callers) {
            if (day_of(pred_rid_time_ms(b->rid[i])) != p->day)
                continue;
            rc = apply_label(p, b->rid[i], b->row[i], &b->labels[i], b->user, b->now_ms, &hs,
                             &found, err);
        } else {
            unsigned char rid[PRED_RID_BYTES];
            rc = find_caller(p, b->labels[i].id, b->row[i], rid, &found, err);
            if (!rc && found)
                rc = apply_label(p, rid, b->row[i], &b->labels[i], b->user, b->now_ms, &hs, &found,
                                 err);
        }
        if (found)
            b->found[i] = 1;
    }
    if (!rc)
        rc = commit(p, err);
    if (rc) {
        rollback(p);
        memcpy(b->found, before, b->n); /* what this transaction found is not applied */
    }
    free(before);
    return rc;
}

static int sq_pred_label(struct store *s, const char *deployment,
                         const struct feedback_label *labels,
                         const unsigned char (*rid)[PRED_RID_BYTES], const uint32_t *row,
                         const unsigned char *is_rid, size_t n, const char *user, int64_t now_ms,
                         unsigned char *found, struct ferr *err)
{
    struct sq_plog *pl = plog_of(s);
    struct label_batch b = {labels, rid, row, is_rid, n, user, now_ms, found};
    char **deps = NULL;
    size_t ndeps = 0;
    if (deployment) {
        deps = xcalloc(1, sizeof(*deps));
        deps[0] = xstrdup(deployment);
        ndeps = 1;
    } else if (sq_pred_deployments(s, &deps, &ndeps, err)) {
        return -1;
    }
    int rc = 0, any_caller = 0;
    int64_t *days = xcalloc(n ? n : 1, sizeof(*days));
    /* rid labels: the partitions of the distinct days they name */
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_rid[i]) {
            any_caller = 1;
            continue;
        }
        int64_t day = day_of(pred_rid_time_ms(rid[i]));
        size_t k;
        for (k = 0; k < nd && days[k] != day; k++)
            ;
        if (k == nd)
            days[nd++] = day;
    }
    for (size_t d = 0; d < ndeps && !rc; d++) {
        for (size_t k = 0; k < nd && !rc; k++) {
            int absent;
            struct plog_part *p = part_get(pl, deps[d], days[k], 0, &absent, err);
            if (!p) {
                rc = absent ? 0 : -1;
                continue;
            }
            rc = label_in(p, &b, 0, err);
            part_put(pl, p);
        }
    }
    /* caller ids: every partition, newest day first (callers reuse ids:
     * the latest request with one is the one labeled) */
    struct dep_day {
        size_t dep;
        int64_t day;
    } *parts = NULL;
    size_t np = 0, palloc = 0;
    for (size_t d = 0; d < ndeps && !rc && any_caller; d++) {
        int64_t *pdays;
        size_t npd;
        if (list_days(pl, deps[d], &pdays, &npd, err)) {
            rc = -1;
            break;
        }
        for (size_t k = 0; k < npd; k++) {
            ALLOC_GROW(parts, np + 1, palloc);
            parts[np].dep = d;
            parts[np++].day = pdays[k];
        }
        free(pdays);
    }
    for (size_t i = 1; i < np; i++) /* by day, newest first */
        for (size_t j = i; j > 0 && parts[j - 1].day < parts[j].day; j--) {
            struct dep_day t = parts[j];
            parts[j] = parts[j - 1];
            parts[j - 1] = t;
        }
    for (size_t k = 0; k < np && !rc; k++) {
        int left = 0;
        for (size_t i = 0; i < n; i++)
            left |= !is_rid[i] && !found[i];
        if (!left)
            break;
        int absent;
        struct plog_part *p = part_get(pl, deps[parts[k].dep], parts[k].day, 0, &absent, err);
        if (!p) {
            rc = absent ? 0 : -1;
            continue;
        }
        rc = label_in(p, &b, 1, err);
        part_put(pl, p);
    }
    free(parts);
    free(days);
    names_free(deps, ndeps);
    return rc;
}

/* ---------- reads ---------- */

/* A row of a ROW_COLS select, borrowing the statement's memory and the
 * dictionary's target (valid until the statement steps again). */
static int row_borrow(struct plog_part *p, sqlite3_stmt *st, struct pred_row *r)
{
    memset(r, 0, sizeof(*r));
    if (sqlite3_column_bytes(st, 0) != PRED_RID_BYTES)
        return -1;
    memcpy(r->rid, sqlite3_column_blob(st, 0), PRED_RID_BYTES);
    r->row = (uint32_t)sqlite3_column_int64(st, 1);
    r->nrows = (uint32_t)sqlite3_column_int64(st, 2);
    r->time_ms = pred_rid_time_ms(r->rid);
    const struct pred_target *t = target_by_id(p, sqlite3_column_int64(st, 3));
    if (!t)
        return -1;
    r->target = *t;
    r->caller_id = (char *)sqlite3_column_text(st, 4);
    r->tags = (char *)sqlite3_column_text(st, 5);
    r->latency_us = (uint32_t)sqlite3_column_int64(st, 6);
    r->status = sqlite3_column_int(st, 7);
    r->inputs = (unsigned char *)sqlite3_column_blob(st, 8);
    r->ninputs = (size_t)sqlite3_column_bytes(st, 8);
    r->outputs = (unsigned char *)sqlite3_column_blob(st, 9);
    r->noutputs = (size_t)sqlite3_column_bytes(st, 9);
    r->label = (char *)sqlite3_column_text(st, 10);
    r->label_ms = sqlite3_column_int64(st, 11);
    return 0;
}

static unsigned char *blob_dup(const unsigned char *b, size_t n)
{
    if (!b)
        return NULL;
    unsigned char *c = xmalloc(n ? n : 1);
    memcpy(c, b, n);
    return c;
}

static void row_own(const struct pred_row *from, struct pred_row *to)
{
    *to = *from;
    pred_target_copy(&from->target, &to->target);
    to->caller_id = xstrdup_or_null(from->caller_id);
    to->tags = xstrdup_or_null(from->tags);
    to->inputs = blob_dup(from->inputs, from->ninputs);
    to->outputs = blob_dup(from->outputs, from->noutputs);
    to->label = xstrdup_or_null(from->label);
}

/* [lo, hi) of rids for [start_ms, end_ms) within day. */
static void day_bounds(int64_t day, int64_t start_ms, int64_t end_ms, unsigned char lo[16],
                       unsigned char hi[16])
{
    int64_t a = day * DAY_MS, b = a + DAY_MS;
    if (start_ms > a)
        a = start_ms;
    if (end_ms && end_ms < b)
        b = end_ms;
    pred_rid_min(a, lo);
    pred_rid_min(b, hi);
}

static int in_range(int64_t day, int64_t start_ms, int64_t end_ms)
{
    return (day + 1) * DAY_MS > start_ms && (!end_ms || day * DAY_MS < end_ms);
}

static int sq_pred_scan(struct store *s, const char *deployment, int64_t start_ms, int64_t end_ms,
                        pred_row_fn fn, void *arg, struct ferr *err)
{
    struct sq_plog *pl = plog_of(s);
    int64_t *days;
    size_t nd;
    if (list_days(pl, deployment, &days, &nd, err))
        return -1;
    int rc = 0;
    for (size_t k = 0; k < nd && !rc; k++) {
        if (!in_range(days[k], start_ms, end_ms))
            continue;
        int absent;
        struct plog_part *p = part_get(pl, deployment, days[k], 0, &absent, err);
        if (!p) {
            rc = absent ? 0 : -1;
            continue;
        }
        unsigned char lo[16], hi[16];
        day_bounds(days[k], start_ms, end_ms, lo, hi);
        rc = targets_load(p, err);
        sqlite3_stmt *st = stmt(p, ST_SCAN);
        sqlite3_bind_blob(st, 1, lo, 16, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, hi, 16, SQLITE_STATIC);
        int step;
        while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
            struct pred_row r;
            if (row_borrow(p, st, &r))
                continue; /* a corrupt key or target: skipped */
            rc = fn(arg, &r, err);
        }
        if (!rc && step != SQLITE_DONE)
            rc = part_fail(p->db, "scanning rows", err);
        sqlite3_reset(st);
        part_put(pl, p);
    }
    free(days);
    return rc;
}

static int sq_pred_search(struct store *s, const struct prediction_query *q,
                          const unsigned char *after_rid, uint32_t after_pos, size_t limit,
                          struct pred_row_list *out, struct ferr *err)
{
    struct sq_plog *pl = plog_of(s);
    int64_t *days;
    size_t nd;
    if (list_days(pl, q->deployment, &days, &nd, err))
        return -1;
    int64_t start = q->start_ms;
    if (after_rid && pred_rid_time_ms(after_rid) > start)
        start = pred_rid_time_ms(after_rid);
    /* the model filter: "name/version" */
    char *mname = NULL;
    int64_t mversion = 0;
    if (q->model) {
        const char *slash = strrchr(q->model, '/');
        mname = xstrndup(q->model, (size_t)(slash - q->model));
        mversion = strtoll(slash + 1, NULL, 10);
    }
    struct sbuf sql = SBUF_INIT;
    sbuf_addstr(&sql, "SELECT r.rid, r.row, r.nrows, r.target, r.caller_id, r.tags, "
                      "r.latency_us, r.status, r.inputs, r.outputs, r.label, r.label_ms "
                      "FROM rows r JOIN targets t ON t.id = r.target "
                      "WHERE r.rid >= ?1 AND r.rid < ?2");
    if (after_rid)
        sbuf_addstr(&sql, " AND (r.rid > ?3 OR (r.rid = ?3 AND r.row * 2 + r.shadow > ?4))");
    if (q->model)
        sbuf_addstr(&sql, " AND t.model = ?5 AND t.version = ?6");
    if (q->labeled >= 0)
        sbuf_addstr(&sql, q->labeled ? " AND r.label IS NOT NULL" : " AND r.label IS NULL");
    if (q->shadow >= 0)
        sbuf_addstr(&sql, q->shadow ? " AND t.shadow = 1" : " AND t.shadow = 0");
    if (q->status == 1)
        sbuf_addstr(&sql, " AND r.status BETWEEN 200 AND 299");
    else if (q->status == 2)
        sbuf_addstr(&sql, " AND r.status NOT BETWEEN 200 AND 299");
    sbuf_addstr(&sql, " ORDER BY r.rid, r.row, r.shadow LIMIT ?7");
    int rc = 0;
    size_t alloc = out->alloc;
    for (size_t k = 0; k < nd && !rc && out->n < limit; k++) {
        if (!in_range(days[k], start, q->end_ms))
            continue;
        int absent;
        struct plog_part *p = part_get(pl, q->deployment, days[k], 0, &absent, err);
        if (!p) {
            rc = absent ? 0 : -1;
            continue;
        }
        sqlite3_stmt *st = NULL;
        if (targets_load(p, err)) {
            rc = -1;
        } else if (sqlite3_prepare_v2(p->db, sql.buf, (int)sql.len, &st, NULL) != SQLITE_OK) {
            sqlite3_finalize(st);
            rc = part_fail(p->db, "preparing a search", err);
        }
        if (rc) {
            part_put(pl, p);
            break;
        }
        unsigned char lo[16], hi[16];
        day_bounds(days[k], start, q->end_ms, lo, hi);
        sqlite3_bind_blob(st, 1, lo, 16, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, hi, 16, SQLITE_STATIC);
        if (after_rid) {
            sqlite3_bind_blob(st, 3, after_rid, 16, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, after_pos);
        }
        if (mname) {
            sqlite3_bind_text(st, 5, mname, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 6, mversion);
        }
        sqlite3_bind_int64(st, 7, (int64_t)(limit - out->n));
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            struct pred_row r;
            if (row_borrow(p, st, &r))
                continue;
            ALLOC_GROW(out->v, out->n + 1, alloc);
            out->alloc = alloc;
            row_own(&r, &out->v[out->n++]);
        }
        if (step != SQLITE_DONE)
            rc = part_fail(p->db, "searching rows", err);
        sqlite3_finalize(st);
        part_put(pl, p);
    }
    sbuf_release(&sql);
    free(mname);
    free(days);
    if (rc)
        pred_row_list_release(out);
    return rc;
}

static int load_history(struct plog_part *p, const unsigned char *rid, uint32_t row,
                        struct label_change_list *h, struct ferr *err)
{
    sqlite3_stmt *st = stmt(p, ST_HISTORY);
    sqlite3_bind_blob(st, 1, rid, PRED_RID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, row);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ALLOC_GROW(h->v, h->n + 1, h->alloc);
        struct label_change *c = &h->v[h->n++];
        c->label = sq_col_str(st, 0);
        c->previous = sq_col_str_or_null(st, 1);
        c->user_id = sq_col_str(st, 2);
        c->time_ms = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : part_fail(p->db, "reading label history", err);
}

/* Row (rid, row) of p into out (owned); *found. */
static int get_in(struct plog_part *p, const unsigned char *rid, uint32_t row, struct pred_row *out,
                  struct label_change_list *history, int *found, struct ferr *err)
{
    *found = 0;
    if (targets_load(p, err))
        return -1;
    sqlite3_stmt *st = stmt(p, ST_GET_ROW);
    sqlite3_bind_blob(st, 1, rid, PRED_RID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, row);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        struct pred_row r;
        if (!row_borrow(p, st, &r)) {
            row_own(&r, out);
            *found = 1;
        }
        rc = SQLITE_DONE;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return part_fail(p->db, "reading a row", err);
    if (*found && history && load_history(p, rid, row, history, err)) {
        pred_row_release(out);
        *found = 0;
        return -1;
    }
    return 0;
}

static int sq_pred_get(struct store *s, const char *deployment, const unsigned char *rid,
                       uint32_t row, const char *caller_id, struct pred_row *out,
                       struct label_change_list *history, struct ferr *err)
{
    struct sq_plog *pl = plog_of(s);
    char **deps = NULL;
    size_t ndeps = 0;
    if (deployment) {
        deps = xcalloc(1, sizeof(*deps));
        deps[0] = xstrdup(deployment);
        ndeps = 1;
    } else if (sq_pred_deployments(s, &deps, &ndeps, err)) {
        return -1;
    }
    int rc = 0, found = 0;
    for (size_t d = 0; d < ndeps && !rc && !found; d++) {
        if (rid) {
            int absent;
            struct plog_part *p =
                part_get(pl, deps[d], day_of(pred_rid_time_ms(rid)), 0, &absent, err);
            if (!p) {
                rc = absent ? 0 : -1;
                continue;
            }
            rc = get_in(p, rid, row, out, history, &found, err);
            part_put(pl, p);
            continue;
        }
        int64_t *days;
        size_t nd;
        if (list_days(pl, deps[d], &days, &nd, err)) {
            rc = -1;
            break;
        }
        for (size_t k = nd; k-- > 0 && !rc && !found;) {
            int absent;
            struct plog_part *p = part_get(pl, deps[d], days[k], 0, &absent, err);
            if (!p) {
                rc = absent ? 0 : -1;
                continue;
            }
            unsigned char crid[PRED_RID_BYTES];
            rc = find_caller(p, caller_id, row, crid, &found, err);
            if (!rc && found)
                rc = get_in(p, crid, row, out, history, &found, err);
            part_put(pl, p);
        }
        free(days);
    }
    names_free(deps, ndeps);
    if (!rc && !found) {
        char id[37] = "";
        if (!caller_id)
            pred_rid_text(rid, id);
        rc = ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "no logged prediction '%.100s'",
                      caller_id ? caller_id : id);
    }
    return rc;
}

/* ---------- aggregates ---------- */

static int sq_pred_dirty(struct store *s, const char *deployment, int64_t start_ms, int64_t end_ms,
                         struct pred_dirty_hour **out, size_t *n, struct ferr *err)
{
    struct sq_plog *pl = plog_of(s);
    *out = NULL;
    *n = 0;
    size_t alloc = 0;
    int64_t *days;
    size_t nd;
    if (list_days(pl, deployment, &days, &nd, err))
        return -1;
    int rc = 0;
    for (size_t k = 0; k < nd && !rc; k++) {
        if (!in_range(days[k], start_ms, end_ms))
            continue;
        int absent;
        struct plog_part *p = part_get(pl, deployment, days[k], 0, &absent, err);
        if (!p) {
            rc = absent ? 0 : -1;
            continue;
        }
        int64_t a = days[k] * DAY_MS, b = a + DAY_MS;
        /* an hour starting before start_ms still counts when it overlaps */
        if (start_ms > a)
            a = start_ms - start_ms % HOUR_MS;
        if (end_ms && end_ms < b)
            b = end_ms;
        sqlite3_stmt *st = stmt(p, ST_DIRTY_LIST);
        sqlite3_bind_int64(st, 1, a);
        sqlite3_bind_int64(st, 2, b);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            ALLOC_GROW(*out, *n + 1, alloc);
            (*out)[*n].hour_ms = sqlite3_column_int64(st, 0);
            (*out)[(*n)++].gen = sqlite3_column_int64(st, 1);
        }
        if (step != SQLITE_DONE)
            rc = part_fail(p->db, "listing dirty hours", err);
        sqlite3_reset(st);
        part_put(pl, p);
    }
    free(days);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static int sq_pred_hour_replace(struct store *s, const char *deployment,
                                const struct pred_dirty_hour *h, const struct pred_hour *rows,
                                size_t n, struct ferr *err)
{
    struct sq_plog *pl = plog_of(s);
    int absent;
    struct plog_part *p = part_get(pl, deployment, day_of(h->hour_ms), 0, &absent, err);
    if (!p)
        return absent ? 0 : -1;
    int rc = begin(p, err), stale = 0;
    if (!rc) {
        sqlite3_stmt *st = stmt(p, ST_GEN);
        sqlite3_bind_int64(st, 1, h->hour_ms);
        int step = sqlite3_step(st);
        int64_t gen = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
        sqlite3_reset(st);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = part_fail(p->db, "reading an hour's generation", err);
        else if (gen != h->gen)
            stale = 1; /* written again since (or refreshed by another): stays as it is */
    }
    if (!rc && !stale) {
        sqlite3_stmt *st = stmt(p, ST_HOUR_DEL);
        sqlite3_bind_int64(st, 1, h->hour_ms);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : part_fail(p->db, "clearing an hour", err);
        sqlite3_reset(st);
        for (size_t i = 0; i < n && !rc; i++) {
            int64_t tid;
            if (target_id(p, &rows[i].target, &tid, err)) {
                rc = -1;
                break;
            }
            st = stmt(p, ST_HOUR_ADD);
            sqlite3_bind_int64(st, 1, h->hour_ms);
            sqlite3_bind_int64(st, 2, tid);
            bind_text_or_empty(st, 3, rows[i].slice_key);
            bind_text_or_empty(st, 4, rows[i].slice_value);
            sqlite3_bind_int64(st, 5, rows[i].count);
            sqlite3_bind_int64(st, 6, rows[i].failed);
            sqlite3_bind_int64(st, 7, rows[i].labeled);
            bind_text_or_empty(st, 8, rows[i].latency);
            bind_text_or_empty(st, 9, rows[i].stats);
            rc = sqlite3_step(st) == SQLITE_DONE ? 0 : part_fail(p->db, "storing an hour", err);
            sqlite3_reset(st);
        }
        if (!rc) {
            st = stmt(p, ST_DIRTY_DEL);
            sqlite3_bind_int64(st, 1, h->hour_ms);
            rc = sqlite3_step(st) == SQLITE_DONE ? 0
                                                 : part_fail(p->db, "clearing a dirty mark", err);
            sqlite3_reset(st);
        }
    }
    if (!rc)
        rc = commit(p, err);
    if (rc)
        rollback(p);
    part_put(pl, p);
    return rc;
}

static int sq_pred_hours(struct store *s, const char *deployment, int64_t start_ms, int64_t end_ms,
                         struct pred_hour_list *out, struct ferr *err)
{
    struct sq_plog *pl = plog_of(s);
    memset(out, 0, sizeof(*out));
    int64_t *days;
    size_t nd;
    if (list_days(pl, deployment, &days, &nd, err))
        return -1;
    int rc = 0;
    for (size_t k = 0; k < nd && !rc; k++) {
        if (!in_range(days[k], start_ms, end_ms))
            continue;
        int absent;
        struct plog_part *p = part_get(pl, deployment, days[k], 0, &absent, err);
        if (!p) {
            rc = absent ? 0 : -1;
            continue;
        }
        if (targets_load(p, err)) {
            rc = -1;
            part_put(pl, p);
            break;
        }
        int64_t a = days[k] * DAY_MS, b = a + DAY_MS;
        if (start_ms > a)
            a = start_ms;
        if (end_ms && end_ms < b)
            b = end_ms;
        sqlite3_stmt *st = stmt(p, ST_HOURS);
        sqlite3_bind_int64(st, 1, a);
        sqlite3_bind_int64(st, 2, b);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            const struct pred_target *t = target_by_id(p, sqlite3_column_int64(st, 1));
            if (!t)
                continue;
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            struct pred_hour *ph = &out->v[out->n++];
            memset(ph, 0, sizeof(*ph));
            ph->hour_ms = sqlite3_column_int64(st, 0);
            pred_target_copy(t, &ph->target);
            ph->slice_key = sq_col_str(st, 2);
            ph->slice_value = sq_col_str(st, 3);
            ph->count = sqlite3_column_int64(st, 4);
            ph->failed = sqlite3_column_int64(st, 5);
            ph->labeled = sqlite3_column_int64(st, 6);
            ph->latency = sq_col_str(st, 7);
            ph->stats = sq_col_str(st, 8);
        }
        if (step != SQLITE_DONE)
            rc = part_fail(p->db, "reading hours", err);
        sqlite3_reset(st);
        part_put(pl, p);
    }
    free(days);
    if (rc)
        pred_hour_list_release(out);
    return rc;
}

/* ---------- retention ---------- */

static void unlink_quiet(const char *path, const char *suffix)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "%s%s", path, suffix);
    if (unlink(sb.buf) && errno != ENOENT)
        log_warn("cannot remove '%s': %s", sb.buf, strerror(errno));
    sbuf_release(&sb);
}

/* Closes the partition's handle once no one uses it, then unlinks it. */
static void drop_part(struct sq_plog *pl, const char *dep, int64_t day)
{
    pthread_mutex_lock(&pl->mu);
    for (;;) {
        struct plog_part **pp;
        for (pp = &pl->parts; *pp; pp = &(*pp)->next)
            if ((*pp)->day == day && !strcmp((*pp)->deployment, dep))
                break;
        if (!*pp)
            break;
        if ((*pp)->refs) {
            pthread_cond_wait(&pl->idle, &pl->mu);
            continue;
        }
        struct plog_part *p = *pp;
        *pp = p->next;
        pl->nopen--;
        part_close(p);
        break;
    }
    if (pl->dir) {
        struct sbuf path = SBUF_INIT;
        part_path(pl, dep, day, &path);
        unlink_quiet(path.buf, "-wal");
        unlink_quiet(path.buf, "-shm");
        unlink_quiet(path.buf, "");
        sbuf_release(&path);
    }
    pthread_mutex_unlock(&pl->mu);
}

static int sq_pred_drop_before(struct store *s, const char *deployment, int64_t before_ms,
                               int64_t *dropped, struct ferr *err)
{
    struct sq_plog *pl = plog_of(s);
    char **deps = NULL;
    size_t ndeps = 0;
    if (deployment) {
        deps = xcalloc(1, sizeof(*deps));
        deps[0] = xstrdup(deployment);
        ndeps = 1;
    } else if (sq_pred_deployments(s, &deps, &ndeps, err)) {
        return -1;
    }
    int rc = 0;
    for (size_t d = 0; d < ndeps && !rc; d++) {
        int64_t *days;
        size_t nd;
        if (list_days(pl, deps[d], &days, &nd, err)) {
            rc = -1;
            break;
        }
        size_t gone = 0;
        for (size_t k = 0; k < nd; k++) {
            if ((days[k] + 1) * DAY_MS > before_ms)
                continue;
            drop_part(pl, deps[d], days[k]);
            gone++;
            if (dropped)
                (*dropped)++;
        }
        if (pl->dir && gone == nd) { /* the deployment's last day went: its directory too */
            struct sbuf dir = SBUF_INIT;
            sbuf_addf(&dir, "%s/%s", pl->dir, deps[d]);
            (void)rmdir(dir.buf);
            sbuf_release(&dir);
        }
        free(days);
    }
    names_free(deps, ndeps);
    return rc;
}

const struct store_prediction_ops sqlite_predictions = {
    .put = sq_pred_put,
    .label = sq_pred_label,
    .search = sq_pred_search,
    .scan = sq_pred_scan,
    .get = sq_pred_get,
    .dirty = sq_pred_dirty,
    .hour_replace = sq_pred_hour_replace,
    .hours = sq_pred_hours,
    .drop_before = sq_pred_drop_before,
    .deployments = sq_pred_deployments,
};
