/* SPDX-License-Identifier: MIT
 * Webhooks through http/post.h (one POST, no redirects, a time limit), signatures with OpenSSL's
 * HMAC, commands by fork and exec under base/sandbox.h. The caller ignores SIGPIPE (ferry server
 * does). */
#include "monitor/alert_sink.h"
#include "base/ftime.h"
#include "api/alerts_ops.h"
#include "base/json.h"
#include "base/sandbox.h"
#include "base/sbuf.h"
#include "http/post.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

#define MAX_OUTPUT_KEPT 200 /* bytes of a command's output kept for the detail */

static int set_detail(struct alert_outcome *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int set_detail(struct alert_outcome *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
    va_end(ap);
    return -1;
}

int alert_sign(const void *key, size_t keylen, int64_t timestamp_s, const char *body, size_t n,
               char hex[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char ts[24];
    int tslen = snprintf(ts, sizeof(ts), "%lld.", (long long)timestamp_s);
    int rc = -1;
    hex[0] = '\0';
    /* one buffer, one-shot HMAC(): bodies are small and signing is rare */
    struct sbuf msg = SBUF_INIT;
    sbuf_add(&msg, ts, (size_t)tslen);
    sbuf_add(&msg, body, n);
    static const unsigned char nokey = 0;
    if (HMAC(EVP_sha256(), keylen ? key : &nokey, (int)keylen, (const unsigned char *)msg.buf,
             msg.len, mac, &maclen) &&
        maclen == 32) {
        for (unsigned i = 0; i < maclen; i++)
            snprintf(hex + 2 * i, 3, "%02x", mac[i]);
        rc = 0;
    }
    sbuf_release(&msg);
    OPENSSL_cleanse(mac, sizeof(mac));
    return rc;
}

const char *alert_event_name(enum delivery_event ev)
{
    return ev == DELIVERY_RESOLVED ? "alert.resolved" : "alert.opened";
}

char *alert_body(const struct monitor_alert *a, enum delivery_event ev, int64_t delivery_id,
                 int64_t window_end_ms, size_t *len)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)delivery_id);
    json_t *alert = api_alert_to_json(a);
    json_t *window =
        json_pack("{s:I, s:o, s:I}", "start_ms", (json_int_t)a->last_window_start_ms, "end_ms",
                  window_end_ms > 0 ? json_integer(window_end_ms) : json_null(),
                  "opened_window_start_ms", (json_int_t)a->opened_window_start_ms);
    json_t *details = json_object_get(alert, "details");
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:o, s:o}", "event",
                  alert_event_name(ev), "delivery_id", id, "monitor", a->monitor ? a->monitor : "",
                  "deployment", a->deployment ? a->deployment : "", "condition",
                  a->condition ? a->condition : "", "severity", alert_severity_name(a->severity),
                  "state", alert_state_name(a->state), "message", a->message ? a->message : "",
                  "details", details, "window", window, "alert", alert);
    char *text = fjson_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    *len = strlen(text);
    return text;
}

int64_t alert_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms)
{
    int64_t d = base_ms > 0 ? base_ms : 1;
    for (int i = 1; i < attempt && d < cap_ms; i++)
        d *= 2;
    return d < cap_ms ? d : cap_ms;
}

/* ---------- webhook (sent by http/post.h) ---------- */

/* A header name: an HTTP token, not one ferry sets itself. */
static int header_ok(const char *name, const char *value)
{
    if (!name || !*name || !value)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *p)))
            return 0;
    if (!strncasecmp(name, "x-ferry-", 8) || !strcasecmp(name, "content-type") ||
        !strcasecmp(name, "content-length") || !strcasecmp(name, "host") ||
        !strcasecmp(name, "transfer-encoding"))
        return 0;
    return !strpbrk(value, "\r\n");
}

struct header_lines {
    char **v;
    size_t n, alloc;
};

