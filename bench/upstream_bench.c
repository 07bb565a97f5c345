/* SPDX-License-Identifier: MIT
 * upstream_bench: what a front server costs. Starts an upstream `ferry
 * server` on a fresh database and a front one whose backend store is the
 * upstream (`--backend-store-uri http://127.0.0.1:<port>`), then times the
 * same requests sent to each over loopback, one keep-alive client, one
 * request at a time: runs/log-metric (a write) and runs/get (a read). The
 * extra latency of a forwarded request is the median through the front
 * minus the median straight to the upstream. The two are measured in
 * alternating blocks (direct, front, front, direct, ...) so that the
 * machine's load drifts onto both alike.
 *
 * Bounded: N requests per kind and target (--n, at most 100,000), each
 * block also cut at 20 s. Checks that every request answered 200 and that
 * the upstream holds every metric point written through either server.
 * Output: a table on stdout, then one JSON line. Not a test: tests/ does
 * the functional checks. */
#include "base/fs_tree.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

#define API        "/api/2.0/mlflow/"
#define ROUNDS     5 /* alternating blocks per kind and target */
#define BLOCK_S    20.0
#define MAX_N      100000L
#define DEFAULT_N  2000L
#define START_WAIT 15.0

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(double ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(fmod(ms, 1000) * 1e6)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p of v[0..n), sorting v; NaN when n is 0. */
static double percentile(double *v, size_t n, double p)
{
    if (!n)
        return NAN;
    qsort(v, n, sizeof(*v), cmp_double);
    size_t k = (size_t)ceil(p / 100.0 * (double)n);
    return v[k ? k - 1 : 0];
}

/* ---------- one keep-alive client ---------- */

struct http {
    CURL *h;
    struct curl_slist *hdrs;
    struct sbuf resp;
    char base[128];
    char url[1024];
};

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    sbuf_add(ud, p, size * n);
    return size * n;
}

static int http_init(struct http *c, const char *base)
{
    memset(c, 0, sizeof(*c));
    sbuf_init(&c->resp, 4096);
    snprintf(c->base, sizeof(c->base), "%s", base);
    c->h = curl_easy_init();
    c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    if (!c->h || !c->hdrs)
        return -1;
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->resp);
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 60L);
    return 0;
}

static void http_release(struct http *c)
{
    if (c->h)
        curl_easy_cleanup(c->h);
    curl_slist_free_all(c->hdrs);
    sbuf_release(&c->resp);
}

