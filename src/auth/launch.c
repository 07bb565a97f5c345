/* SPDX-License-Identifier: MIT */
#include "auth/launch.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/banned.h"

#define DEFAULT_LIFETIME_MS (24LL * 3600 * 1000)
#define MAX_ENV             64

/* argv0 as an executable path: as given when it holds a '/', else the
 * first match on the server's PATH. */
static char *find_program(const char *argv0, struct ferr *err)
{
    if (!argv0 || !*argv0) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "nothing to run");
        return NULL;
    }
    if (strchr(argv0, '/')) {
        if (access(argv0, X_OK) == 0)
            return xstrdup(argv0);
    } else {
        const char *path = getenv("PATH");
        for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
            size_t n = strcspn(p, ":");
            struct sbuf cand = SBUF_INIT;
            sbuf_add(&cand, p, n);
            sbuf_addf(&cand, "/%s", argv0);
            if (n && access(cand.buf, X_OK) == 0)
                return sbuf_detach(&cand, NULL);
            sbuf_release(&cand);
            p += n + (p[n] == ':');
        }
    }
    ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot run '%.200s': no such program", argv0);
    return NULL;
}

/* The process's whole environment: nothing of the server's but PATH and
 * LANG, plus where to log and with what. */
static char **environment(const struct launcher *l, const struct launch_spec *spec,
                          const struct sandbox_id *id, const char *token)
{
    char **env = xcalloc(MAX_ENV + 1, sizeof(*env));
    size_t n = 0;
    struct sbuf sb = SBUF_INIT;
    const char *path = getenv("PATH");
#define ADD(...)                                                                                   \
    do {                                                                                           \
        sbuf_addf(&sb, __VA_ARGS__);                                                               \
        env[n++] = sbuf_detach(&sb, NULL);                                                         \
    } while (0)
    ADD("PATH=%s", path && *path ? path : "/usr/bin:/bin");
    ADD("LANG=C.UTF-8");
    ADD("HOME=%s", id->home);
    if (l->tracking_uri) {
        ADD("MLFLOW_TRACKING_URI=%s", l->tracking_uri);
        ADD("FERRY_TRACKING_URI=%s", l->tracking_uri);
    }
    ADD("MLFLOW_EXPERIMENT_ID=%s", spec->experiment_id);
    if (token)
        ADD("MLFLOW_TRACKING_TOKEN=%s", token);
#undef ADD
    for (size_t i = 0; spec->env && spec->env[i] && n < MAX_ENV; i++)
        if (strchr(spec->env[i], '=') && strncmp(spec->env[i], "MLFLOW_TRACKING_", 16) &&
            strncmp(spec->env[i], "FERRY_TRACKING_", 15))
            env[n++] = xstrdup(spec->env[i]); /* where to log, and as whom, is ours to say */
    return env;
}

static void free_env(char **env)
{
    for (size_t i = 0; env && env[i]; i++) {
        OPENSSL_cleanse(env[i], strlen(env[i]));
        free(env[i]);
    }
    free(env);
}

/* The child after a failed execve: says why on its output (the run's log),
 * then exits 127. Only write(2) and plain memory copies: the parent has
 * threads, so nothing that could take a lock. */
static void exec_failed(const char *prog, int e)
{
    char msg[600];
    size_t n = 0;
    const char *parts[] = {"ferry: cannot run ", prog, ": ",
                           e == EACCES   ? "permission denied (the user runs start as must be able "
                                           "to search every directory above it and execute it)"
                           : e == ENOENT ? "no such file"
                                         : "exec failed",
                           "\n"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        for (const char *c = parts[i]; *c && n < sizeof(msg); c++)
            msg[n++] = *c;
    ssize_t w = write(2, msg, n);
    (void)w;
    _exit(127);
}

/* The child: its descriptors, its identity, then exec. Never returns. */
static void become(const char *prog, char *const argv[], char *const envp[], const char *cwd,
                   int devnull, int out_fd, pid_t parent, const struct sandbox_id *id)
{
    if (dup2(devnull, 0) < 0 || (out_fd >= 0 && (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)) ||
        (out_fd < 0 && dup2(2, 1) < 0))
        _exit(126);
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, 3, ~0U, 0) != 0)
#endif
    {
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = 3; fd < (max > 0 && max < 1048576 ? max : 65536); fd++)
            close((int)fd);
    }
    if (sandbox_enter(id, parent) < 0 || chdir(cwd ? cwd : "/") < 0)
        _exit(126);
    execve(prog, argv, envp);
    exec_failed(prog, errno);
}

