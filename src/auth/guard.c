/* SPDX-License-Identifier: MIT */
#include "auth/guard.h"
#include "api/datasets_ops.h"
#include "api/lineage_ops.h"
#include "api/registry_ops.h"
#include "api/tracking_ops.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/secret.h"
#include "base/xalloc.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define CACHE_SLOTS      1024
#define LIMIT_SLOTS      4096
#define LIMIT_PROBE      8
#define DEFAULT_CACHE_S  30
#define DEFAULT_FAILURES 10
#define WINDOW_NS        (60LL * 1000000000LL)
/* Password checks at once: each holds 32 MiB for scrypt, so a burst of new
 * (or wrong) credentials costs at most this many times that, and waits. */
#define KDF_SLOTS 2
/* Password checks waiting for a slot at most; more are told to come back. */
#define KDF_QUEUE 32

/* A verified credential: the HMAC of what was presented, and who it is. */
struct cred {
    unsigned char key[32];
    int64_t expires_ns;
    uint64_t generation;
    struct principal who;
};

/* A permission looked up: who, on what, and what it came to. */
struct decision {
    int64_t user_id;
    int kind; /* enum res_kind; -1: empty */
    char key[64];
    enum perm perm;
    int64_t expires_ns;
    uint64_t generation;
};

/* A run's experiment: runs never move, so it is kept until evicted. */
struct run_home {
    char run_id[33];
    int64_t experiment_id;
};

/* Failed logins of one client address in the current minute. */
struct failures {
    char addr[48];
    int64_t window_start_ns;
    int count;
};

struct guard {
    struct guard_opts o;
    struct store *store;
    struct secret_mac *mac; /* the cache's HMAC, under a key made at start, never stored */
    pthread_mutex_t mu;
    uint64_t generation;      /* bumped when users or tokens change: credentials start over */
    uint64_t perm_generation; /* bumped when permissions change: decisions start over */
    pthread_cond_t kdf_free;
    int kdf_running, kdf_waiting;
    struct cred cache[CACHE_SLOTS];
    struct decision decisions[CACHE_SLOTS];
    struct run_home runs[CACHE_SLOTS];
    struct failures limits[LIMIT_SLOTS];
};

int guard_new(const struct guard_opts *o, struct store *s, struct guard **out, struct ferr *err)
{
    if (!s)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "authentication needs a local backend store (sqlite:...); with "
                        "--backend-store-uri http(s)://... let the upstream server authenticate");
    struct guard *g = xcalloc(1, sizeof(*g));
    g->o = *o;
    if (!g->o.cache_seconds)
        g->o.cache_seconds = DEFAULT_CACHE_S;
    if (!g->o.max_failures)
        g->o.max_failures = DEFAULT_FAILURES;
    g->store = s;
    g->generation = 1;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->kdf_free, NULL);
    unsigned char key[32];
    if (secret_random(key, sizeof(key), err) || !(g->mac = secret_mac_new(key, err))) {
        OPENSSL_cleanse(key, sizeof(key));
        guard_free(g);
        return -1;
    }
    OPENSSL_cleanse(key, sizeof(key));
    *out = g;
    return 0;
}

void guard_free(struct guard *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        principal_release(&g->cache[i].who);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->kdf_free);
    secret_mac_free(g->mac);
    free(g);
}

static void principal_copy(struct principal *dst, const struct principal *src)
{
    *dst = *src;
    dst->username = xstrdup(src->username);
}

static void principal_free(void *p)
{
    principal_release(p);
    free(p);
}

/* ---------- the credential cache ---------- */

static int cache_key(struct guard *g, char kind, const char *a, const char *b,
                     unsigned char key[32])
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addch(&sb, kind);
    sbuf_add(&sb, a, strlen(a) + 1); /* with the NUL: "ab"+"c" is not "a"+"bc" */
    if (b)
        sbuf_add(&sb, b, strlen(b));
    int rc = secret_mac_compute(g->mac, sb.buf, sb.len, key);
    OPENSSL_cleanse(sb.buf, sb.len);
    sbuf_release(&sb);
    return rc;
}

static int cache_get(struct guard *g, const unsigned char key[32], struct principal *out)
{
    struct cred *c = &g->cache[(key[0] | (unsigned)key[1] << 8) % CACHE_SLOTS];
    int hit = 0;
    pthread_mutex_lock(&g->mu);
    if (c->who.username && c->generation == g->generation && c->expires_ns > ftime_mono_ns() &&
        secret_equal(c->key, key, 32)) {
        principal_copy(out, &c->who);
        hit = 1;
    }
    pthread_mutex_unlock(&g->mu);
    return hit;
}

