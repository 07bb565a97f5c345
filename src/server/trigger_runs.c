/* SPDX-License-Identifier: MIT */
#include "server/trigger_runs.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "store/auth.h"
#include "store/triggers.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

struct child {
    int64_t firing_id;
    char *trigger;
    char *experiment_id;
    struct launch x;
    int64_t term_ms; /* monotonic ms when TERM was sent; 0: not */
    int killed;      /* KILL sent */
    char *cancel;    /* being cancelled, with this detail; NULL: not */
};

struct trigger_runs {
    struct store *store;
    const struct launcher *launcher;
    char *holder;
    char *log_dir;
    char self[4096]; /* this ferry binary */
    struct child *v;
    size_t n, alloc;
};

static int64_t mono_ms(void)
{
    return ftime_mono_ns() / 1000000;
}

int trigger_runs_new(struct store *store, const struct launcher *launcher, const char *holder,
                     const char *log_dir, struct trigger_runs **out, struct ferr *err)
{
    struct trigger_runs *r = xcalloc(1, sizeof(*r));
    ssize_t n = readlink("/proc/self/exe", r->self, sizeof(r->self) - 1);
    if (n <= 0 || (size_t)n >= sizeof(r->self) - 1) {
        free(r);
        *out = NULL;
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot find the ferry binary: %s",
                        n < 0 ? strerror(errno) : "path too long");
    }
    r->self[n] = '\0';
    const char *tmp = getenv("TMPDIR");
    r->store = store;
    r->launcher = launcher;
    r->holder = xstrdup(holder);
    r->log_dir = xstrdup(log_dir ? log_dir : tmp && *tmp ? tmp : "/tmp");
    *out = r;
    return 0;
}

void trigger_runs_free(struct trigger_runs *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) { /* only after stop_all, which empties it */
        free(r->v[i].trigger);
        free(r->v[i].experiment_id);
        free(r->v[i].cancel);
        free(r->v[i].x.token_id);
    }
    free(r->v);
    free(r->holder);
    free(r->log_dir);
    free(r);
}

int64_t trigger_runs_going(struct trigger_runs *r, const char *trigger)
{
    for (size_t i = 0; i < r->n; i++)
        if (!r->v[i].cancel && !strcmp(r->v[i].trigger, trigger))
            return r->v[i].firing_id;
    return 0;
}

/* Records a firing's move; a refusal (the fence lost, the firing moved by
 * another) is logged: the firing is then someone else's. */
static void record(struct trigger_runs *r, int64_t id, const char *trigger, enum firing_state from,
                   enum firing_state to, const char *run_id, const char *detail)
{
    struct ferr err = FERR_INIT;
    if (store_trigger_firing_update(r->store, id, from, to, run_id, r->holder, detail, NULL, &err))
        log_warn("trigger '%s': firing %lld: cannot record it %s: %s", trigger, (long long)id,
                 firing_state_name(to), err.msg);
    else if (firing_state_final(to))
        log_info("trigger '%s': firing %lld %s%s%s", trigger, (long long)id, firing_state_name(to),
                 detail && *detail ? ": " : "", detail ? detail : "");
}

void trigger_runs_end_queued(struct trigger_runs *r, const struct trigger_firing *f,
                             enum firing_state st, const char *detail)
{
    record(r, f->id, f->trigger, FIRING_QUEUED, st, NULL, detail);
}

/* The experiment the run logs to (launch needs its id): looked up by name,
 * created when absent, as experiments/create would for who (with
 * authentication on: who gets MANAGE on it, as its creator). */
static int experiment_id(struct trigger_runs *r, const char *name, const char *who, char **id,
                         struct ferr *err)
{
    struct experiment e;
    struct ferr why = FERR_INIT;
    memset(&e, 0, sizeof(e));
    if (!store_get_experiment_by_name(r->store, name, &e, &why)) {
        *id = xstrdup(e.experiment_id);
        experiment_release(&e);
        return 0;
    }
    if (why.code != FERR_RESOURCE_DOES_NOT_EXIST) {
        *err = why;
        return -1;
    }
    if (store_create_experiment(r->store, name, NULL, NULL, id, err))
        return -1;
    if (r->launcher->guard && who &&
        store_create_permission(r->store, RES_EXPERIMENT, *id, who, PERM_MANAGE, NULL, &why))
        log_warn("could not give %s MANAGE on experiment %s: %s", who, *id, why.msg);
    return 0;
}

/* The user the firing runs as (NULL with authentication off). */
static int principal_of(struct trigger_runs *r, const char *username, struct principal *who,
                        struct ferr *err)
{
    struct user u;
    struct ferr why = FERR_INIT;
    memset(&u, 0, sizeof(u));
    if (store_get_user(r->store, username, &u, &why))
        return ferr_set(err, FERR_PERMISSION_DENIED,
                        "the trigger's user '%.200s' cannot be found: %s", username, why.msg);
    who->user_id = u.id;
    who->username = xstrdup(u.username);
    who->is_admin = u.is_admin;
    user_release(&u);
    return 0;
}