int launch_start(const struct launcher *l, const struct principal *who,
                 const struct launch_spec *spec, struct launch *out, struct ferr *err)
{
    struct sandbox_id id;
    struct sbuf secret = SBUF_INIT, scope = SBUF_INIT, name = SBUF_INIT;
    struct token_info tok;
    memset(out, 0, sizeof(*out));
    memset(&tok, 0, sizeof(tok));
    if (!l->enabled)
        return ferr_set(err, FERR_PERMISSION_DENIED,
                        "this server runs no processes (it was started with --no-execute)");
    char canon[24];
    if (!spec->argv || !spec->argv[0] ||
        auth_canonical_id(spec->experiment_id, canon, sizeof(canon)) ||
        strcmp(canon, spec->experiment_id)) /* it goes into the token's scope as it is */
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a process needs a program and the id of the experiment it logs to");
    if (l->guard) {
        if (!who)
            return ferr_set(err, FERR_UNAUTHENTICATED, "a process runs on behalf of a user");
        if (guard_allows(l->guard, who, RES_EXPERIMENT, spec->experiment_id, PERM_EDIT, err))
            return -1;
    }
    char *prog = find_program(spec->argv[0], err);
    if (!prog || sandbox_identity(l->run_as, &id, err)) {
        free(prog);
        return -1;
    }
    if (l->guard) {
        sbuf_addf(&scope, "experiment/%s:EDIT", spec->experiment_id);
        sbuf_addf(&name, "launched %s in experiment %s", spec->argv[0], spec->experiment_id);
        if (store_create_token(l->store, who->username, name.buf, scope.buf,
                               spec->token_lifetime_ms ? spec->token_lifetime_ms
                                                       : DEFAULT_LIFETIME_MS,
                               &secret, &tok, err)) {
            free(prog);
            sbuf_release(&scope);
            sbuf_release(&name);
            return -1;
        }
    }
    char **envp = environment(l, spec, &id, l->guard ? secret.buf : NULL);
    if (secret.buf)
        OPENSSL_cleanse(secret.buf, secret.len);
    sbuf_release(&secret);
    sbuf_release(&scope);
    sbuf_release(&name);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t parent = getpid(), pid = devnull < 0 ? -1 : fork();
    if (pid == 0)
        become(prog, (char *const *)spec->argv, envp, spec->cwd, devnull, spec->out_fd, parent,
               &id);
    int e = errno;
    if (devnull >= 0)
        close(devnull);
    free_env(envp);
    free(prog);
    if (pid < 0) {
        struct ferr why = FERR_INIT;
        if (tok.id && store_revoke_token(l->store, tok.id, NULL, &why))
            log_warn("could not revoke token %s of a process that never started: %s", tok.id,
                     why.msg);
        token_info_release(&tok);
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot start a process: %s", strerror(e));
    }
    out->pid = pid;
    out->token_id = tok.id;
    tok.id = NULL;
    token_info_release(&tok);
    return 0;
}

int launch_wait(const struct launcher *l, struct launch *x, int *status, struct ferr *err)
{
    pid_t r;
    do
        r = waitpid(x->pid, status, 0);
    while (r < 0 && errno == EINTR);
    int rc = r < 0 ? ferr_set(err, FERR_INTERNAL_ERROR, "waiting for process %d: %s", (int)x->pid,
                              strerror(errno))
                   : 0;
    struct ferr why = FERR_INIT;
    if (x->token_id && store_revoke_token(l->store, x->token_id, NULL, &why)) {
        log_warn("could not revoke token %s of process %d: %s", x->token_id, (int)x->pid, why.msg);
        if (!rc) {
            *err = why;
            rc = -1;
        }
    }
    free(x->token_id);
    x->token_id = NULL;
    x->pid = 0;
    return rc;
}
