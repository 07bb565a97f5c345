/* SPDX-License-Identifier: MIT
 * The PostgreSQL backend: URIs (and keeping their passwords out of every
 * message), opening a database (schema, the Default experiment), the
 * backend's own ops. Connections and the write path live in pg_conn.c; the
 * areas in pg_<area>.c, each exporting its ops table. */
#include "store/postgres/postgres.h"
#include "store/postgres/pg_int.h"
#include "store/postgres/schema.h"
#include "store/deployments.h"
#include "store/monitors.h"
#include "store/datasets.h"
#include "store/lineage.h"
#include "store/triggers.h"
#include "store/webhooks.h"
#include "store/uri.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* The length of uri's scheme prefix ("postgresql://" ...), 0 when it is not one. */
static size_t scheme_len(const char *uri)
{
    static const char *const schemes[] = {"postgresql://", "postgres://"};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++)
        if (!strncmp(uri, schemes[i], strlen(schemes[i])))
            return strlen(schemes[i]);
    if (!strncmp(uri, "postgresql+", 11)) { /* MLflow's SQLAlchemy form: postgresql+psycopg2:// */
        const char *sep = strstr(uri, "://");
        const char *p = uri + 11;
        while (p < sep && (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            p++;
        if (sep && p == sep)
            return (size_t)(sep + 3 - uri);
    }
    return 0;
}

int store_uri_is_postgres(const char *uri)
{
    return uri && scheme_len(uri) > 0;
}

char *store_postgres_conninfo(const char *uri)
{
    if (strncmp(uri, "postgresql+", 11))
        return xstrdup(uri);
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, "postgresql://");
    sbuf_addstr(&sb, strstr(uri, "://") + 3);
    return sbuf_detach(&sb, NULL);
}

static void pg_close(struct store *s)
{
    pg_free((struct pg *)s);
}

/* One round trip on a reader: the database is up and takes connections. */
static int pg_ping(struct store *s, struct ferr *err)
{
    static const char sql[] = "SELECT 1";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    int rc = pg_do(c, sql, NULL, "checking the database", err);
    pg_reader_put(pg, c);
    return rc;
}

static int pg_backend_schema_version(struct store *s)
{
    (void)s;
    return pg_schema_version();
}

static const struct store_backend_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .schema_version = pg_backend_schema_version,
    .ping = pg_ping,
};

/* Experiment 0 "Default" exists in every store, as in MLflow. */
static int ensure_default(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)arg;
    static const char sql[] =
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
        "creation_time, last_update_time) VALUES (0, 'Default', $1, 'active', $2, $2) "
        "ON CONFLICT DO NOTHING";
    struct sbuf loc = SBUF_INIT;
    struct pg_args a = PG_ARGS_INIT;
    sbuf_addf(&loc, "%s/0", pg->base.default_artifact_root);
    pg_args_text(&a, loc.buf);
    pg_args_int(&a, ftime_now_ms());
    int rc = pg_do(c, sql, &a, "creating the default experiment", err);
    pg_args_release(&a);
    sbuf_release(&loc);
    return rc;
}

/* Every text ferry stores is UTF-8 (MLflow's API is JSON): a database in
 * another encoding would garble or refuse it. */
static int check_encoding(struct pg_conn *c, struct ferr *err)
{
    PGresult *r = pg_run_text(c, "SHOW server_encoding", NULL, "reading the encoding", err);
    if (!r)
        return -1;
    int ok = !strcmp(pg_get_ref(r, 0, 0), "UTF8");
    if (!ok)
        ferr_set(err, FERR_INVALID_STATE,
                 "the database's encoding is %s; ferry needs UTF8 (CREATE DATABASE ... "
                 "ENCODING 'UTF8')",
                 pg_get_ref(r, 0, 0));
    PQclear(r);
    return ok ? 0 : -1;
}