static void cache_put(struct guard *g, const unsigned char key[32], const struct principal *who,
                      uint64_t generation)
{
    struct cred *c = &g->cache[(key[0] | (unsigned)key[1] << 8) % CACHE_SLOTS];
    pthread_mutex_lock(&g->mu);
    if (generation == g->generation) { /* nothing changed while the KDF ran */
        principal_release(&c->who);
        memcpy(c->key, key, 32);
        int64_t ttl_ns = (int64_t)g->o.cache_seconds * 1000000000LL;
        if (who->expires_ms) { /* a token is believed no longer than it lives */
            int64_t left_ns = (who->expires_ms - ftime_now_ms()) * 1000000LL;
            ttl_ns = left_ns < ttl_ns ? (left_ns > 0 ? left_ns : 0) : ttl_ns;
        }
        c->expires_ns = ftime_mono_ns() + ttl_ns;
        c->generation = generation;
        principal_copy(&c->who, who);
    }
    pthread_mutex_unlock(&g->mu);
}

/* credentials: also the decisions (a deleted user's id may come back) */
static void cache_forget(struct guard *g, int credentials)
{
    pthread_mutex_lock(&g->mu);
    if (credentials)
        g->generation++;
    g->perm_generation++;
    pthread_mutex_unlock(&g->mu);
}

/* ---------- failed logins ---------- */

/* What the limiter counts by: the client's address, or an IPv6 client's
 * /64 (one host usually holds a whole one). */
static void limit_key(const char *addr, char out[48])
{
    struct in6_addr a6;
    snprintf(out, 48, "%s", addr);
    if (strchr(addr, ':') && inet_pton(AF_INET6, addr, &a6) == 1) {
        memset(a6.s6_addr + 8, 0, 8);
        if (!inet_ntop(AF_INET6, &a6, out, 48))
            snprintf(out, 48, "%s", addr);
    }
}

/* key's slot, under g->mu: its own among LIMIT_PROBE candidates, else a
 * free or expired one, else the one whose window is oldest. A live slot of
 * another address is taken only when all are live, so alternating
 * addresses cannot wipe each other's counts. */
static struct failures *slot_for(struct guard *g, const char *key, int64_t now, int create)
{
    size_t h = 5381;
    struct failures *spare = NULL, *oldest = NULL;
    for (const char *p = key; *p; p++)
        h = h * 33 + (unsigned char)*p;
    for (size_t i = 0; i < LIMIT_PROBE; i++) {
        struct failures *f = &g->limits[(h + i) % LIMIT_SLOTS];
        if (!strcmp(f->addr, key))
            return f;
        if (!spare && (!f->addr[0] || now - f->window_start_ns >= WINDOW_NS))
            spare = f;
        if (!oldest || f->window_start_ns < oldest->window_start_ns)
            oldest = f;
    }
    if (!create)
        return NULL;
    struct failures *f = spare ? spare : oldest;
    snprintf(f->addr, sizeof(f->addr), "%s", key);
    f->window_start_ns = now;
    f->count = 0;
    return f;
}

/* Seconds until key may try again (0: now), checking only. */
static int blocked_for(struct guard *g, const char *key)
{
    int64_t now = ftime_mono_ns();
    int wait = 0;
    pthread_mutex_lock(&g->mu);
    struct failures *f = slot_for(g, key, now, 0);
    if (f && now - f->window_start_ns < WINDOW_NS && f->count >= g->o.max_failures)
        wait = (int)((WINDOW_NS - (now - f->window_start_ns)) / 1000000000LL) + 1;
    pthread_mutex_unlock(&g->mu);
    return wait;
}

/* Takes an attempt from key's allowance before the credential is checked
 * (so a burst of parallel guesses is counted as it arrives): 0, or the
 * seconds to wait when none is left. It counts as a failure until
 * forgiven. */
static int take_attempt(struct guard *g, const char *key)
{
    int64_t now = ftime_mono_ns();
    int wait = 0;
    pthread_mutex_lock(&g->mu);
    struct failures *f = slot_for(g, key, now, 1);
    if (now - f->window_start_ns >= WINDOW_NS) {
        f->window_start_ns = now;
        f->count = 0;
    }
    if (f->count >= g->o.max_failures)
        wait = (int)((WINDOW_NS - (now - f->window_start_ns)) / 1000000000LL) + 1;
    else
        f->count++;
    pthread_mutex_unlock(&g->mu);
    return wait;
}

