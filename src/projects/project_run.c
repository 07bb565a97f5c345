/* SPDX-License-Identifier: MIT */
#include "projects/project_run.h"
#include "projects/env_manager.h"
#include "projects/mlproject.h"
#include "projects/run_setup.h"
#include "projects/source.h"
#include "client/client_artifacts.h"
#include "data/data_fetch.h"
#include "data/data_log.h"
#include "data/data_port.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/sigpipe.h"
#include "base/sbuf.h"
#include "base/version.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/banned.h"

/* What a rerun takes from the first run. */
static int load_rerun(struct client *c, struct project_run_opts *o, struct run *old,
                      struct ferr *err)
{
    if (client_get_run(c, o->rerun_of, old, err))
        return -1;
    const char *uri = kv_list_get(&old->tags, "mlflow.source.name");
    const char *type = kv_list_get(&old->tags, "mlflow.source.type");
    if (!uri || !type || strcmp(type, "PROJECT"))
        return ferr_set(
            err, FERR_INVALID_PARAMETER_VALUE,
            "run %.40s was not started by 'ferry run' or 'mlflow run': nothing to rerun",
            o->rerun_of);
    o->uri = uri;
    if (!o->entry)
        o->entry = kv_list_get(&old->tags, "mlflow.project.entryPoint");
    if (!o->version)
        o->version = kv_list_get(&old->tags, "mlflow.source.git.commit");
    if (!o->env_manager)
        o->env_manager = kv_list_get(&old->tags, "mlflow.project.env");
    if (!o->experiment_id && !o->experiment_name)
        o->experiment_id = old->info.experiment_id;
    for (size_t i = 0; i < old->params.n; i++)
        if (!kv_list_get(&o->params, old->params.v[i].key))
            kv_list_add(&o->params, old->params.v[i].key, old->params.v[i].value);
    return 0;
}

/* First line of a command's output ("" when it does not run). */
static void version_of(const char *prog, const char *flag, struct sbuf *out)
{
    char *argv[] = {(char *)prog, (char *)flag, NULL};
    struct sbuf text = SBUF_INIT;
    if (source_capture(argv, NULL, &text) == 0)
        sbuf_add(out, text.buf, strcspn(text.buf, "\n"));
    sbuf_release(&text);
}

/* The reproducibility record, project/run.json. */
static json_t *record(const struct project_run_opts *o, const struct project_source *src,
                      const char *entry, const char *cmd, const char *script, enum env_manager envm,
                      const struct kv_list *params)
{
    struct utsname u;
    struct sbuf cc = SBUF_INIT, py = SBUF_INIT, os = SBUF_INIT;
    json_t *p = json_object();
    for (size_t i = 0; i < params->n; i++)
        json_object_set_new(p, params->v[i].key, json_string(params->v[i].value));
    if (uname(&u) == 0)
        sbuf_addf(&os, "%s %s %s", u.sysname, u.release, u.machine);
    version_of("cc", "--version", &cc);
    version_of("python3", "--version", &py);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:{s:s?, s:s?, s:b}, s:{s:s, s:s, s:s, s:s}}", "uri",
        o->uri, "directory", src->dir.buf, "entry_point", entry, "parameters", p, "command", cmd,
        "script", script, "env_manager", env_manager_name(envm), "git", "commit",
        src->commit.len ? src->commit.buf : NULL, "repo", src->repo.len ? src->repo.buf : NULL,
        "dirty", src->diff.len > 0, "system", "os", os.buf, "compiler", cc.buf, "python", py.buf,
        "ferry", FERRY_VERSION_STRING);
    if (doc && o->version)
        json_object_set_new(doc, "version", json_string(o->version));
    if (doc && o->rerun_of)
        json_object_set_new(doc, "rerun_of", json_string(o->rerun_of));
    sbuf_release(&cc);
    sbuf_release(&py);
    sbuf_release(&os);
    return doc;
}

static void add_tag(struct kv_list *tags, const char *k, const char *v)
{
    if (v && *v)
        kv_list_add(tags, k, v);
}

/* Runs script under /bin/sh in dir, its output to our stdout and to log;
 * SIGINT/SIGTERM are forwarded to its process group. *status gets the wait
 * status, *forwarded the signal passed on (0 if none). */