/* The argv of `ferry pipelines run` for f (strings owned by *keep). */
static const char **command(struct trigger_runs *r, const struct trigger_firing *f,
                            const struct trigger_spec *t, const char *experiment, char ***keep,
                            size_t *nkeep)
{
    json_t *params = json_loads(f->params ? f->params : "{}", 0, NULL);
    size_t np = json_is_object(params) ? json_object_size(params) : 0, n = 0;
    const char **argv = xcalloc(16 + 2 * np, sizeof(*argv));
    *keep = xcalloc(np + 1, sizeof(**keep));
    *nkeep = 0;
    argv[n++] = r->self;
    argv[n++] = "pipelines";
    argv[n++] = "run";
    if (t->pipeline_version) {
        argv[n++] = "--version";
        argv[n++] = t->pipeline_version;
    }
    if (t->pipeline_name) {
        argv[n++] = "--pipeline";
        argv[n++] = t->pipeline_name;
    }
    argv[n++] = "--experiment-name";
    argv[n++] = experiment;
    const char *k;
    json_t *v;
    if (np)
        json_object_foreach(params, k, v)
        {
            struct sbuf kv = SBUF_INIT;
            sbuf_addf(&kv, "%s=%s", k, json_is_string(v) ? json_string_value(v) : "");
            argv[n++] = "-P";
            argv[n++] = (*keep)[(*nkeep)++] = sbuf_detach(&kv, NULL);
        }
    argv[n++] = "--";
    argv[n++] = t->pipeline_uri;
    argv[n] = NULL;
    json_decref(params);
    return argv;
}

void trigger_runs_start(struct trigger_runs *r, const struct trigger_firing *f,
                        const struct trigger_spec *t)
{
    struct ferr err = FERR_INIT;
    struct principal who;
    char *exp_id = NULL, **keep = NULL;
    size_t nkeep = 0;
    int fd = -1;
    const char **argv = NULL;
    const char *exp_name = trigger_spec_experiment(t);
    memset(&who, 0, sizeof(who));
    if (!r->launcher->enabled) {
        record(r, f->id, f->trigger, FIRING_QUEUED, FIRING_REFUSED, NULL,
               "the server runs no processes (--no-execute)");
        return;
    }
    if (r->launcher->guard && principal_of(r, f->user_id, &who, &err)) {
        record(r, f->id, f->trigger, FIRING_QUEUED, FIRING_REFUSED, NULL, err.msg);
        return;
    }
    /* running first: a crash from here on leaves it to be abandoned, never rerun */
    struct ferr why = FERR_INIT;
    if (store_trigger_firing_update(r->store, f->id, FIRING_QUEUED, FIRING_RUNNING, NULL, r->holder,
                                    NULL, NULL, &why)) {
        log_warn("trigger '%s': firing %lld not started: %s", f->trigger, (long long)f->id,
                 why.msg);
        principal_release(&who);
        return;
    }
    if (experiment_id(r, exp_name, who.username, &exp_id, &err))
        goto failed;
    {
        struct sbuf path = SBUF_INIT;
        sbuf_addf(&path, "%s/ferry-trigger-%s-%" PRId64 ".log", r->log_dir, r->holder, f->id);
        fd = open(path.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            ferr_set(&err, FERR_INTERNAL_ERROR, "cannot open the log %.300s: %s", path.buf,
                     strerror(errno));
        sbuf_release(&path);
        if (fd < 0)
            goto failed;
    }
    argv = command(r, f, t, exp_name, &keep, &nkeep);
    char e_trigger[TRIGGER_NAME_MAX + 32], e_firing[64];
    snprintf(e_trigger, sizeof(e_trigger), "FERRY_TRIGGER=%s", f->trigger);
    snprintf(e_firing, sizeof(e_firing), "FERRY_TRIGGER_FIRING=%" PRId64, f->id);
    const char *env[] = {e_trigger, e_firing, NULL};
    struct launch_spec ls = {argv, NULL, exp_id, env, fd, 0};
    struct launch x;
    memset(&x, 0, sizeof(x));
    if (launch_start(r->launcher, r->launcher->guard ? &who : NULL, &ls, &x, &err))
        goto failed;
    if (r->n == r->alloc) {
        r->alloc = r->alloc ? 2 * r->alloc : 4;
        r->v = xrealloc(r->v, r->alloc * sizeof(*r->v));
    }
    r->v[r->n++] = (struct child){f->id, xstrdup(f->trigger), exp_id, x, 0, 0, NULL};
    exp_id = NULL;
    log_info("trigger '%s': firing %lld running (process %d)", f->trigger, (long long)f->id,
             (int)x.pid);
    goto out;
failed:
    record(r, f->id, f->trigger, FIRING_RUNNING,
           err.code == FERR_PERMISSION_DENIED || err.code == FERR_UNAUTHENTICATED ? FIRING_REFUSED
                                                                                  : FIRING_FAILED,
           NULL, err.msg);
out:
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; i < nkeep; i++)
        free(keep[i]);
    free(keep);
    free(argv);
    free(exp_id);
    principal_release(&who);
}