static void forgive(struct guard *g, const char *key)
{
    pthread_mutex_lock(&g->mu);
    struct failures *f = slot_for(g, key, ftime_mono_ns(), 0);
    if (f && f->count > 0)
        f->count--;
    pthread_mutex_unlock(&g->mu);
}

static int too_many(struct http_request *rq, struct ferr *err, const char *addr, int wait)
{
    char retry[16];
    snprintf(retry, sizeof(retry), "%d", wait);
    http_add_header(rq, "Retry-After", retry);
    return ferr_set(err, FERR_REQUEST_LIMIT_EXCEEDED,
                    "too many failed logins from %s; try again in %d s", addr, wait);
}

/* ---------- authentication ---------- */

static int challenge(struct http_request *rq, struct ferr *err, const char *why)
{
    http_add_header(rq, "WWW-Authenticate", "Basic realm=\"ferry\", charset=\"UTF-8\"");
    return ferr_set(err, FERR_UNAUTHENTICATED,
                    "You are not authenticated%s%s. Send HTTP basic auth "
                    "(MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD) or an API token "
                    "(Authorization: Bearer, MLFLOW_TRACKING_TOKEN).",
                    why ? ": " : "", why ? why : "");
}

/* Checks the request's credential; *who filled on success. */
static int authenticate(struct guard *g, struct http_request *rq, struct principal *who,
                        struct ferr *err)
{
    const char *h = http_header(rq, "Authorization");
    char addr[48], key_addr[48];
    unsigned char key[32];
    if (!h || !*h)
        return challenge(rq, err, NULL);
    http_client_addr(rq, addr, sizeof(addr));
    limit_key(addr, key_addr);
    int wait = blocked_for(g, key_addr);
    if (wait)
        return too_many(rq, err, addr, wait);
    struct auth_header ah;
    auth_header_parse(h, &ah);
    if (ah.scheme != AUTH_BASIC && ah.scheme != AUTH_BEARER) {
        auth_header_release(&ah);
        return challenge(rq, err, "the Authorization header is neither Basic nor Bearer");
    }
    int bearer = ah.scheme == AUTH_BEARER;
    const char *token = ah.token, *password = ah.password;
    int keyed = !cache_key(g, bearer ? 't' : 'b', bearer ? token : ah.user.buf, password, key);
    int rc = 0;
    if (!keyed || !cache_get(g, key, who)) {
        uint64_t generation;
        if ((wait = take_attempt(g, key_addr)) != 0) {
            auth_header_release(&ah);
            return too_many(rq, err, addr, wait);
        }
        pthread_mutex_lock(&g->mu);
        generation = g->generation;
        pthread_mutex_unlock(&g->mu);
        if (bearer) {
            rc = store_authenticate_token(g->store, token, who, err);
        } else {
            pthread_mutex_lock(&g->mu);
            if (g->kdf_running >= KDF_SLOTS && g->kdf_waiting >= KDF_QUEUE) {
                pthread_mutex_unlock(&g->mu);
                auth_header_release(&ah);
                forgive(g, key_addr);
                http_add_header(rq, "Retry-After", "1");
                return ferr_set(err, FERR_REQUEST_LIMIT_EXCEEDED,
                                "too many logins are being checked; try again");
            }
            g->kdf_waiting++;
            while (g->kdf_running >= KDF_SLOTS)
                pthread_cond_wait(&g->kdf_free, &g->mu);
            g->kdf_waiting--;
            g->kdf_running++;
            pthread_mutex_unlock(&g->mu);
            /* many connections of one client arrive at once with the same
             * credential: the first to get a slot checks it for all */
            if (keyed && cache_get(g, key, who))
                keyed = 0; /* checked meanwhile: nothing to check or cache again */
            else
                rc = store_authenticate(g->store, ah.user.buf, password, who, err);
            pthread_mutex_lock(&g->mu);
            g->kdf_running--;
            pthread_cond_signal(&g->kdf_free);
            pthread_mutex_unlock(&g->mu);
        }
        if (!rc || err->code != FERR_UNAUTHENTICATED)
            forgive(g, key_addr); /* only a wrong credential counts */
        if (!rc && keyed)
            cache_put(g, key, who, generation);
    }
    auth_header_release(&ah);
    if (rc && err->code == FERR_UNAUTHENTICATED) {
        struct ferr why = *err;
        return challenge(rq, err, why.msg);
    }
    return rc;
}

/* ---------- authorization ---------- */

static enum perm needed(enum api_access a)
{
    switch (a) {
    case ACCESS_READ:
        return PERM_READ;
    case ACCESS_USE:
        return PERM_USE;
    case ACCESS_EDIT:
        return PERM_EDIT;
    default: /* DELETE, MANAGE */
        return PERM_MANAGE;
    }
}