static int supervise(const char *script, const char *dir, FILE *log, int *status, int *forwarded,
                     struct ferr *err)
{
    int out[2];
    *forwarded = 0;
    if (pipe(out) < 0)
        return ferr_set(err, FERR_INTERNAL_ERROR, "pipe: %s", strerror(errno));
    if (sigpipe_open(err)) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        sigpipe_close(); /* the child gets the handlers ferry had */
        if (dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0 || chdir(dir) < 0)
            _exit(127);
        close(out[0]);
        close(out[1]);
        execl("/bin/sh", "sh", "-c", script, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    int rc = 0;
    if (pid < 0) {
        rc = ferr_set(err, FERR_INTERNAL_ERROR, "fork: %s", strerror(errno));
    } else {
        setpgid(pid, pid); /* also here: no race with an early signal */
        struct pollfd p[2] = {{out[0], POLLIN, 0}, {sigpipe_fd(), POLLIN, 0}};
        char buf[16384];
        int open_out = 1;
        while (open_out) {
            if (poll(p, 2, -1) < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            if (p[1].revents & POLLIN) {
                int sig = sigpipe_take();
                if (sig) {
                    *forwarded = sig;
                    kill(-pid, sig);
                }
            }
            if (p[0].revents & (POLLIN | POLLHUP)) {
                ssize_t k = read(out[0], buf, sizeof(buf));
                if (k > 0) {
                    /* a closed terminal must not stop the run: errors ignored */
                    if (fwrite(buf, 1, (size_t)k, stdout) == (size_t)k)
                        (void)fflush(stdout);
                    if (fwrite(buf, 1, (size_t)k, log) != (size_t)k)
                        log_warn("cannot write the run's output log");
                } else if (k == 0 || errno != EINTR) {
                    open_out = 0;
                }
            }
        }
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
            ;
    }
    close(out[0]);
    sigpipe_close();
    return rc;
}

/* Logs one file of text as an artifact under project/. */
static void log_text(struct client *c, const char *run, const char *dir, const char *name,
                     const char *text, size_t n)
{
    struct sbuf path = SBUF_INIT;
    struct ferr err = FERR_INIT;
    sbuf_addf(&path, "%s/%s", dir, name);
    FILE *f = fopen(path.buf, "w");
    int bad = !f || fwrite(text, 1, n, f) != n;
    if (f && fclose(f) != 0) /* once: a failed fclose has closed it too */
        bad = 1;
    if (bad) {
        log_warn("cannot write %s", path.buf);
    } else if (client_log_artifacts(c, run, path.buf, "project", NULL, NULL, &err)) {
        log_warn("cannot log project/%s: %s", name, err.msg);
    }
    sbuf_release(&path);
}

/* The data: values of path parameters (issue 19): fetched into the data
 * cache before anything runs (the command gets the local path, the run
 * records the URI by version number), and logged as the run's dataset
 * inputs once it exists (context: the parameter's name). */
struct data_inputs {
    struct client *client;
    struct data_port *port; /* opened on the first data: value */
    int dry_run;            /* resolve only, fetch nothing */
    struct data_fetched *v;
    char **params;
    size_t n, alloc;
};

static int fetch_data(void *arg, const char *param, const char *uri, struct sbuf *local,
                      struct sbuf *record, struct ferr *err)
{
    struct data_inputs *d = arg;
    struct data_fetch_opts fo = {NULL, d->dry_run};
    struct data_fetched f = DATA_FETCHED_INIT;
    if (!d->port && data_port_open(client_uri(d->client), &d->port, err))
        return -1;
    if (data_fetch(d->port, uri, &fo, &f, err))
        return -1;
    sbuf_addstr(local, f.path);
    sbuf_addstr(record, f.pinned);
    if (d->n == d->alloc) {
        d->alloc = d->alloc ? 2 * d->alloc : 4;
        d->v = xrealloc(d->v, d->alloc * sizeof(*d->v));
        d->params = xrealloc(d->params, d->alloc * sizeof(*d->params));
    }
    d->params[d->n] = xstrdup(param);
    d->v[d->n++] = f;
    if (!d->dry_run)
        fprintf(stderr, "ferry run: %s = %s (%s, %s)\n", param, f.pinned, f.path,
                f.cached ? "cached" : "fetched");
    return 0;
}

static int log_data_inputs(const struct data_inputs *d, const char *run_id, struct ferr *err)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct data_fetched *f = &d->v[i];
        struct data_log_input in = {f->name, f->version, f->digest, f->profile, d->params[i]};
        if (data_log(d->client, run_id, &in, err))
            return -1;
    }
    return 0;
}