static struct pg *pg_new(const char *uri, const struct store_opts *opts)
{
    struct pg *pg = xcalloc(1, sizeof(*pg));
    pg->base.ops = &pg_ops;
    pg->conninfo = store_postgres_conninfo(uri);
    pg->shown = store_uri_redacted(uri);
    pg->group_commit = opts ? opts->group_commit : 0;
    pg->fence = pg_lease_fence;
    const char *pool = getenv("FERRY_PG_POOL");
    long n = pool ? strtol(pool, NULL, 10) : 0;
    pg->max_readers = n > 0 && n <= 1024 ? (int)n : 16;
    pthread_mutex_init(&pg->pool_mu, NULL);
    pthread_cond_init(&pg->pool_cond, NULL);
    pthread_mutex_init(&pg->write_mu, NULL);
    pthread_mutex_init(&pg->q_mu, NULL);
    pthread_cond_init(&pg->q_idle, NULL);
    return pg;
}

/* An area's table when its file implements it (a table whose first op is
 * set), else NULL: the front answers NOT_IMPLEMENTED. */
#define AREA(t, first) ((t).first ? &(t) : NULL)

int store_postgres_open(const char *uri, const struct store_opts *opts, struct store **out,
                        struct ferr *err)
{
    if (!store_uri_is_postgres(uri))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "not a PostgreSQL URI");
    struct pg *pg = pg_new(uri, opts);
    pg->base.tracking = AREA(pg_tracking, create_experiment);
    pg->base.metrics = AREA(pg_metrics, history);
    pg->base.registry = AREA(pg_registry, write);
    pg->base.logged_models = AREA(pg_logged_models, create);
    pg->base.traces = AREA(pg_traces, create);
    pg->base.gc = AREA(pg_gc, candidates);
    pg->base.import = AREA(pg_import, begin);
    pg->base.auth = AREA(pg_auth, create_user);
    pg->base.leases = AREA(pg_leases, change);
    pg->base.deployments = AREA(pg_deployments, change);
    pg->base.predictions = AREA(pg_predictions, put);
    pg->base.monitors = AREA(pg_monitors, change);
    pg->base.datasets = AREA(pg_datasets, list);
    pg->base.lineage = AREA(pg_lineage, query);
    pg->base.triggers = AREA(pg_triggers, apply);
    pg->base.webhooks = AREA(pg_webhooks, create);

    pg->writer = pg_conn_open(pg, err);
    if (!pg->writer || check_encoding(pg->writer, err) ||
        pg_migrate(pg->writer, 0, NULL, NULL, err))
        goto fail;
    const char *root = opts ? opts->default_artifact_root : NULL;
    if (root) {
        pg->base.default_artifact_root = xstrdup(root);
    } else { /* ./mlruns, as MLflow's server defaults to */
        char *cwd = realpath(".", NULL);
        struct sbuf sb = SBUF_INIT;
        sbuf_addf(&sb, "%s/mlruns", cwd ? cwd : ".");
        free(cwd);
        pg->base.default_artifact_root = sbuf_detach(&sb, NULL);
    }
    size_t rl = strlen(pg->base.default_artifact_root);
    while (rl > 1 && pg->base.default_artifact_root[rl - 1] == '/')
        pg->base.default_artifact_root[--rl] = '\0';
    if (pg_write(pg, ensure_default, NULL, err))
        goto fail;
    *out = &pg->base;
    return 0;
fail:
    pg_free(pg);
    return -1;
}

int store_postgres_upgrade(const char *uri, int to, int *from_out, int *to_out, struct ferr *err)
{
    if (!store_uri_is_postgres(uri))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "not a PostgreSQL URI");
    struct pg *pg = pg_new(uri, NULL);
    pg->writer = pg_conn_open(pg, err);
    int rc = !pg->writer || pg_migrate(pg->writer, to, from_out, to_out, err) ? -1 : 0;
    pg_free(pg);
    return rc;
}