static int denied(struct ferr *err)
{
    return ferr_set(err, FERR_PERMISSION_DENIED, "Permission denied");
}

static int acts_as_admin(const struct principal *who)
{
    return who->is_admin && (!who->by_token || who->scopes.admin);
}

static size_t slot_of(const char *s, int64_t salt)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)salt;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)(h % CACHE_SLOTS);
}

/* The permission given to the user on a resource, else the default: from
 * the decision cache (as long as a credential is believed, and dropped
 * when this server changes a permission), else the store. */
static int lookup_permission(struct guard *g, int64_t user_id, enum res_kind kind, const char *key,
                             enum perm *out, struct ferr *err)
{
    size_t keylen = strlen(key);
    struct decision *d = &g->decisions[slot_of(key, user_id * 2 + (int64_t)kind)];
    int64_t now = ftime_mono_ns();
    uint64_t generation;
    int found = 0;
    pthread_mutex_lock(&g->mu);
    generation = g->perm_generation;
    if (d->kind == (int)kind && d->user_id == user_id && d->expires_ns > now &&
        d->generation == generation && !strcmp(d->key, key)) {
        *out = d->perm;
        found = 1;
    }
    pthread_mutex_unlock(&g->mu);
    if (found)
        return 0;
    if (store_lookup_permission(g->store, kind, key, user_id, out, &found, err))
        return -1;
    if (!found)
        *out = g->o.default_perm;
    if (keylen >= sizeof(d->key))
        return 0;
    pthread_mutex_lock(&g->mu);
    if (generation == g->perm_generation) {
        d->user_id = user_id;
        d->kind = (int)kind;
        memcpy(d->key, key, keylen + 1);
        d->perm = *out;
        d->expires_ns = now + (int64_t)g->o.cache_seconds * 1000000000LL;
        d->generation = generation;
    }
    pthread_mutex_unlock(&g->mu);
    return 0;
}

/* who's permission on one resource, bounded by a token's scope. */
static int permission_on(struct guard *g, const struct principal *who, enum res_kind kind,
                         const char *key, enum perm *out, struct ferr *err)
{
    if (lookup_permission(g, who->user_id, kind, key, out, err))
        return -1;
    enum perm cap = who->by_token ? token_scopes_max(&who->scopes, kind, key) : PERM_MANAGE;
    if (cap < *out)
        *out = cap;
    return 0;
}

int guard_allows(struct guard *g, const struct principal *who, enum res_kind kind, const char *key,
                 enum perm need, struct ferr *err)
{
    enum perm have;
    if (acts_as_admin(who))
        return 0;
    if (permission_on(g, who, kind, key, &have, err))
        return -1;
    return have >= need ? 0 : denied(err);
}

static int check_target(struct guard *g, const struct principal *who, const struct api_op *op,
                        const struct api_target *t, struct ferr *err)
{
    enum api_access a = op->res.access;
    enum perm need = needed(a), have;
    if (a == ACCESS_PUBLIC || acts_as_admin(who))
        return 0;
    if (a == ACCESS_UNDECLARED || a == ACCESS_ADMIN)
        return denied(err);
    /* credentials are managed with a password or an unscoped token: a
     * scoped token (read-only, one experiment's) must not mint a broader one
     * or change its user's password */
    if (a == ACCESS_SELF) {
        if (who->by_token && !who->scopes.admin)
            return denied(err);
        return !t->username || !*t->username || !strcmp(t->username, who->username) ? 0
                                                                                    : denied(err);
    }
    switch (t->loc) {
    case LOC_NONE: /* global: reading (answers filtered) is anyone's; the rest an admin's */
        return a == ACCESS_READ || a == ACCESS_USE ? 0 : denied(err);
    case LOC_NEW_EXPERIMENT: /* also a trigger whose pipeline's experiment does not exist
                                yet (api/triggers_ops.h: triggers run a pipeline there) */
        return who->by_token && who->scopes.max[RES_EXPERIMENT] < PERM_EDIT ? denied(err) : 0;
    case LOC_NEW_MODEL:
        return who->by_token && who->scopes.max[RES_REGISTERED_MODEL] < PERM_EDIT ? denied(err) : 0;
    default:
        break;
    }
    /* the artifact service's root lists every experiment's directory */
    if (t->loc == LOC_ARTIFACT_PATH && !t->nexperiments)
        return denied(err);
    for (size_t i = 0; i < t->nexperiments; i++) {
        if (permission_on(g, who, RES_EXPERIMENT, t->experiment_ids[i], &have, err))
            return -1;
        if (have < need)
            return denied(err);
    }
    if (t->model_name) {
        if (permission_on(g, who, RES_REGISTERED_MODEL, t->model_name, &have, err))
            return -1;
        if (have < need)
            return denied(err);
    }
    return 0;
}