static void data_inputs_release(struct data_inputs *d)
{
    for (size_t i = 0; i < d->n; i++) {
        data_fetched_release(&d->v[i]);
        free(d->params[i]);
    }
    free(d->v);
    free(d->params);
    data_port_close(d->port);
}

int project_run(struct client *c, struct project_run_opts *o, struct ferr *err)
{
    struct run old, run;
    struct project_source src;
    struct mlproject proj;
    struct sbuf cmd = SBUF_INIT, script = SBUF_INIT, logpath = SBUF_INIT;
    struct kv_list resolved = {0}, tags = {0};
    char cwd[PATH_MAX], tmp[] = "/tmp/ferry-run-XXXXXX", *exp_id = NULL;
    struct data_inputs data;
    enum env_manager envm;
    /* until the run is created, a failure means bad input: nothing ran */
    int rc = 2, have_old = 0, have_src = 0, have_proj = 0, have_run = 0, made_tmp = 0;
    memset(&old, 0, sizeof(old));
    memset(&run, 0, sizeof(run));
    memset(&data, 0, sizeof(data));
    if (o->rerun_of) {
        if (load_rerun(c, o, &old, err))
            goto out;
        have_old = 1;
    }
    if (!o->entry)
        o->entry = "main";
    if (!getcwd(cwd, sizeof(cwd))) {
        ferr_set(err, FERR_IO_ERROR, "getcwd: %s", strerror(errno));
        goto out;
    }
    if (source_fetch(o->uri, o->version, &src, err))
        goto out;
    have_src = 1;
    if (mlproject_load(src.dir.buf, &proj, err))
        goto out;
    have_proj = 1;
    struct mlproject_data_hook hook = {fetch_data, &data};
    data.client = c;
    data.dry_run = o->dry_run;
    proj.data = &hook;
    /* Everything about the parameters is checked before anything runs. */
    struct sbuf tracking_dir = SBUF_INIT;
    run_setup_tracking_dir(c, &tracking_dir);
    if (mlproject_command(&proj, src.dir.buf, o->entry, &o->params, cwd, &cmd, &resolved, err) ||
        env_manager_pick(o->env_manager, &proj, &envm, err) ||
        env_manager_script(envm, &proj, src.dir.buf, cmd.buf,
                           tracking_dir.len ? tracking_dir.buf : NULL, !o->dry_run, &script, err)) {
        sbuf_release(&tracking_dir);
        goto out;
    }
    sbuf_release(&tracking_dir);
    if (o->dry_run) {
        printf("project:     %s\ndirectory:   %s\nentry point: %s\nenvironment: %s\n", o->uri,
               src.dir.buf, o->entry, env_manager_name(envm));
        for (size_t i = 0; i < resolved.n; i++)
            printf("parameter:   %s=%s\n", resolved.v[i].key, resolved.v[i].value);
        printf("command:     %s\nscript:\n%s\n", cmd.buf, script.buf);
        rc = 0;
        goto out;
    }
    rc = 1;
    if (run_setup_experiment(c, o->experiment_name, o->experiment_id, &exp_id, err))
        goto out;
    /* MLflow's project tags */
    run_setup_source_tags(&tags, o->uri, &src);
    add_tag(&tags, "mlflow.project.entryPoint", o->entry);
    add_tag(&tags, "mlflow.project.env", env_manager_name(envm));
    add_tag(&tags, "mlflow.project.backend", "local");
    add_tag(&tags, "ferry.project.rerunOf", o->rerun_of);
    add_tag(&tags, "ferry.project.version", o->version);
    struct run_create rcq = {exp_id, run_setup_user(), o->run_name, TIME_NONE, tags};
    if (client_create_run(c, &rcq, &run, err))
        goto out;
    have_run = 1;
    if (resolved.n && client_log_batch(c, run.info.run_id, NULL, &resolved, NULL, err))
        goto fail_run;
    if (log_data_inputs(&data, run.info.run_id, err))
        goto fail_run;
    if (!mkdtemp(tmp)) {
        ferr_set(err, FERR_IO_ERROR, "mkdtemp: %s", strerror(errno));
        goto fail_run;
    }
    made_tmp = 1;
    json_t *rec = record(o, &src, o->entry, cmd.buf, script.buf, envm, &resolved);
    char *rec_text = rec ? json_dumps(rec, JSON_INDENT(2)) : NULL;
    json_decref(rec);
    if (rec_text)
        log_text(c, run.info.run_id, tmp, "run.json", rec_text, strlen(rec_text));
    free(rec_text);
    if (src.diff.len)
        log_text(c, run.info.run_id, tmp, "git.diff", src.diff.buf, src.diff.len);
    /* the child's environment: the run, and where to log it */
    struct kv_list env = {0};
    run_setup_env(c, run.info.run_id, exp_id, &env);
    for (size_t i = 0; i < env.n; i++)
        setenv(env.v[i].key, env.v[i].value, 1);
    kv_list_release(&env);
    fprintf(stderr, "ferry run: run %s in experiment %s: %s\n", run.info.run_id, exp_id, cmd.buf);
    sbuf_addf(&logpath, "%s/output.log", tmp);
    FILE *log = fopen(logpath.buf, "w");
    if (!log) {
        ferr_set(err, FERR_IO_ERROR, "cannot write %s: %s", logpath.buf, strerror(errno));
        goto fail_run;
    }
    int status = 0, forwarded = 0;
    int srv = supervise(script.buf, src.dir.buf, log, &status, &forwarded, err);
    if (fclose(log) != 0)
        log_warn("cannot write the run's output log");
    struct ferr aerr = FERR_INIT;
    if (client_log_artifacts(c, run.info.run_id, logpath.buf, "project", NULL, NULL, &aerr))
        log_warn("cannot log the output: %s", aerr.msg);
    if (srv)
        goto fail_run;
    /* Our forwarded signal, or one from elsewhere: KILLED; a non-zero exit:
     * FAILED. The exit status says the same as a shell would. */
    enum run_status end = RUN_FINISHED;
    rc = 0;
    if (forwarded || WIFSIGNALED(status)) {
        end = RUN_KILLED;
        rc = 128 + (forwarded ? forwarded : WTERMSIG(status));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        end = RUN_FAILED;
        rc = WEXITSTATUS(status);
    }
    if (client_update_run(c, run.info.run_id, end, ftime_now_ms(), NULL, err)) {
        rc = 1;
        goto out;
    }
    fprintf(stderr, "ferry run: run %s %s\n", run.info.run_id, run_status_name(end));
    goto out;
fail_run:
    rc = 1;
    if (have_run) {
        struct ferr ignored = FERR_INIT;
        if (client_update_run(c, run.info.run_id, RUN_FAILED, ftime_now_ms(), NULL, &ignored))
            log_warn("cannot mark run %s FAILED: %s", run.info.run_id, ignored.msg);
    }
out:
    if (made_tmp) {
        static const char *const files[] = {"run.json", "git.diff", "output.log"};
        for (size_t i = 0; i < 3; i++) {
            struct sbuf p = SBUF_INIT;
            sbuf_addf(&p, "%s/%s", tmp, files[i]);
            unlink(p.buf);
            sbuf_release(&p);
        }
        rmdir(tmp);
    }
    if (have_run)
        run_release(&run);
    if (have_old)
        run_release(&old);
    if (have_proj)
        mlproject_release(&proj);
    if (have_src)
        source_release(&src);
    free(exp_id);
    data_inputs_release(&data);
    kv_list_release(&resolved);
    kv_list_release(&tags);
    sbuf_release(&cmd);
    sbuf_release(&script);
    sbuf_release(&logpath);
    return rc;
}