static void add_header(struct header_lines *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_header(struct header_lines *l, const char *fmt, ...)
{
    struct sbuf sb = SBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    l->v[l->n++] = sbuf_detach(&sb, NULL);
}

static void header_lines_release(struct header_lines *l)
{
    for (size_t i = 0; i < l->n; i++) {
        OPENSSL_cleanse(l->v[i], strlen(l->v[i]));
        free(l->v[i]);
    }
    free(l->v);
}

/* The request's headers, signed when the sink has a secret; -1 with the
 * detail set when it cannot be sent as the sink asks. */
static int webhook_headers(const struct alert_webhook *w, const struct alert_message *m, int64_t ts,
                           struct header_lines *l, struct alert_outcome *o)
{
    add_header(l, "Content-Type: application/json");
    add_header(l, "X-Ferry-Event: %s", m->event);
    add_header(l, "X-Ferry-Delivery: %s", m->delivery_id ? m->delivery_id : "");
    add_header(l, "X-Ferry-Timestamp: %lld", (long long)ts);
    if (w->secret_env && *w->secret_env) {
        const char *key = getenv(w->secret_env);
        char hex[65];
        if (!key || !*key)
            return set_detail(o, "the signing secret's variable '%.100s' is not set on the server",
                              w->secret_env);
        if (alert_sign(key, strlen(key), ts, m->body, m->body_len, hex))
            return set_detail(o, "cannot build the request");
        add_header(l, "X-Ferry-Signature: sha256=%s", hex);
    }
    for (size_t i = 0; i < w->nheaders; i++) {
        if (!header_ok(w->hdr_names[i], w->hdr_values[i]))
            return set_detail(o, "header '%.100s' cannot be sent", w->hdr_names[i]);
        add_header(l, "%s: %s", w->hdr_names[i], w->hdr_values[i]);
    }
    return 0;
}

int alert_sink_webhook(const struct alert_webhook *w, const struct alert_message *m,
                       struct alert_outcome *out)
{
    struct header_lines l = {NULL, 0, 0};
    struct http_post_result r;
    long timeout = w->timeout_ms > 0 ? w->timeout_ms : ALERT_WEBHOOK_TIMEOUT_MS;
    int64_t ts = m->timestamp_s ? m->timestamp_s : (int64_t)time(NULL);
    memset(out, 0, sizeof(*out));
    out->code = -1;
    if (!w->url || (strncmp(w->url, "http://", 7) && strncmp(w->url, "https://", 8)))
        return set_detail(out, "not an http(s) URL");
    if (webhook_headers(w, m, ts, &l, out)) {
        header_lines_release(&l);
        return -1;
    }
    struct http_post p = {w->url, (const char *const *)l.v, l.n, m->body, m->body_len, timeout, 0};
    int rc = http_post_send(&p, &r);
    header_lines_release(&l);
    http_post_result_release(&r);
    if (rc)
        return set_detail(out, "%s", r.error);
    out->code = (int)r.status;
    out->delivered = r.status >= 200 && r.status < 300;
    if (!out->delivered)
        return set_detail(out, "HTTP %ld", r.status);
    return 0;
}

/* ---------- command ---------- */

#define MAX_ENV 16

/* The command's environment: PATH, LANG, HOME and the alert's names. */
static char **command_env(const struct alert_message *m, const struct sandbox_id *id)
{
    char **env = xcalloc(MAX_ENV + 1, sizeof(*env));
    size_t n = 0;
    struct sbuf sb = SBUF_INIT;
#define ADD(k, v)                                                                                  \
    do {                                                                                           \
        sbuf_addf(&sb, "%s=%s", k, (v) ? (v) : "");                                                \
        env[n++] = sbuf_detach(&sb, NULL);                                                         \
    } while (0)
    ADD("PATH", "/usr/local/bin:/usr/bin:/bin");
    ADD("LANG", "C.UTF-8");
    ADD("HOME", id->home);
    ADD("FERRY_ALERT_EVENT", m->event);
    ADD("FERRY_ALERT_ID", m->alert_id);
    ADD("FERRY_ALERT_MONITOR", m->monitor);
    ADD("FERRY_ALERT_DEPLOYMENT", m->deployment);
    ADD("FERRY_ALERT_CONDITION", m->condition);
    ADD("FERRY_ALERT_STATE", m->state);
    ADD("FERRY_DELIVERY_ID", m->delivery_id);
#undef ADD
    return env;
}

static void free_env(char **env)
{
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

/* The child: stdin from the body's pipe, stdout and stderr to the output's,
 * nothing else open, lower privileges, exec. Never returns. */
static void become(char *const argv[], char *const envp[], int in, int outfd, pid_t parent,
                   const struct sandbox_id *id)
{
    /* its own process group, so a timeout kills what it started too */
    if (setpgid(0, 0) < 0 || dup2(in, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
        _exit(126);
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, 3, ~0U, 0) != 0)
#endif
    {
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = 3; fd < (max > 0 && max < 1048576 ? max : 65536); fd++)
            close((int)fd);
    }
    if (sandbox_enter(id, parent) < 0 || chdir("/") < 0)
        _exit(126);
    execve(argv[0], argv, envp);
    _exit(127);
}

static int cloexec_pipe(int fds[2])
{
    if (pipe(fds) < 0)
        return -1;
    if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    return 0;
}

/* One read of the command's output into the tail kept of it (its last
 * tailsz - 1 bytes, line ends as spaces). read's result: errno is set
 * when it is negative, and 0 (the end) sets errno to 0. */
static ssize_t keep_output(int outfd, char *tail, size_t *kept, size_t tailsz)
{
    char buf[512];
    errno = 0;
    ssize_t got = read(outfd, buf, sizeof(buf));
    for (ssize_t i = 0; i < got; i++) {
        if (*kept + 1 >= tailsz) {
            memmove(tail, tail + 1, *kept - 1);
            (*kept)--;
        }
        tail[(*kept)++] = buf[i] == '\n' || buf[i] == '\r' ? ' ' : buf[i];
    }
    return got;
}

/* Feeds the body, keeps the output's last bytes, until the child exits or
 * the deadline passes; *status is waitpid's, or -1 when it was killed. */
static void supervise(pid_t pid, int in, int outfd, const struct alert_message *m, int64_t deadline,
                      int *status, char *tail, size_t tailsz)
{
    size_t sent = 0, kept = 0;
    int done = 0;
    (void)fcntl(in, F_SETFL, O_NONBLOCK);
    (void)fcntl(outfd, F_SETFL, O_NONBLOCK);
    *status = -1;
    while (!done) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            break;
        int64_t left = deadline - ftime_mono_ns() / 1000000;
        if (left <= 0) {
            /* the group (the command and whatever it started), then the
             * command itself in case it had not reached setpgid yet */
            (void)kill(-pid, SIGKILL);
            (void)kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            *status = -1;
            break;
        }
        struct pollfd p[2] = {{in, POLLOUT, 0}, {outfd, POLLIN, 0}};
        int np = 2;
        if (in < 0)
            p[0].fd = -1;
        if (outfd < 0)
            p[1].fd = -1;
        (void)poll(p, (nfds_t)np, left < 50 ? (int)left : 50);
        if (in >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in, m->body + sent, m->body_len - sent);
            if (w > 0)
                sent += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == m->body_len) {
                close(in); /* the command sees the end of its input */
                in = -1;
            }
        }
        if (outfd >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP)) &&
            keep_output(outfd, tail, &kept, tailsz) <= 0 && errno != EAGAIN && errno != EINTR) {
            close(outfd);
            outfd = -1;
        }
    }
    /* What the command wrote just before it exited is still in the pipe
     * (its last words: "no receiver"); read what is there, without waiting
     * for an end a background child of it may hold off. */
    while (outfd >= 0 && keep_output(outfd, tail, &kept, tailsz) > 0)
        ;
    tail[kept] = '\0';
    if (in >= 0)
        close(in);
    if (outfd >= 0)
        close(outfd);
}