/* A run's experiment, from the cache of run homes or the store. */
static int run_home(struct guard *g, const char *run_id, struct api_target *t, struct ferr *err)
{
    struct run_home *h = &g->runs[slot_of(run_id, 0)];
    char id[24];
    int64_t exp = -1;
    size_t n = strlen(run_id);
    pthread_mutex_lock(&g->mu);
    if (!strcmp(h->run_id, run_id))
        exp = h->experiment_id;
    pthread_mutex_unlock(&g->mu);
    if (exp >= 0) {
        snprintf(id, sizeof(id), "%lld", (long long)exp);
        t->experiment_ids = xmalloc(sizeof(char *));
        t->experiment_ids[0] = xstrdup(id);
        t->nexperiments = 1;
        return 0;
    }
    char *found;
    if (store_run_experiment(g->store, run_id, &found, err))
        return -1;
    t->experiment_ids = xmalloc(sizeof(char *));
    t->experiment_ids[0] = found;
    t->nexperiments = 1;
    if (n < sizeof(h->run_id)) {
        pthread_mutex_lock(&g->mu);
        memcpy(h->run_id, run_id, n + 1);
        h->experiment_id = strtoll(found, NULL, 10);
        pthread_mutex_unlock(&g->mu);
    }
    return 0;
}

static int check_version_source(struct guard *g, const struct principal *who,
                                const struct api_op *op, const void *req, struct ferr *err)
{
    struct api_target t;
    enum perm have;
    int rc = 0;
    if (api_resolve_source(api_request_string(op, req, "source"),
                           api_request_string(op, req, "run_id"), g->store, &t, err))
        return -1;
    for (size_t i = 0; !rc && i < t.nexperiments; i++)
        if (!(rc = permission_on(g, who, RES_EXPERIMENT, t.experiment_ids[i], &have, err)) &&
            have < PERM_READ)
            rc = denied(err);
    if (!rc && t.model_name &&
        !(rc = permission_on(g, who, RES_REGISTERED_MODEL, t.model_name, &have, err)) &&
        have < PERM_READ)
        rc = denied(err);
    api_target_release(&t);
    return rc;
}

int guard_check_row(struct guard *g, const struct principal *who, const struct api_op *op,
                    const void *req, struct ferr *err)
{
    struct api_target t;
    const char *run_id;
    if (!g || op->res.access == ACCESS_PUBLIC || (who && acts_as_admin(who)))
        return 0;
    if (!who)
        return ferr_set(err, FERR_UNAUTHENTICATED, "You are not authenticated.");
    /* the hot rows (log-metric, log-batch, get) locate by a run id */
    if (op->res.loc == LOC_RUN_ID && (run_id = api_locator_string(op, req)) != NULL) {
        memset(&t, 0, sizeof(t));
        t.access = op->res.access;
        t.loc = op->res.loc;
        if (run_home(g, run_id, &t, err)) {
            api_target_release(&t);
            return -1;
        }
    } else if (api_resolve_target(op, req, g->store, &t, err)) {
        return -1;
    }
    int rc = check_target(g, who, op, &t, err);
    api_target_release(&t);
    /* a new version's files are served to whoever may read the model: its
     * source must be readable by its creator */
    if (!rc && !strcmp(op->name, "model-versions/create"))
        rc = check_version_source(g, who, op, req, err);
    return rc;
}

/* A streaming row's locator field, from its path or its query. */
static const char *locator_value(struct http_request *rq, const struct api_op *op)
{
    size_t len;
    const char *v;
    if (!op->res.field)
        return NULL;
    if ((v = http_param(rq, op->res.field)))
        return v;
    v = http_query(rq, op->res.field, &len);
    if (!v && !strcmp(op->res.field, "run_id")) /* MLflow's old name, as the rows take it */
        v = http_query(rq, "run_uuid", &len);
    return v;
}

int guard_authenticate(struct guard *g, struct http_request *rq, struct ferr *err)
{
    struct principal *who = xcalloc(1, sizeof(*who));
    if (authenticate(g, rq, who, err)) {
        free(who);
        return -1;
    }
    http_set_user(rq, who->username);
    http_set_principal(rq, who, principal_free);
    return 0;
}