/* GET (body NULL) or POST; the HTTP status, or -1 on a transport error. */
static long http_do(struct http *c, const char *path, const char *body)
{
    snprintf(c->url, sizeof(c->url), "%s%s", c->base, path);
    curl_easy_setopt(c->h, CURLOPT_URL, c->url);
    if (body) {
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    }
    sbuf_reset(&c->resp);
    if (curl_easy_perform(c->h) != CURLE_OK)
        return -1;
    long status = 0;
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

/* A string field of a 200 answer to POST path body ("a.b.c" walks objects). */
static int post_get(struct http *c, const char *path, const char *body, const char *field,
                    char *out, size_t n)
{
    if (http_do(c, path, body) != 200)
        return -1;
    json_t *j = json_loadb(c->resp.buf, c->resp.len, 0, NULL), *v = j;
    char key[64];
    for (const char *f = field; v && *f;) {
        size_t k = strcspn(f, ".");
        snprintf(key, sizeof(key), "%.*s", (int)k, f);
        v = json_object_get(v, key);
        f += k + (f[k] == '.');
    }
    int rc = json_is_string(v) ? 0 : -1;
    if (!rc)
        snprintf(out, n, "%s", json_string_value(v));
    json_decref(j);
    return rc;
}

/* Points of run/key, in pages of 25,000; -1 on error. */
static long history_count(struct http *c, const char *run, const char *key)
{
    struct sbuf path = SBUF_INIT;
    char token[512] = "";
    long total = 0;
    for (int page = 0; page < 1000 && total >= 0; page++) {
        sbuf_reset(&path);
        sbuf_addf(&path, API "metrics/get-history?run_id=%s&metric_key=%s&max_results=25000", run,
                  key);
        if (*token) {
            char *esc = curl_easy_escape(c->h, token, 0);
            sbuf_addf(&path, "&page_token=%s", esc ? esc : "");
            curl_free(esc);
        }
        json_t *r = http_do(c, path.buf, NULL) == 200
                        ? json_loadb(c->resp.buf, c->resp.len, 0, NULL)
                        : NULL;
        const char *next = json_string_value(json_object_get(r, "next_page_token"));
        total = r ? total + (long)json_array_size(json_object_get(r, "metrics")) : -1;
        snprintf(token, sizeof(token), "%s", next ? next : "");
        json_decref(r);
        if (!*token)
            break;
    }
    sbuf_release(&path);
    return total;
}

/* ---------- servers ---------- */

struct server {
    pid_t pid;
    int out_fd;
    char url[128];
};

/* Starts `ferry server` on store in dir, stderr to log; reads its address. */
static int server_start(const char *ferry, const char *store, const char *dir, const char *log,
                        struct server *s)
{
    int p[2];
    memset(s, 0, sizeof(*s));
    s->pid = -1;
    if (pipe(p) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the benchmark */
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (dup2(p[1], 1) < 0 || fd < 0 || dup2(fd, 2) < 0 || chdir(dir) < 0)
            _exit(126);
        execl(ferry, ferry, "server", "--host", "127.0.0.1", "--port", "0", "--backend-store-uri",
              store, "--quiet", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    s->pid = pid;
    s->out_fd = p[0];
    char buf[512];
    size_t len = 0;
    for (double end = now_s() + START_WAIT; now_s() < end && len < sizeof(buf) - 1;) {
        struct pollfd pfd = {s->out_fd, POLLIN, 0};
        if (poll(&pfd, 1, 10) <= 0)
            continue;
        ssize_t r = read(s->out_fd, buf + len, sizeof(buf) - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        const char *at = strstr(buf, "listening on "), *nl = at ? strchr(at, '\n') : NULL;
        if (nl) {
            at += strlen("listening on ");
            snprintf(s->url, sizeof(s->url), "%.*s", (int)(nl - at), at);
            return 0;
        }
    }
    fprintf(stderr, "upstream_bench: the server on %s did not start; see %s\n", store, log);
    return -1;
}

/* SIGTERM, then the exit status (-1 when it had to be killed). */
static int server_stop(struct server *s)
{
    int status = 0, rc = -1;
    if (s->pid <= 0)
        return 0;
    kill(s->pid, SIGTERM);
    for (double end = now_s() + 20.0;;) {
        pid_t r = waitpid(s->pid, &status, WNOHANG);
        if (r == s->pid) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (r < 0 || now_s() > end) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
            break;
        }
        sleep_ms(2);
    }
    close(s->out_fd);
    s->pid = -1;
    return rc;
}

/* ---------- the measurement ---------- */

enum kind { LOG_METRIC, GET_RUN, NKINDS };
enum target { DIRECT, FRONT, NTARGETS };
static const char *const kind_names[] = {"runs/log-metric", "runs/get"};

struct samples {
    double *v; /* seconds per request */
    size_t n;
    long failed;
};

struct bench {
    struct http http[NTARGETS];
    char run_id[64];
    long n;    /* requests per kind and target */
    long step; /* the next metric step, shared so every point is distinct */
    struct samples s[NKINDS][NTARGETS];
};

/* One block: `count` requests of kind to target, timed one by one. */
static void block(struct bench *b, enum kind k, enum target t, long count)
{
    struct http *c = &b->http[t];
    struct samples *s = &b->s[k][t];
    char path[256], body[256];
    double end = now_s() + BLOCK_S;
    snprintf(path, sizeof(path), API "runs/get?run_id=%s", b->run_id);
    for (long i = 0; i < count && now_s() < end; i++) {
        if (k == LOG_METRIC)
            snprintf(body, sizeof(body),
                     "{\"run_id\":\"%s\",\"key\":\"m\",\"value\":%ld,\"timestamp\":1,"
                     "\"step\":%ld}",
                     b->run_id, b->step, b->step);
        double t0 = now_s();
        long st =
            k == LOG_METRIC ? http_do(c, API "runs/log-metric", body) : http_do(c, path, NULL);
        s->v[s->n++] = now_s() - t0;
        if (k == LOG_METRIC)
            b->step++;
        if (st != 200)
            s->failed++;
    }
}

static void measure(struct bench *b)
{
    long per = (b->n + ROUNDS - 1) / ROUNDS;
    for (int k = 0; k < NKINDS; k++)
        for (int t = 0; t < NTARGETS; t++)
            b->s[k][t].v = xcalloc((size_t)(per * ROUNDS), sizeof(double));
    /* warm-up: connections open, caches filled, on both paths */
    block(b, GET_RUN, DIRECT, 50);
    block(b, GET_RUN, FRONT, 50);
    for (int k = 0; k < NKINDS; k++)
        for (int t = 0; t < NTARGETS; t++)
            b->s[k][t].n = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int k = 0; k < NKINDS; k++) {
            enum target first = r % 2 ? FRONT : DIRECT;
            block(b, (enum kind)k, first, per);
            block(b, (enum kind)k, first == DIRECT ? FRONT : DIRECT, per);
        }
        fprintf(stderr, "# round %d of %d\n", r + 1, ROUNDS);
    }
}

static void report(struct bench *b, const char *cmdline, long stored, int stops_ok)
{
    struct utsname u;
    char cpu[128] = "?", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof(line), f)) {
        const char *p = strncmp(line, "model name", 10) ? NULL : strchr(line, ':');
        if (p) {
            snprintf(cpu, sizeof(cpu), "%.*s", (int)strcspn(p + 2, "\n"), p + 2);
            break;
        }
    }
    if (f)
        fclose(f);
    int ok = stops_ok && stored == b->step;
    printf("upstream_bench: %s\nmachine: %ld cores, %s, Linux %s\n\n", cmdline,
           sysconf(_SC_NPROCESSORS_ONLN), cpu, uname(&u) ? "?" : u.release);
    printf("%-16s %8s %10s %10s %10s %10s %7s\n", "request", "n", "direct p50", "front p50",
           "extra p50", "front p90", "failed");
    json_t *figs = json_array();
    for (int k = 0; k < NKINDS; k++) {
        struct samples *d = &b->s[k][DIRECT], *fr = &b->s[k][FRONT];
        double d50 = percentile(d->v, d->n, 50) * 1e3, f50 = percentile(fr->v, fr->n, 50) * 1e3;
        double f90 = percentile(fr->v, fr->n, 90) * 1e3, d90 = percentile(d->v, d->n, 90) * 1e3;
        ok &= !d->failed && !fr->failed;
        printf("%-16s %8zu %8.3f ms %7.3f ms %7.3f ms %7.3f ms %7ld\n", kind_names[k], fr->n, d50,
               f50, f50 - d50, f90, d->failed + fr->failed);
        json_array_append_new(
            figs, json_pack("{s:s,s:I,s:f,s:f,s:f,s:f,s:f}", "request", kind_names[k], "n",
                            (json_int_t)fr->n, "direct_p50_ms", d50, "front_p50_ms", f50,
                            "extra_p50_ms", f50 - d50, "direct_p90_ms", d90, "front_p90_ms", f90));
    }
    printf("\nchecks: metric points stored upstream %ld of %ld; servers exited 0: %s\n", stored,
           b->step, stops_ok ? "yes" : "no");
    json_t *doc = json_pack("{s:s,s:o,s:b}", "bench", "ferry-upstream", "figures", figs, "ok", ok);
    char *s = json_dumps(doc, JSON_COMPACT);
    printf("%s\n", s ? s : "{}");
    free(s);
    json_decref(doc);
}