int alert_sink_command(const struct alert_command *c, const struct alert_message *m,
                       struct alert_outcome *out)
{
    struct sandbox_id id;
    struct ferr err = FERR_INIT;
    int in[2], outp[2], status;
    char tail[MAX_OUTPUT_KEPT + 1];
    long timeout = c->timeout_ms > 0 ? c->timeout_ms : ALERT_COMMAND_TIMEOUT_MS;
    memset(out, 0, sizeof(*out));
    out->code = -1;
    if (!c->enabled)
        return set_detail(out, "this server runs no processes (it was started with --no-execute)");
    if (!c->path || c->path[0] != '/' || access(c->path, X_OK) < 0)
        return set_detail(out, "cannot run '%.200s': not an executable absolute path",
                          c->path ? c->path : "");
    if (sandbox_identity(c->run_as, &id, &err))
        return set_detail(out, "%s", err.msg);
    if (cloexec_pipe(in) < 0)
        return set_detail(out, "pipe: %s", strerror(errno));
    if (cloexec_pipe(outp) < 0) {
        close(in[0]);
        close(in[1]);
        return set_detail(out, "pipe: %s", strerror(errno));
    }
    char **envp = command_env(m, &id);
    char **argv = xcalloc(c->nargs + 2, sizeof(*argv));
    argv[0] = (char *)c->path;
    for (size_t i = 0; i < c->nargs; i++)
        argv[i + 1] = (char *)c->args[i];
    pid_t parent = getpid(), pid = fork();
    if (pid == 0)
        become(argv, envp, in[0], outp[1], parent, &id);
    int e = errno;
    if (pid > 0)
        (void)setpgid(pid, pid); /* also here: no window where kill(-pid) misses */
    free(argv);
    free_env(envp);
    close(in[0]);
    close(outp[1]);
    if (pid < 0) {
        close(in[1]);
        close(outp[0]);
        return set_detail(out, "cannot start '%.200s': %s", c->path, strerror(e));
    }
    supervise(pid, in[1], outp[0], m, ftime_mono_ns() / 1000000 + timeout, &status, tail,
              sizeof(tail));
    if (status == -1)
        return set_detail(out, "timed out after %ld ms (killed)", timeout);
    if (WIFEXITED(status)) {
        out->code = WEXITSTATUS(status);
        out->delivered = out->code == 0;
        if (!out->delivered)
            return set_detail(out, "exit status %d%s%.200s", out->code, *tail ? ": " : "", tail);
        return 0;
    }
    return set_detail(out, "killed by signal %d%s%.200s",
                      WIFSIGNALED(status) ? WTERMSIG(status) : 0, *tail ? ": " : "", tail);
}