int guard_admit(void *arg, struct http_request *rq, struct ferr *err)
{
    struct guard *g = arg;
    const struct api_op *op = http_route_of(rq)->arg;
    if (!g || op->res.access == ACCESS_PUBLIC)
        return 0;
    if (guard_authenticate(g, rq, err))
        return -1;
    const struct principal *who = http_principal(rq);
    if (!op->stream || acts_as_admin(who))
        return 0; /* JSON rows: checked once decoded (guard_check_row) */
    struct api_target t;
    if (api_resolve_value(op, locator_value(rq, op), g->store, &t, err))
        return -1;
    int rc = check_target(g, who, op, &t, err);
    api_target_release(&t);
    return rc;
}

const struct principal *guard_principal(const struct http_request *rq)
{
    return http_principal(rq);
}

/* ---------- what follows from an operation ---------- */

void guard_after_row(struct guard *g, const struct principal *who, const struct api_op *op,
                     const void *req, const void *resp)
{
    struct ferr err = FERR_INIT;
    struct api_target t;
    if (!g || !who)
        return;
    const char *name = op->name;
    if (op->call != HTTP_GET && (!strncmp(name, "users/", 6) || !strncmp(name, "tokens/", 7))) {
        cache_forget(g, 1); /* a password, an admin flag or a token changed */
        return;
    }
    if (op->call != HTTP_GET && strstr(name, "/permissions/")) {
        cache_forget(g, 0);
        return;
    }
    if (!strcmp(name, "registered-models/rename")) {
        const char *from = api_request_string(op, req, "name");
        const char *to = api_request_string(op, req, "new_name");
        cache_forget(g, 0);
        if (from && to && store_move_permissions(g->store, RES_REGISTERED_MODEL, from, to, &err))
            log_warn("could not move the permissions of registered model %s to %s: %s", from, to,
                     err.msg);
        return;
    }
    int create_exp = !strcmp(name, "experiments/create");
    int create_model = !strcmp(name, "registered-models/create");
    int delete_model = !strcmp(name, "registered-models/delete");
    if (!create_exp && !create_model && !delete_model)
        return;
    cache_forget(g, 0); /* permissions change below */
    if (create_exp) {
        const struct rs_experiment_id *r = resp;
        if (r->experiment_id && store_create_permission(g->store, RES_EXPERIMENT, r->experiment_id,
                                                        who->username, PERM_MANAGE, NULL, &err))
            log_warn("could not give %s MANAGE on experiment %s: %s", who->username,
                     r->experiment_id, err.msg);
        return;
    }
    if (api_resolve_target(op, req, g->store, &t, &err) || !t.model_name) {
        api_target_release(&t);
        return;
    }
    if (create_model && store_create_permission(g->store, RES_REGISTERED_MODEL, t.model_name,
                                                who->username, PERM_MANAGE, NULL, &err))
        log_warn("could not give %s MANAGE on registered model %s: %s", who->username, t.model_name,
                 err.msg);
    if (delete_model &&
        store_delete_permission(g->store, RES_REGISTERED_MODEL, t.model_name, NULL, &err))
        log_warn("could not delete the permissions on registered model %s: %s", t.model_name,
                 err.msg);
    api_target_release(&t);
}

static int may_read(struct guard *g, const struct principal *who, enum res_kind kind,
                    const char *key)
{
    struct ferr err = FERR_INIT;
    enum perm have;
    return !permission_on(g, who, kind, key, &have, &err) && have >= PERM_READ;
}

/* Whether a lineage node is the caller's to see: a run or a logged model
 * its experiment's readers', a model version its model's; an artifact
 * under runs:/<id>/ its run's (hidden_runs: run id -> hidden, filled with
 * the graph's runs and, for an artifact whose run is not among them, by
 * asking the store). */
static int lineage_node_visible(struct guard *g, const struct principal *who,
                                const struct lineage_node *n, json_t *hidden_runs)
{
    switch (n->kind) {
    case LINEAGE_NODE_EXECUTION:
    case LINEAGE_NODE_LOGGED_MODEL:
        if (!n->experiment_id || !*n->experiment_id)
            return 1; /* a run the store no longer has: nothing to show */
        return may_read(g, who, RES_EXPERIMENT, n->experiment_id);
    case LINEAGE_NODE_MODEL_VERSION:
        return may_read(g, who, RES_REGISTERED_MODEL, n->name);
    default:
        if (!strncmp(n->id, "runs:/", 6)) {
            char run[64];
            size_t len = strcspn(n->id + 6, "/");
            snprintf(run, sizeof(run), "%.*s", (int)(len < 63 ? len : 63), n->id + 6);
            json_t *known = json_object_get(hidden_runs, run);
            if (known)
                return !json_is_true(known);
            /* its run is not in the graph (depth, direction): asked once */
            char *exp = NULL;
            struct ferr err = FERR_INIT;
            int hide = !store_run_experiment(g->store, run, &exp, &err) &&
                       !may_read(g, who, RES_EXPERIMENT, exp);
            free(exp);
            json_object_set_new(hidden_runs, run, json_boolean(hide));
            return !hide;
        }
        return 1;
    }
}