static int run(const char *ferry, const char *dir, struct bench *b, const char *cmdline)
{
    struct server up, front;
    char store[256], log[256], flog[256], exp[64];
    int rc = 1;
    memset(&front, 0, sizeof(front));
    snprintf(store, sizeof(store), "sqlite://%s/upstream.db", dir);
    snprintf(log, sizeof(log), "%s/upstream.log", dir);
    snprintf(flog, sizeof(flog), "%s/front.log", dir);
    if (server_start(ferry, store, dir, log, &up))
        goto out;
    if (server_start(ferry, up.url, dir, flog, &front))
        goto out;
    if (http_init(&b->http[DIRECT], up.url) || http_init(&b->http[FRONT], front.url) ||
        post_get(&b->http[DIRECT], API "experiments/create", "{\"name\":\"bench\"}",
                 "experiment_id", exp, sizeof(exp)))
        goto out;
    char body[128];
    snprintf(body, sizeof(body), "{\"experiment_id\":\"%s\"}", exp);
    if (post_get(&b->http[DIRECT], API "runs/create", body, "run.info.run_id", b->run_id,
                 sizeof(b->run_id)))
        goto out;
    fprintf(stderr, "# upstream %s, front %s, %ld requests per kind and server\n", up.url,
            front.url, b->n);
    measure(b);
    long stored = history_count(&b->http[DIRECT], b->run_id, "m");
    int stops_ok = server_stop(&front) == 0;
    stops_ok &= server_stop(&up) == 0;
    report(b, cmdline, stored, stops_ok);
    rc = 0;
out:
    server_stop(&front);
    server_stop(&up);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: upstream_bench [--ferry PATH] [--n N] [--keep]\n"
            "  --ferry PATH  the ferry binary (default build/ferry)\n"
            "  --n N         requests per kind and server (default %ld, at most %ld)\n"
            "  --keep        keep the temporary directory (databases, server logs)\n",
            DEFAULT_N, MAX_N);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"ferry", required_argument, NULL, 'f'},
                                             {"n", required_argument, NULL, 'n'},
                                             {"keep", no_argument, NULL, 'k'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *ferry = "build/ferry";
    struct bench b;
    char dir[] = "/tmp/ferry-bench-upstream-XXXXXX", *end;
    int keep = 0, c;
    memset(&b, 0, sizeof(b));
    b.n = DEFAULT_N;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'f') {
            ferry = optarg;
        } else if (c == 'n') {
            b.n = strtol(optarg, &end, 10);
            if (*end || b.n < ROUNDS || b.n > MAX_N) {
                usage(stderr);
                return 2;
            }
        } else if (c == 'k') {
            keep = 1;
        } else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    struct sbuf cmdline = SBUF_INIT;
    for (int i = 0; i < argc; i++)
        sbuf_addf(&cmdline, "%s%s", i ? " " : "", argv[i]);
    char *abs = realpath(ferry, NULL); /* the servers run in the temporary directory */
    if (!abs) {
        fprintf(stderr, "upstream_bench: %s: %s\n", ferry, strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) || !mkdtemp(dir)) {
        fprintf(stderr, "upstream_bench: cannot set up: %s\n", strerror(errno));
        free(abs);
        return 1;
    }
    int rc = run(abs, dir, &b, cmdline.buf);
    for (int t = 0; t < NTARGETS; t++)
        http_release(&b.http[t]);
    for (int k = 0; k < NKINDS; k++)
        for (int t = 0; t < NTARGETS; t++)
            free(b.s[k][t].v);
    if (keep) {
        fprintf(stderr, "# kept %s\n", dir);
    } else if (fs_remove_tree(dir)) {
        fprintf(stderr, "upstream_bench: could not remove %s\n", dir);
    }
    sbuf_release(&cmdline);
    free(abs);
    curl_global_cleanup();
    return rc;
}