void trigger_runs_cancel(struct trigger_runs *r, int64_t firing_id, const char *detail)
{
    for (size_t i = 0; i < r->n; i++) {
        struct child *c = &r->v[i];
        if (c->firing_id != firing_id || c->cancel)
            continue;
        c->cancel = xstrdup(detail);
        c->term_ms = mono_ms();
        if (kill(c->x.pid, SIGTERM) < 0 && errno != ESRCH)
            log_warn("trigger '%s': firing %lld: cannot stop process %d: %s", c->trigger,
                     (long long)firing_id, (int)c->x.pid, strerror(errno));
    }
}

/* The pipeline run the firing's process made: the run tagged with its
 * firing id (pipelines/engine.c); "" when none is found. */
static char *find_run(struct trigger_runs *r, const struct child *c)
{
    char filter[128];
    const char *ids[] = {c->experiment_id};
    snprintf(filter, sizeof(filter), "tags.`ferry.trigger.firingId` = '%" PRId64 "'", c->firing_id);
    struct run_search q = {ids, 1, filter, VIEW_ALL, 10, NULL, 0, NULL};
    struct run_list l;
    struct ferr err = FERR_INIT;
    char *id = NULL;
    memset(&l, 0, sizeof(l));
    if (store_search_runs(r->store, &q, &l, &err))
        log_warn("trigger '%s': firing %lld: finding its run: %s", c->trigger,
                 (long long)c->firing_id, err.msg);
    for (size_t i = 0; i < l.n && !id; i++)
        if (!kv_list_get(&l.v[i].tags, "ferry.pipeline.runId")) /* not a step's */
            id = xstrdup(l.v[i].info.run_id);
    run_list_release(&l);
    return id ? id : xstrdup("");
}

/* Records child i's end (status: waitpid's) and drops it. */
static void ended(struct trigger_runs *r, size_t i, int status)
{
    struct child *c = &r->v[i];
    char detail[300];
    enum firing_state st;
    if (c->cancel) {
        st = FIRING_CANCELLED;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        st = FIRING_SUCCEEDED;
        detail[0] = '\0';
    } else {
        st = FIRING_FAILED;
        if (WIFEXITED(status) && (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127))
            snprintf(detail, sizeof(detail),
                     "exit %d: ferry could not be started for the run (is its binary, and every "
                     "directory above it, executable by the user runs start as? the run's log "
                     "in %.120s says)",
                     WEXITSTATUS(status), r->log_dir);
        else if (WIFEXITED(status))
            snprintf(detail, sizeof(detail), "exit %d", WEXITSTATUS(status));
        else
            snprintf(detail, sizeof(detail), "killed by signal %d",
                     WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    char *run_id = find_run(r, c);
    record(r, c->firing_id, c->trigger, FIRING_RUNNING, st, run_id, c->cancel ? c->cancel : detail);
    free(run_id);
    free(c->trigger);
    free(c->experiment_id);
    free(c->cancel);
    r->v[i] = r->v[--r->n];
}

/* 1 when child i's process ended (and is then reaped and recorded). */
static int reap(struct trigger_runs *r, size_t i)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    /* look without reaping: launch_wait reaps it and revokes its token */
    int w = waitid(P_PID, (id_t)r->v[i].x.pid, &si, WEXITED | WNOHANG | WNOWAIT);
    if ((w == 0 && si.si_pid == 0) || (w < 0 && errno == EINTR))
        return 0; /* still going */
    int status = 0;
    struct ferr err = FERR_INIT;
    if (launch_wait(r->launcher, &r->v[i].x, &status, &err)) {
        log_warn("trigger '%s': firing %lld: %s", r->v[i].trigger, (long long)r->v[i].firing_id,
                 err.msg);
        status = 1 << 8; /* exit 1: its end is unknown */
    }
    ended(r, i, status);
    return 1;
}

void trigger_runs_poll(struct trigger_runs *r)
{
    int64_t now = mono_ms();
    for (size_t i = 0; i < r->n;) {
        if (reap(r, i))
            continue; /* i now holds another child */
        struct child *c = &r->v[i];
        if (c->term_ms && !c->killed && now - c->term_ms >= TRIGGER_KILL_AFTER_MS) {
            c->killed = 1;
            (void)kill(c->x.pid, SIGKILL);
        }
        i++;
    }
}

void trigger_runs_stop_all(struct trigger_runs *r, const char *detail)
{
    for (size_t i = 0; i < r->n; i++)
        if (!r->v[i].cancel) {
            int64_t id = r->v[i].firing_id;
            trigger_runs_cancel(r, id, detail);
        }
    /* bounded: TERM's grace, then KILL, which no process survives */
    for (int round = 0; r->n && round < (TRIGGER_KILL_AFTER_MS + 5000) / 20; round++) {
        trigger_runs_poll(r);
        if (r->n) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (r->n)
        log_warn("triggers: %zu processes did not end", r->n);
}