/* The index of the node named id (index: id -> position), or -1. */
static long node_at(json_t *index, const char *id)
{
    json_t *v = id ? json_object_get(index, id) : NULL;
    return v ? (long)json_integer_value(v) : -1;
}

/* Keeps only what is still connected to the root: a node reached only
 * through hidden ones (a hidden run's local input file, its path and
 * digest) goes with them. Returns how many nodes went. */
static size_t keep_connected(struct lineage_graph *gr)
{
    size_t n = gr->nnodes, ne = gr->nedges, removed = 0;
    if (n <= 1)
        return 0;
    json_t *index = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(index, gr->nodes[i].id, json_integer((json_int_t)i));
    size_t *first = xcalloc(n + 1, sizeof(*first)), *adj = xcalloc(2 * ne + 1, sizeof(*adj));
    size_t *fill = xcalloc(n, sizeof(*fill)), *queue = xcalloc(n, sizeof(*queue));
    long *ends = xcalloc(2 * ne + 1, sizeof(*ends));
    unsigned char *seen = xcalloc(n, 1);
    for (size_t e = 0; e < ne; e++) {
        ends[2 * e] = node_at(index, gr->edges[e].source);
        ends[2 * e + 1] = node_at(index, gr->edges[e].target);
        if (ends[2 * e] >= 0 && ends[2 * e + 1] >= 0) {
            first[ends[2 * e] + 1]++;
            first[ends[2 * e + 1] + 1]++;
        }
    }
    for (size_t i = 0; i < n; i++)
        first[i + 1] += first[i];
    for (size_t e = 0; e < ne; e++) {
        long a = ends[2 * e], b = ends[2 * e + 1];
        if (a >= 0 && b >= 0) {
            adj[first[a] + fill[a]++] = (size_t)b;
            adj[first[b] + fill[b]++] = (size_t)a;
        }
    }
    size_t head = 0, tail = 0;
    seen[0] = 1;
    queue[tail++] = 0;
    while (head < tail) {
        size_t v = queue[head++];
        for (size_t k = first[v]; k < first[v + 1]; k++)
            if (!seen[adj[k]]) {
                seen[adj[k]] = 1;
                queue[tail++] = adj[k];
            }
    }
    size_t e = 0;
    for (size_t i = 0; i < ne; i++) {
        if ((ends[2 * i] >= 0 && !seen[ends[2 * i]]) ||
            (ends[2 * i + 1] >= 0 && !seen[ends[2 * i + 1]]))
            lineage_edge_release(&gr->edges[i]);
        else
            gr->edges[e++] = gr->edges[i];
    }
    gr->nedges = e;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (seen[i]) {
            gr->nodes[k++] = gr->nodes[i];
        } else {
            lineage_node_release(&gr->nodes[i]);
            removed++;
        }
    }
    gr->nnodes = k;
    json_decref(index);
    free(first);
    free(adj);
    free(fill);
    free(queue);
    free(ends);
    free(seen);
    return removed;
}

/* Drops the nodes the caller may not see, and the edges that touch them. */
static size_t filter_lineage_graph(struct guard *g, const struct principal *who,
                                   struct lineage_graph *gr)
{
    json_t *hidden = json_object(), *hidden_runs = json_object();
    size_t k = 0, was = gr->nnodes;
    /* runs first: artifacts under a hidden run go with it */
    for (size_t i = 0; i < gr->nnodes; i++) {
        const struct lineage_node *n = &gr->nodes[i];
        if (n->kind == LINEAGE_NODE_EXECUTION && n->run_id)
            json_object_set_new(hidden_runs, n->run_id,
                                json_boolean(!lineage_node_visible(g, who, n, hidden_runs)));
    }
    /* The root stays (asking named it), but a root the caller may not see
     * keeps only its id and kind, and nothing reached through it: its
     * state, experiment, outputs and neighbours are its readers' to see. */
    int root_hidden = gr->nnodes > 0 && !lineage_node_visible(g, who, &gr->nodes[0], hidden_runs);
    if (root_hidden) {
        struct lineage_node bare;
        memset(&bare, 0, sizeof(bare));
        bare.id = gr->nodes[0].id;
        bare.kind = gr->nodes[0].kind;
        gr->nodes[0].id = NULL;
        lineage_node_release(&gr->nodes[0]);
        gr->nodes[0] = bare;
    }
    for (size_t i = 0; i < gr->nnodes; i++) {
        if (i == 0 || (!root_hidden && lineage_node_visible(g, who, &gr->nodes[i], hidden_runs))) {
            gr->nodes[k++] = gr->nodes[i];
        } else {
            json_object_set_new(hidden, gr->nodes[i].id, json_true());
            lineage_node_release(&gr->nodes[i]);
        }
    }
    gr->nnodes = k;
    size_t e = 0;
    for (size_t i = 0; i < gr->nedges; i++) {
        if (root_hidden || json_object_get(hidden, gr->edges[i].source) ||
            json_object_get(hidden, gr->edges[i].target))
            lineage_edge_release(&gr->edges[i]);
        else
            gr->edges[e++] = gr->edges[i];
    }
    gr->nedges = e;
    json_decref(hidden);
    json_decref(hidden_runs);
    if (was != k) /* something went: what only it connected goes too */
        k -= keep_connected(gr);
    return was - k;
}

size_t guard_filter_answer(struct guard *g, const struct principal *who, const struct api_op *op,
                           void *resp)
{
    if (!g || !who || acts_as_admin(who))
        return 0;
    size_t k = 0, was = 0;
    if (op == &api_experiments_search) {
        struct experiment_list *l = resp;
        was = l->n;
        for (size_t i = 0; i < l->n; i++) {
            if (may_read(g, who, RES_EXPERIMENT, l->v[i].experiment_id))
                l->v[k++] = l->v[i];
            else
                experiment_release(&l->v[i]);
        }
        l->n = k;
    } else if (op == &api_registered_models_search) {
        struct registered_model_list *l = resp;
        was = l->n;
        for (size_t i = 0; i < l->n; i++) {
            if (may_read(g, who, RES_REGISTERED_MODEL, l->v[i].name))
                l->v[k++] = l->v[i];
            else
                registered_model_release(&l->v[i]);
        }
        l->n = k;
    } else if (op == &api_model_versions_search) {
        struct model_version_list *l = resp;
        was = l->n;
        for (size_t i = 0; i < l->n; i++) {
            if (may_read(g, who, RES_REGISTERED_MODEL, l->v[i].name))
                l->v[k++] = l->v[i];
            else
                model_version_release(&l->v[i]);
        }
        l->n = k;
    } else if (op == &api_datasets_runs) {
        /* A dataset version is anyone's to read; the runs that used it
         * are only their experiments' readers' to see. */
        json_t *runs = ((struct rs_dataset_runs *)resp)->runs.j;
        was = json_array_size(runs);
        for (size_t i = 0; i < json_array_size(runs);) {
            const char *exp =
                json_string_value(json_object_get(json_array_get(runs, i), "experiment_id"));
            if (exp && may_read(g, who, RES_EXPERIMENT, exp))
                i++;
            else
                json_array_remove(runs, i);
        }
        k = json_array_size(runs);
    } else if (op == &api_lineage_graph) {
        return filter_lineage_graph(g, who, resp);
    } else if (op == &api_lineage_cache_lookup) {
        /* a hit on a run the caller may not read is no hit: its run id,
         * outputs and digests are its readers', and the engine could not
         * download them anyway (nor should it trust another's outputs) */
        struct rs_lineage_cache *r = resp;
        char *exp = NULL;
        struct ferr err = FERR_INIT;
        if (r->execution && (store_run_experiment(g->store, r->execution->run_id, &exp, &err) ||
                             !may_read(g, who, RES_EXPERIMENT, exp))) {
            api_release_response(op, resp);
            memset(r, 0, sizeof(*r));
            was = 1;
        }
        free(exp);
    } else if (op == &api_lineage_executions_list) {
        /* a pipeline's executions: their runs' experiments' readers' */
        struct lineage_execution_list *l = resp;
        was = l->n;
        for (size_t i = 0; i < l->n; i++) {
            char *exp = NULL;
            struct ferr err = FERR_INIT;
            if (!store_run_experiment(g->store, l->v[i].run_id, &exp, &err) &&
                may_read(g, who, RES_EXPERIMENT, exp))
                l->v[k++] = l->v[i];
            else
                lineage_execution_release(&l->v[i]);
            free(exp);
        }
        l->n = k;
    }
    return was - k;
}
