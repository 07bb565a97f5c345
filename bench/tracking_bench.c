/* SPDX-License-Identifier: MIT
 * tracking_bench: the tracking server's performance figures, each against the
 * target from the performance issue: start-up time, runs created per second,
 * log-metric and log-batch throughput, runs/search and metrics/get-history
 * latency, and the server's memory. REST figures go through libcurl (one easy
 * handle per thread, keep-alive); embedded figures call the store API
 * (store/store.h) directly, so the two can be compared.
 *
 * By default it starts `ferry server` itself on a fresh database in a
 * temporary directory; with --url it measures an already running server (a
 * stock MLflow server, say) over REST only. --backend-store-uri names the
 * store instead of the fresh SQLite file (a PostgreSQL database, say): the
 * embedded phase writes the search and history data there (or finds them
 * there from an earlier run, see bench_data_find), and the spawned server,
 * or with --url the server(s) at URL, serve it. Every loop is bounded by a
 * count and by a time. Output: a readable table on stdout, then one JSON
 * line.
 *
 * Deliberately not here: functional tests (tests/ does that). The only checks
 * are the ones a benchmark needs to be honest: every acknowledged write is
 * stored, and searches and histories return what was written. */
#include "api/codec.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/domain.h"
#include "store/metrics.h"
#include "store/store.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

#define API "/api/2.0/mlflow/"
#define SEARCH_FILTER "metrics.acc > 0.5 and params.lr = '0.01'"
#define SEARCH_ORDER "metrics.acc DESC"
#define SEARCH_MAX 100
#define BATCH_MAX 1000 /* MLflow's metrics per log-batch request */
#define HISTORY_KEY "loss"
#define MAX_THREADS 256

/* Sizes and time bounds of one run of the suite. */
struct sizes {
    int startup_reps;
    long create_n;
    double create_s;
    long lm_seq_n;
    double lm_seq_s;
    int lm_threads;
    long lm_conc_n;
    double lm_conc_s;
    long batch_n; /* requests per log-batch phase */
    double batch_s;
    long search_runs;
    int search_reps;
    double search_s;
    long history_steps;
    int history_reps;
    double history_s;
    double populate_s;
    int wrk_seconds;
};

static const struct sizes full_sizes = {
    5,    2000, 20.0, 20000, 3.0, 64, 100000, 3.0, 1000, 3.0, 5000, 200, 30.0, 100000, 20,
    30.0, 300.0, 5,
};

static const struct sizes quick_sizes = {
    2, 100, 1.0, 300, 0.5, 16, 2000, 0.5, 10, 0.5, 300, 20, 1.0, 10000, 5, 1.0, 5.0, 1,
};

/* ---------- time and statistics ---------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(double ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank percentile p (0..100) of v[0..n); NaN when n is 0. */
static double percentile(const double *v, size_t n, double p)
{
    if (!n)
        return NAN;
    double *c = xmalloc(n * sizeof(*c));
    memcpy(c, v, n * sizeof(*c));
    qsort(c, n, sizeof(*c), cmp_double);
    size_t k = (size_t)ceil(p / 100.0 * (double)n);
    double r = c[k ? k - 1 : 0];
    free(c);
    return r;
}

/* A deterministic hash of i to [0, 1) (splitmix64). */
static double unit_hash(uint64_t i)
{
    uint64_t z = i + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* ---------- figures and checks ---------- */

enum cmp { CMP_INFO, CMP_GE, CMP_LE };

struct figure {
    char name[96];
    double value; /* NaN: not measured */
    char unit[16];
    enum cmp cmp;
    double target;
};

struct check {
    char name[96];
    char detail[160];
    int ok;
};

static struct figure figs[64];
static int nfigs;
static struct check checks[64];
static int nchecks;

static void fig(const char *name, double value, const char *unit, enum cmp cmp, double target)
{
    if (nfigs == (int)(sizeof(figs) / sizeof(*figs)))
        return;
    struct figure *f = &figs[nfigs++];
    snprintf(f->name, sizeof(f->name), "%s", name);
    snprintf(f->unit, sizeof(f->unit), "%s", unit);
    f->value = value;
    f->cmp = cmp;
    f->target = target;
    fprintf(stderr, "#   %s: %.4g %s\n", name, value, unit);
}

static void check(int ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void check(int ok, const char *name, const char *fmt, ...)
{
    if (nchecks == (int)(sizeof(checks) / sizeof(*checks)))
        return;
    struct check *c = &checks[nchecks++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    va_end(ap);
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->ok = ok;
    fprintf(stderr, "#   check %s: %s (%s)\n", name, ok ? "ok" : "FAILED", c->detail);
}

/* "ok", "MISSED by X%", "-" (no target) or "n/a" (not measured). */
static void fig_status(const struct figure *f, char *buf, size_t n)
{
    if (isnan(f->value)) {
        snprintf(buf, n, "n/a");
        return;
    }
    if (f->cmp == CMP_INFO) {
        snprintf(buf, n, "-");
        return;
    }
    int met = f->cmp == CMP_GE ? f->value >= f->target : f->value <= f->target;
    if (met) {
        snprintf(buf, n, "ok");
        return;
    }
    double pct = f->cmp == CMP_GE ? (f->target - f->value) / f->target * 100.0
                                  : (f->value - f->target) / f->target * 100.0;
    snprintf(buf, n, "MISSED by %.0f%%", pct);
}

static void fmt_num(double v, char *buf, size_t n)
{
    if (isnan(v))
        snprintf(buf, n, "n/a");
    else if (fabs(v) >= 1000)
        snprintf(buf, n, "%.0f", v);
    else if (fabs(v) >= 10)
        snprintf(buf, n, "%.1f", v);
    else
        snprintf(buf, n, "%.2f", v);
}

/* ---------- the machine ---------- */

struct machine {
    long nproc;
    char kernel[128];
    char cpu[128];
    char date[32];
};

static void machine_read(struct machine *m)
{
    struct utsname u;
    m->nproc = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(m->kernel, sizeof(m->kernel), "%s", uname(&u) ? "?" : u.release);
    snprintf(m->cpu, sizeof(m->cpu), "?");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "model name", 10))
            continue;
        const char *p = strchr(line, ':');
        if (p) {
            p += 1 + (p[1] == ' ');
            snprintf(m->cpu, sizeof(m->cpu), "%.*s", (int)strcspn(p, "\n"), p);
        }
        break;
    }
    if (f)
        fclose(f);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(m->date, sizeof(m->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---------- HTTP: one keep-alive libcurl easy handle per thread ---------- */

struct http {
    CURL *h;
    struct curl_slist *hdrs;
    struct sbuf resp;
    const char *base; /* "http://127.0.0.1:PORT", borrowed */
    char url[1024];
};

static size_t http_sink(char *p, size_t size, size_t n, void *ud)
{
    sbuf_add(ud, p, size * n);
    return size * n;
}

static int http_init(struct http *c, const char *base)
{
    memset(c, 0, sizeof(*c));
    sbuf_init(&c->resp, 4096);
    c->base = base;
    c->h = curl_easy_init();
    if (!c->h)
        return -1;
    c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    c->hdrs = curl_slist_append(c->hdrs, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, http_sink);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->resp);
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 60L);
    return 0;
}

static void http_release(struct http *c)
{
    if (!c)
        return;
    if (c->h)
        curl_easy_cleanup(c->h);
    curl_slist_free_all(c->hdrs);
    sbuf_release(&c->resp);
    c->h = NULL;
    c->hdrs = NULL;
}

/* GET (body NULL) or POST path on the server; the response lands in c->resp.
 * Returns the HTTP status, or -1 on a transport error. */
static long http_do(struct http *c, const char *path, const char *body, size_t len)
{
    snprintf(c->url, sizeof(c->url), "%s%s", c->base, path);
    curl_easy_setopt(c->h, CURLOPT_URL, c->url);
    if (body) {
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)len);
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

/* POSTs a jansson document (stolen) and parses a 200 answer; NULL otherwise. */
static json_t *http_post_json(struct http *c, const char *path, json_t *doc)
{
    char *body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    long st = http_do(c, path, body, strlen(body));
    free(body);
    if (st != 200) {
        fprintf(stderr, "tracking_bench: POST %s: status %ld: %.200s\n", path, st, c->resp.buf);
        return NULL;
    }
    return json_loadb(c->resp.buf, c->resp.len, 0, NULL);
}

static int rest_create_experiment(struct http *c, const char *name, char *id, size_t n)
{
    json_t *r = http_post_json(c, API "experiments/create", json_pack("{s:s}", "name", name));
    const char *s = json_string_value(json_object_get(r, "experiment_id"));
    int rc = s ? 0 : -1;
    if (s)
        snprintf(id, n, "%s", s);
    json_decref(r);
    return rc;
}

static int rest_create_run(struct http *c, const char *exp, char *id, size_t n)
{
    json_t *r = http_post_json(c, API "runs/create",
                               json_pack("{s:s,s:I}", "experiment_id", exp, "start_time",
                                         (json_int_t)ftime_now_ms()));
    json_t *info = json_object_get(json_object_get(r, "run"), "info");
    const char *s = json_string_value(json_object_get(info, "run_id"));
    int rc = s ? 0 : -1;
    if (s)
        snprintf(id, n, "%s", s);
    json_decref(r);
    return rc;
}

/* How many points metrics/get-history returns for run/key, reading pages of
 * 25,000 so that checking a long history does not itself bloat the server;
 * -1 on error. */
static long rest_history_count(struct http *c, const char *run, const char *key)
{
    struct sbuf path = SBUF_INIT;
    char *token = NULL;
    long total = 0;
    for (int page = 0; page < 10000; page++) {
        sbuf_reset(&path);
        sbuf_addf(&path, API "metrics/get-history?run_id=%s&metric_key=%s&max_results=25000", run,
                  key);
        if (token) {
            char *esc = curl_easy_escape(c->h, token, 0);
            sbuf_addf(&path, "&page_token=%s", esc ? esc : "");
            curl_free(esc);
        }
        free(token);
        token = NULL;
        json_t *r = NULL;
        if (http_do(c, path.buf, NULL, 0) == 200)
            r = json_loadb(c->resp.buf, c->resp.len, 0, NULL);
        json_t *m = json_object_get(r, "metrics");
        const char *next = json_string_value(json_object_get(r, "next_page_token"));
        if (!r || (m && !json_is_array(m))) {
            json_decref(r);
            total = -1;
            break;
        }
        total += (long)json_array_size(m);
        if (next && *next)
            token = xstrdup(next);
        json_decref(r);
        if (!token)
            break;
    }
    free(token);
    sbuf_release(&path);
    return total;
}

/* ---------- many keep-alive clients in parallel ---------- */

struct worker;
/* One request of a parallel phase: 0 when acknowledged (HTTP 200), else -1. */
typedef int (*work_fn)(struct worker *w, long i);

struct par {
    work_fn fn;
    long max_n;
    double t0, deadline;
    atomic_long next;
    pthread_barrier_t bar;
};

struct worker {
    struct par *par;
    int id;
    pthread_t th;
    struct http http;
    void *arg; /* the phase's per-worker state */
    long ok, failed;
    double t_end;
    char first_error[160];
};

static int work_fail(struct worker *w, long status)
{
    if (!w->first_error[0])
        snprintf(w->first_error, sizeof(w->first_error), "status %ld: %.120s", status,
                 w->http.resp.buf);
    return -1;
}

static void *worker_main(void *a)
{
    struct worker *w = a;
    struct par *p = w->par;
    (void)http_do(&w->http, "/health", NULL, 0); /* open the keep-alive connection */
    pthread_barrier_wait(&p->bar);               /* everyone connected */
    pthread_barrier_wait(&p->bar);               /* the clock has started */
    for (;;) {
        long i = atomic_fetch_add(&p->next, 1);
        if (i >= p->max_n || now_s() >= p->deadline)
            break;
        if (p->fn(w, i) == 0)
            w->ok++;
        else
            w->failed++;
    }
    w->t_end = now_s();
    return NULL;
}

/* Runs fn(i) for i in 0..max_n-1 on n keep-alive clients, for at most max_s
 * seconds after every client has connected. ws[k].arg must be set by the
 * caller. Returns the elapsed seconds from the start to the last request. */
static double par_run(const char *base, struct worker *ws, int n, long max_n, double max_s,
                      work_fn fn)
{
    struct par p;
    p.fn = fn;
    p.max_n = max_n;
    p.deadline = 1e300;
    atomic_init(&p.next, 0);
    pthread_barrier_init(&p.bar, NULL, (unsigned)n + 1);
    int started = 0;
    for (int k = 0; k < n; k++) {
        ws[k].par = &p;
        ws[k].id = k;
        ws[k].ok = ws[k].failed = 0;
        ws[k].first_error[0] = '\0';
        if (http_init(&ws[k].http, base)) {
            fprintf(stderr, "tracking_bench: curl_easy_init failed\n");
            abort();
        }
        if (pthread_create(&ws[k].th, NULL, worker_main, &ws[k])) {
            fprintf(stderr, "tracking_bench: cannot start thread %d\n", k);
            abort();
        }
        started++;
    }
    pthread_barrier_wait(&p.bar);
    p.t0 = now_s();
    p.deadline = p.t0 + max_s;
    pthread_barrier_wait(&p.bar);
    double last = p.t0;
    for (int k = 0; k < started; k++) {
        pthread_join(ws[k].th, NULL);
        http_release(&ws[k].http);
        if (ws[k].t_end > last)
            last = ws[k].t_end;
    }
    pthread_barrier_destroy(&p.bar);
    return last - p.t0;
}

static void par_totals(const struct worker *ws, int n, long *ok, long *failed)
{
    *ok = *failed = 0;
    for (int k = 0; k < n; k++) {
        *ok += ws[k].ok;
        *failed += ws[k].failed;
        if (ws[k].first_error[0] && ws[k].failed)
            fprintf(stderr, "#   client %d: %ld failed, first: %s\n", k, ws[k].failed,
                    ws[k].first_error);
    }
}

/* ---------- the server process ---------- */

struct server {
    pid_t pid;
    int out_fd;
    char url[128];
};

static void child_exec(const char *ferry, const char *db, const char *dir, const char *log,
                       int out)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the benchmark */
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (dup2(out, 1) < 0 || fd < 0 || dup2(fd, 2) < 0 || chdir(dir) < 0)
        _exit(126);
    execl(ferry, ferry, "server", "--host", "127.0.0.1", "--port", "0", "--backend-store-uri", db,
          "--quiet", (char *)NULL);
    _exit(127);
}

/* Reads "ferry server listening on URL" from the server's stdout, polling
 * every millisecond until deadline. */
static int server_read_url(struct server *s, double deadline)
{
    char buf[512];
    size_t len = 0;
    while (now_s() < deadline && len < sizeof(buf) - 1) {
        struct pollfd pfd = {s->out_fd, POLLIN, 0};
        if (poll(&pfd, 1, 1) <= 0)
            continue;
        ssize_t r = read(s->out_fd, buf + len, sizeof(buf) - 1 - len);
        if (r <= 0)
            return -1; /* the server exited */
        len += (size_t)r;
        buf[len] = '\0';
        const char *nl = strchr(buf, '\n'), *at = strstr(buf, "listening on ");
        if (nl && at && at < nl) {
            at += strlen("listening on ");
            snprintf(s->url, sizeof(s->url), "%.*s", (int)(nl - at), at);
            return 0;
        }
    }
    return -1;
}

/* Starts the server on db; *t_exec is the time just before fork+exec. */
static int server_start(const char *ferry, const char *db, const char *dir, const char *log,
                        struct server *s, double *t_exec)
{
    int p[2];
    memset(s, 0, sizeof(*s));
    s->pid = -1;
    if (pipe(p) < 0)
        return -1;
    fflush(NULL);
    *t_exec = now_s();
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        child_exec(ferry, db, dir, log, p[1]);
    }
    close(p[1]);
    s->pid = pid;
    s->out_fd = p[0];
    if (server_read_url(s, now_s() + 15.0)) {
        fprintf(stderr, "tracking_bench: the server did not report its address; see %s\n", log);
        return -1;
    }
    return 0;
}

/* SIGTERM, then the exit status (-1 when it had to be killed). */
static int server_stop(struct server *s)
{
    int status = 0, rc = -1;
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    double deadline = now_s() + 20.0;
    for (;;) {
        pid_t r = waitpid(s->pid, &status, WNOHANG);
        if (r == s->pid) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (r < 0 || now_s() > deadline) {
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

/* VmRSS and VmHWM of pid in MB; -1 when unreadable. */
static int proc_mem(pid_t pid, double *rss, double *hwm)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    *rss = *hwm = NAN;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "VmRSS:", 6))
            *rss = strtod(line + 6, NULL) / 1024.0;
        else if (!strncmp(line, "VmHWM:", 6))
            *hwm = strtod(line + 6, NULL) / 1024.0;
    }
    fclose(f);
    return 0;
}

/* User + system CPU seconds pid has used; NaN when unreadable. */
static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return NAN;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return NAN;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct sbuf sb = SBUF_INIT;
        sbuf_addf(&sb, "%s/%s", path, e->d_name);
        rm_tree(sb.buf);
        sbuf_release(&sb);
    }
    closedir(d);
    rmdir(path);
}

/* ---------- what the phases share ---------- */

struct bench {
    const struct sizes *z;
    const char *base; /* the server's URL */
    pid_t server_pid; /* 0 with --url */
    char exp[32];     /* a fresh experiment for REST runs */
    char search_exp[32];
    long search_runs;     /* runs created for runs/search */
    long search_expected; /* how many a search must return */
    char history_run[64];
    long history_steps;
    double emb_history_ms; /* embedded store read, median */
    double emb_codec_ms;   /* JSON formatting alone, median */
    const char *only;      /* --only: comma-separated phases, NULL for all */
    long want_search_runs; /* --search-runs */
    int fatal;
};

/* Whether --only selects phase (every phase without --only). */
static int want(const struct bench *b, const char *phase)
{
    size_t n = strlen(phase);
    for (const char *p = b->only; p && *p; p += strcspn(p, ",")) {
        p += *p == ',';
        if (!strncmp(p, phase, n) && (p[n] == ',' || !p[n]))
            return 1;
    }
    return !b->only;
}

/* The values of search run i: acc uniform in [0,1), lr one of three. */
static const char *const lrs[] = {"0.01", "0.001", "0.1"};

static void search_values(long i, double *acc, const char **lr)
{
    *acc = unit_hash((uint64_t)i);
    *lr = lrs[i % 3];
}

static int search_matches(long i)
{
    double acc;
    const char *lr;
    search_values(i, &acc, &lr);
    return acc > 0.5 && !strcmp(lr, "0.01");
}

/* ---------- 1. start-up ---------- */

static int health_wait(struct http *c, double deadline)
{
    while (now_s() < deadline) {
        if (http_do(c, "/health", NULL, 0) == 200)
            return 0;
        sleep_ms(1);
    }
    return -1;
}

static void phase_startup(const char *ferry, const char *dir, const char *store,
                          const struct sizes *z)
{
    double t[16];
    int n = 0, clean = 1;
    fprintf(stderr, "# start-up: %d starts on %s\n", z->startup_reps,
            store ? store : "a fresh database each");
    for (int i = 0; i < z->startup_reps && i < 16; i++) {
        struct sbuf db = SBUF_INIT, log = SBUF_INIT;
        if (store)
            sbuf_addstr(&db, store);
        else
            sbuf_addf(&db, "%s/startup-%d.db", dir, i);
        sbuf_addf(&log, "%s/startup-%d.log", dir, i);
        struct server s;
        struct http c;
        double t0;
        if (http_init(&c, NULL))
            abort();
        if (!server_start(ferry, db.buf, dir, log.buf, &s, &t0)) {
            c.base = s.url;
            if (!health_wait(&c, t0 + 15.0))
                t[n++] = (now_s() - t0) * 1000.0;
        }
        http_release(&c);
        if (server_stop(&s) != 0)
            clean = 0;
        sbuf_release(&db);
        sbuf_release(&log);
    }
    fig("start-up: exec to first /health 200, median", percentile(t, (size_t)n, 50), "ms",
        CMP_LE, 50);
    check(n == z->startup_reps && clean, "start-up: every start served /health, exited 0",
          "%d of %d started", n, z->startup_reps);
}

/* ---------- 2-6. embedded: the store API on the benchmark database ---------- */

static void emb_create_runs(struct store *s, const struct sizes *z)
{
    struct ferr err = FERR_INIT;
    char *exp = NULL, name[64];
    /* unique: the store may be an earlier run's */
    snprintf(name, sizeof(name), "bench-embedded-create-%" PRId64, ftime_now_ms());
    if (store_create_experiment(s, name, NULL, NULL, &exp, &err)) {
        check(0, "embedded store_create_run", "%s", err.msg);
        return;
    }
    struct run_create rc = {exp, NULL, NULL, TIME_NONE, {0}};
    long n = 0;
    double t0 = now_s(), dl = t0 + z->create_s;
    while (n < z->create_n && now_s() < dl) {
        struct run r;
        if (store_create_run(s, &rc, &r, &err)) {
            check(0, "embedded store_create_run", "%s", err.msg);
            break;
        }
        run_release(&r);
        n++;
    }
    fig("runs created, embedded store_create_run", (double)n / (now_s() - t0), "runs/s",
        CMP_INFO, 0);
    free(exp);
}

/* The data an earlier run left in the store (--backend-store-uri names one):
 * the experiment `name` carries, once its data is complete, the tag `key`
 * (the number of runs or steps written) and for the history the tag
 * bench.run (its run id). 1 when found (*count set; run, when not NULL, the
 * run id), 0 when the store has no such experiment, -1 when it has one but
 * incomplete (a populate that was interrupted: start from a fresh store). */
static int bench_data_find(struct store *s, const char *name, const char *key, long *count,
                           char *run, size_t run_len, char *exp_id, size_t exp_len)
{
    struct experiment e;
    struct ferr err = FERR_INIT;
    memset(&e, 0, sizeof(e));
    if (store_get_experiment_by_name(s, name, &e, &err))
        return 0;
    const char *n = kv_list_get(&e.tags, key), *r = kv_list_get(&e.tags, "bench.run");
    int rc = n && (!run || r) ? 1 : -1;
    if (rc == 1) {
        *count = strtol(n, NULL, 10);
        if (run)
            snprintf(run, run_len, "%s", r);
        snprintf(exp_id, exp_len, "%s", e.experiment_id);
    }
    experiment_release(&e);
    return rc;
}

/* Marks the data of experiment exp complete (see bench_data_find). */
static int bench_data_done(struct store *s, const char *exp, const char *key, long count,
                           const char *run, struct ferr *err)
{
    char n[32];
    snprintf(n, sizeof(n), "%ld", count);
    if (run && store_set_experiment_tag(s, exp, "bench.run", run, err))
        return -1;
    return store_set_experiment_tag(s, exp, key, n, err);
}

/* Writes the history metric in batches of 1000 and times store_log_batch,
 * unless the store already holds it from an earlier run. */
static void emb_log_history(struct store *s, struct bench *b)
{
    struct ferr err = FERR_INIT;
    char *exp = NULL, name[64], exp_id[32];
    struct run r;
    struct run_create rc = {NULL, NULL, "history", TIME_NONE, {0}};
    snprintf(name, sizeof(name), "bench-history-%ld", b->z->history_steps);
    int found = bench_data_find(s, name, "bench.steps", &b->history_steps, b->history_run,
                                sizeof(b->history_run), exp_id, sizeof(exp_id));
    if (found) {
        if (found < 0) {
            check(0, "embedded store_log_batch", "experiment %s is incomplete", name);
            b->fatal = 1;
        } else {
            fprintf(stderr, "#   the store holds the %ld-step history already (run %s)\n",
                    b->history_steps, b->history_run);
        }
        return;
    }
    if (store_create_experiment(s, name, NULL, NULL, &exp, &err) ||
        (rc.experiment_id = exp, store_create_run(s, &rc, &r, &err))) {
        check(0, "embedded store_log_batch", "%s", err.msg);
        b->fatal = 1;
        free(exp);
        return;
    }
    snprintf(b->history_run, sizeof(b->history_run), "%s", r.info.run_id);
    run_release(&r);
    int64_t ts0 = ftime_now_ms();
    double spent = 0, dl = now_s() + b->z->populate_s;
    long step = 0;
    while (step < b->z->history_steps && now_s() < dl) {
        struct metric_list ml = {0};
        for (int j = 0; j < BATCH_MAX && step + j < b->z->history_steps; j++)
            metric_list_add(&ml, HISTORY_KEY, 1.0 / (double)(step + j + 1), ts0 + step + j,
                            step + j);
        double t0 = now_s();
        int rc2 = store_log_batch(s, b->history_run, &ml, NULL, NULL, &err);
        spent += now_s() - t0;
        step += (long)ml.n;
        metric_list_release(&ml);
        if (rc2) {
            check(0, "embedded store_log_batch", "%s", err.msg);
            break;
        }
    }
    b->history_steps = step;
    fig("log-batch x1000, embedded store_log_batch", (double)step / spent, "metrics/s", CMP_INFO,
        0);
    if (bench_data_done(s, exp, "bench.steps", step, b->history_run, &err))
        check(0, "embedded store_set_experiment_tag", "%s", err.msg);
    free(exp);
}

/* One search run: 3 params, 3 metrics, 2 tags, all through one log_batch. */
static int emb_search_run(struct store *s, const char *exp, long i, int64_t ts, struct ferr *err)
{
    struct run_create rc = {exp, NULL, NULL, TIME_NONE, {0}};
    struct run r;
    if (store_create_run(s, &rc, &r, err))
        return -1;
    double acc;
    const char *lr;
    char bs[16];
    search_values(i, &acc, &lr);
    snprintf(bs, sizeof(bs), "%ld", 16L << (i % 4));
    struct metric_list ml = {0};
    struct kv_list params = {0}, tags = {0};
    metric_list_add(&ml, "acc", acc, ts, 0);
    metric_list_add(&ml, "loss", 1.0 - acc, ts, 0);
    metric_list_add(&ml, "f1", acc * 0.9, ts, 0);
    kv_list_add(&params, "lr", lr);
    kv_list_add(&params, "batch_size", bs);
    kv_list_add(&params, "optimizer", i % 2 ? "adam" : "sgd");
    kv_list_add(&tags, "team", i % 2 ? "vision" : "nlp");
    kv_list_add(&tags, "stage", "bench");
    int rc2 = store_log_batch(s, r.info.run_id, &ml, &params, &tags, err);
    run_release(&r);
    metric_list_release(&ml);
    kv_list_release(&params);
    kv_list_release(&tags);
    return rc2;
}

static void emb_populate_search(struct store *s, struct bench *b)
{
    struct ferr err = FERR_INIT;
    char *exp = NULL, name[64];
    long want_runs = b->want_search_runs > 0 ? b->want_search_runs : b->z->search_runs, i = 0,
         matches = 0;
    snprintf(name, sizeof(name), "bench-search-%ld", want_runs);
    int found = bench_data_find(s, name, "bench.runs", &b->search_runs, NULL, 0, b->search_exp,
                                sizeof(b->search_exp));
    if (found < 0) {
        check(0, "populate runs/search data", "experiment %s is incomplete", name);
        b->fatal = 1;
    }
    if (found) {
        for (; i < b->search_runs; i++)
            matches += search_matches(i);
        b->search_expected = matches < SEARCH_MAX ? matches : SEARCH_MAX;
        fprintf(stderr, "#   the store holds the %ld search runs already, %ld match the filter\n",
                b->search_runs, matches);
        return;
    }
    if (store_create_experiment(s, name, NULL, NULL, &exp, &err)) {
        check(0, "populate runs/search data", "%s", err.msg);
        b->fatal = 1;
        return;
    }
    snprintf(b->search_exp, sizeof(b->search_exp), "%s", exp);
    free(exp);
    int64_t ts = ftime_now_ms();
    double t0 = now_s(), dl = t0 + b->z->populate_s;
    for (; i < want_runs && now_s() < dl; i++) {
        if (emb_search_run(s, b->search_exp, i, ts, &err)) {
            check(0, "populate runs/search data", "%s", err.msg);
            break;
        }
        matches += search_matches(i);
    }
    b->search_runs = i;
    b->search_expected = matches < SEARCH_MAX ? matches : SEARCH_MAX;
    fprintf(stderr, "#   %ld search runs (create + log_batch) in %.2f s, %ld match the filter\n",
            i, now_s() - t0, matches);
    if (bench_data_done(s, b->search_exp, "bench.runs", i, NULL, &err))
        check(0, "embedded store_set_experiment_tag", "%s", err.msg);
}

static void emb_search(struct store *s, struct bench *b)
{
    const char *ids[] = {b->search_exp}, *order[] = {SEARCH_ORDER};
    struct run_search q = {ids, 1, SEARCH_FILTER, VIEW_ACTIVE_ONLY, SEARCH_MAX, order, 1, NULL};
    double *t = xcalloc((size_t)b->z->search_reps, sizeof(*t));
    int n = 0;
    long got = -1;
    struct ferr err = FERR_INIT;
    double dl = now_s() + b->z->search_s;
    while (n < b->z->search_reps && now_s() < dl) {
        struct run_list l;
        double t0 = now_s();
        if (store_search_runs(s, &q, &l, &err)) {
            check(0, "embedded store_search_runs", "%s", err.msg);
            break;
        }
        t[n++] = (now_s() - t0) * 1000.0;
        got = (long)l.n;
        run_list_release(&l);
    }
    char name[96];
    snprintf(name, sizeof(name), "runs/search over %ld runs, embedded, median", b->search_runs);
    fig(name, percentile(t, (size_t)n, 50), "ms", CMP_INFO, 0);
    fig("runs/search, embedded, p90", percentile(t, (size_t)n, 90), "ms", CMP_INFO, 0);
    check(got == b->search_expected, "embedded search returns the matching runs",
          "%ld returned, %ld expected", got, b->search_expected);
    free(t);
}

static void emb_history(struct store *s, struct bench *b)
{
    double *tr = xcalloc((size_t)b->z->history_reps, sizeof(*tr));
    double *tf = xcalloc((size_t)b->z->history_reps, sizeof(*tf));
    int n = 0;
    long got = -1;
    size_t bytes = 0;
    struct ferr err = FERR_INIT;
    double dl = now_s() + b->z->history_s;
    while (n < b->z->history_reps && now_s() < dl) {
        struct metric_list l;
        char *next = NULL;
        double t0 = now_s();
        if (store_get_metric_history(s, b->history_run, HISTORY_KEY, 0, NULL, &l, &next, &err)) {
            check(0, "embedded store_get_metric_history", "%s", err.msg);
            break;
        }
        double t1 = now_s();
        struct sbuf sb = SBUF_INIT;
        codec_write_metrics_response(&sb, &l, next);
        tr[n] = (t1 - t0) * 1000.0;
        tf[n++] = (now_s() - t1) * 1000.0;
        got = (long)l.n;
        bytes = sb.len;
        sbuf_release(&sb);
        metric_list_release(&l);
        free(next);
    }
    b->emb_history_ms = percentile(tr, (size_t)n, 50);
    b->emb_codec_ms = percentile(tf, (size_t)n, 50);
    char name[96];
    snprintf(name, sizeof(name), "get-history %ld steps, embedded store read, median",
             b->history_steps);
    fig(name, b->emb_history_ms, "ms", CMP_INFO, 0);
    fig("get-history, JSON formatting alone (codec), median", b->emb_codec_ms, "ms", CMP_INFO, 0);
    check(got == b->history_steps, "embedded history returns every step",
          "%ld of %ld, %zu bytes of JSON", got, b->history_steps, bytes);
    free(tr);
    free(tf);
}

static int phase_embedded(const char *db, struct bench *b)
{
    struct store *s = NULL;
    struct store_opts o = STORE_OPTS_INIT;
    struct ferr err = FERR_INIT;
    o.group_commit = 0;
    fprintf(stderr, "# embedded store on %s\n", db);
    if (store_open(db, &o, &s, &err)) {
        check(0, "embedded store_open", "%s", err.msg);
        return -1;
    }
    emb_create_runs(s, b->z);
    emb_log_history(s, b);
    emb_populate_search(s, b);
    if (!b->fatal) {
        emb_search(s, b);
        emb_history(s, b);
    }
    store_close(s);
    return b->fatal ? -1 : 0;
}

/* ---------- 2. runs/create over REST ---------- */

static double server_cpu(const struct bench *b)
{
    return b->server_pid ? proc_cpu_s(b->server_pid) : NAN;
}

/* The server's memory now, on stderr: shows which phase grows it. */
static void note_rss(const struct bench *b)
{
    char path[64], line[256];
    if (!b->server_pid)
        return;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)b->server_pid);
    FILE *f = fopen(path, "r");
    fprintf(stderr, "#   server now:");
    while (f && fgets(line, sizeof(line), f)) {
        static const char *const keys[] = {"VmRSS:", "VmHWM:", "RssAnon:", "RssFile:",
                                           "RssShmem:", "Threads:"};
        for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
            if (!strncmp(line, keys[i], strlen(keys[i])))
                fprintf(stderr, " %s %.1f%s", keys[i], strtod(line + strlen(keys[i]), NULL) /
                        (i < 5 ? 1024.0 : 1.0), i < 5 ? "M" : "");
    }
    fprintf(stderr, "\n");
    if (f)
        fclose(f);
}

/* The server's CPU time per acknowledged request since cpu0, so a throughput
 * figure can be read against what it cost. */
static void server_cost(const struct bench *b, const char *what, double cpu0, long ok)
{
    if (!b->server_pid || !ok)
        return;
    char name[96];
    snprintf(name, sizeof(name), "  server CPU per request, %s", what);
    fig(name, (server_cpu(b) - cpu0) * 1e6 / (double)ok, "us", CMP_INFO, 0);
    note_rss(b);
}

static int create_fn(struct worker *w, long i)
{
    char body[160];
    (void)i;
    int n = snprintf(body, sizeof(body), "{\"experiment_id\":\"%s\",\"start_time\":%" PRId64 "}",
                     (const char *)w->arg, ftime_now_ms());
    long st = http_do(&w->http, API "runs/create", body, (size_t)n);
    return st == 200 ? 0 : work_fail(w, st);
}

static void rest_runs_create(struct bench *b)
{
    struct worker w;
    memset(&w, 0, sizeof(w));
    w.arg = b->exp;
    fprintf(stderr, "# runs/create, 1 client\n");
    double cpu0 = server_cpu(b);
    double el = par_run(b->base, &w, 1, b->z->create_n, b->z->create_s, create_fn);
    long ok, failed;
    par_totals(&w, 1, &ok, &failed);
    fig("runs created, REST runs/create, 1 client", (double)ok / el, "runs/s", CMP_INFO, 0);
    server_cost(b, "runs/create", cpu0, ok);
    check(failed == 0, "runs/create: no failed request", "%ld ok, %ld failed", ok, failed);
}

/* ---------- 3. log-metric over REST ---------- */

struct lm_state {
    char run_id[64];
    long step;
    int64_t ts0;
};

static int lm_fn(struct worker *w, long i)
{
    struct lm_state *st = w->arg;
    char body[256];
    (void)i;
    long step = st->step++;
    int n = snprintf(body, sizeof(body),
                     "{\"run_id\":\"%s\",\"key\":\"lm\",\"value\":%ld.25,\"timestamp\":%" PRId64
                     ",\"step\":%ld}",
                     st->run_id, step, st->ts0 + step, step);
    long status = http_do(&w->http, API "runs/log-metric", body, (size_t)n);
    return status == 200 ? 0 : work_fail(w, status);
}

/* Every acknowledged point must be in its run's history. */
static void verify_counts(struct bench *b, const char *what, struct worker *ws, int n,
                          const char *const *run_ids, const char *key, long per_ack)
{
    struct http c;
    long acked = 0, stored = 0, bad = 0;
    if (http_init(&c, b->base))
        abort();
    for (int k = 0; k < n; k++) {
        long got = rest_history_count(&c, run_ids[k], key);
        acked += ws[k].ok * per_ack;
        stored += got;
        if (got < ws[k].ok * per_ack)
            bad++;
    }
    http_release(&c);
    check(bad == 0, what, "%ld acknowledged, %ld stored, %ld runs short", acked, stored, bad);
}

static void rest_log_metric(struct bench *b, int nthreads, long max_n, double max_s,
                            double target)
{
    struct worker *ws = xcalloc((size_t)nthreads, sizeof(*ws));
    struct lm_state *st = xcalloc((size_t)nthreads, sizeof(*st));
    const char **ids = xcalloc((size_t)nthreads, sizeof(*ids));
    struct http c;
    char name[96];
    if (http_init(&c, b->base))
        abort();
    fprintf(stderr, "# log-metric, %d keep-alive client(s), each on its own run\n", nthreads);
    for (int k = 0; k < nthreads; k++) {
        if (rest_create_run(&c, b->exp, st[k].run_id, sizeof(st[k].run_id))) {
            check(0, "log-metric: create runs", "runs/create failed");
            goto out;
        }
        st[k].ts0 = ftime_now_ms();
        ws[k].arg = &st[k];
        ids[k] = st[k].run_id;
    }
    double cpu0 = server_cpu(b);
    double el = par_run(b->base, ws, nthreads, max_n, max_s, lm_fn);
    long ok, failed;
    par_totals(ws, nthreads, &ok, &failed);
    snprintf(name, sizeof(name), "log-metric, REST, %d keep-alive connection%s", nthreads,
             nthreads > 1 ? "s" : "");
    fig(name, (double)ok / el, "req/s", CMP_GE, target);
    snprintf(name, sizeof(name), "log-metric x%d", nthreads);
    server_cost(b, name, cpu0, ok);
    snprintf(name, sizeof(name), "log-metric x%d: every acknowledged metric stored", nthreads);
    verify_counts(b, name, ws, nthreads, ids, "lm", 1);
    if (failed)
        check(0, "log-metric: no failed request", "%ld ok, %ld failed", ok, failed);
out:
    http_release(&c);
    free(ws);
    free(st);
    free(ids);
}

/* ---------- 4. log-batch over REST ---------- */

#define NUM_WIDTH 12

struct lb_state {
    char run_id[64];
    struct sbuf body;
    size_t off[BATCH_MAX]; /* where each step number goes */
    long nreq;
};

/* Writes v right-aligned into a NUM_WIDTH field of spaces (valid JSON). */
static void put_num(char *p, long v)
{
    memset(p, ' ', NUM_WIDTH);
    int k = NUM_WIDTH;
    do {
        p[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v && k);
}

/* The body once, with blank step fields that each request fills in. */
static void lb_template(struct lb_state *st, const char *key, int64_t ts)
{
    sbuf_init(&st->body, 96 * BATCH_MAX);
    sbuf_addf(&st->body, "{\"run_id\":\"%s\",\"metrics\":[", st->run_id);
    for (int j = 0; j < BATCH_MAX; j++) {
        sbuf_addf(&st->body, "%s{\"key\":\"%s\",\"value\":0.123456789,\"timestamp\":%" PRId64
                  ",\"step\":", j ? "," : "", key, ts + j);
        st->off[j] = st->body.len;
        sbuf_addf(&st->body, "%*s}", NUM_WIDTH, "");
    }
    sbuf_addstr(&st->body, "]}");
}

static int lb_fn(struct worker *w, long i)
{
    struct lb_state *st = w->arg;
    (void)i;
    long base = st->nreq++ * BATCH_MAX;
    for (int j = 0; j < BATCH_MAX; j++)
        put_num(st->body.buf + st->off[j], base + j);
    long status = http_do(&w->http, API "runs/log-batch", st->body.buf, st->body.len);
    return status == 200 ? 0 : work_fail(w, status);
}

static void rest_log_batch(struct bench *b, int nclients)
{
    struct worker ws[8];
    struct lb_state *st = xcalloc((size_t)nclients, sizeof(*st));
    const char *ids[8];
    struct http c;
    char name[96];
    memset(ws, 0, sizeof(ws));
    if (http_init(&c, b->base))
        abort();
    fprintf(stderr, "# log-batch of %d metrics, %d client(s)\n", BATCH_MAX, nclients);
    int k = 0;
    for (; k < nclients; k++) {
        if (rest_create_run(&c, b->exp, st[k].run_id, sizeof(st[k].run_id)))
            break;
        lb_template(&st[k], "lb", ftime_now_ms());
        ws[k].arg = &st[k];
        ids[k] = st[k].run_id;
    }
    if (k == nclients) {
        double cpu0 = server_cpu(b);
        double el = par_run(b->base, ws, nclients, b->z->batch_n, b->z->batch_s, lb_fn);
        long ok, failed;
        par_totals(ws, nclients, &ok, &failed);
        snprintf(name, sizeof(name), "log-batch x%d, REST, %d client%s", BATCH_MAX, nclients,
                 nclients > 1 ? "s" : "");
        fig(name, (double)ok * BATCH_MAX / el, "metrics/s", CMP_GE, 400000);
        snprintf(name, sizeof(name), "log-batch x%d (1000 metrics)", nclients);
        server_cost(b, name, cpu0, ok);
        snprintf(name, sizeof(name), "log-batch x%d: every acknowledged metric stored", nclients);
        verify_counts(b, name, ws, nclients, ids, "lb", BATCH_MAX);
        if (failed)
            check(0, "log-batch: no failed request", "%ld ok, %ld failed", ok, failed);
    } else {
        check(0, "log-batch: create runs", "runs/create failed");
    }
    for (int j = 0; j < k; j++)
        sbuf_release(&st[j].body);
    http_release(&c);
    free(st);
}

/* ---------- 5. runs/search over REST ---------- */

/* The number of runs in a search answer, -1 when it is not ordered by acc. */
static long search_answer_count(const struct sbuf *resp)
{
    json_t *r = json_loadb(resp->buf, resp->len, 0, NULL), *run;
    json_t *runs = json_object_get(r, "runs");
    double prev = INFINITY;
    size_t i;
    long n = r ? 0 : -1;
    json_array_foreach(runs, i, run)
    {
        json_t *m, *ms = json_object_get(json_object_get(run, "data"), "metrics");
        size_t j;
        json_array_foreach(ms, j, m)
        {
            if (strcmp(json_string_value(json_object_get(m, "key")), "acc"))
                continue;
            double v = json_number_value(json_object_get(m, "value"));
            if (v > prev)
                n = -1;
            prev = v;
        }
        if (n >= 0)
            n++;
    }
    json_decref(r);
    return n;
}

static void rest_search(struct bench *b)
{
    struct http c;
    double *t = xcalloc((size_t)b->z->search_reps, sizeof(*t));
    int n = 0;
    long got = -2, st = 0;
    size_t bytes = 0;
    if (http_init(&c, b->base))
        abort();
    json_t *q = json_pack("{s:[s],s:s,s:[s],s:i}", "experiment_ids", b->search_exp, "filter",
                          SEARCH_FILTER, "order_by", SEARCH_ORDER, "max_results", SEARCH_MAX);
    char *body = json_dumps(q, JSON_COMPACT);
    json_decref(q);
    fprintf(stderr, "# runs/search over %ld runs, %d repetitions\n", b->search_runs,
            b->z->search_reps);
    (void)http_do(&c, "/health", NULL, 0);
    double dl = now_s() + b->z->search_s;
    while (n < b->z->search_reps && now_s() < dl) {
        double t0 = now_s();
        st = http_do(&c, API "runs/search", body, strlen(body));
        if (st != 200)
            break;
        t[n++] = (now_s() - t0) * 1000.0;
        if (n == 1) {
            got = search_answer_count(&c.resp);
            bytes = c.resp.len;
        }
    }
    char name[96];
    snprintf(name, sizeof(name), "runs/search over %ld runs, REST, median", b->search_runs);
    fig(name, percentile(t, (size_t)n, 50), "ms", CMP_LE, 10);
    fig("runs/search, REST, p90", percentile(t, (size_t)n, 90), "ms", CMP_INFO, 0);
    check(got == b->search_expected && n > 0, "REST search returns the matching runs in order",
          "%ld returned (-1: misordered), %ld expected, %zu bytes, last status %ld", got,
          b->search_expected, bytes, st);
    note_rss(b);
    free(body);
    free(t);
    http_release(&c);
}

/* ---------- 6. metrics/get-history over REST ---------- */

static void rest_history(struct bench *b)
{
    struct http c;
    double *t = xcalloc((size_t)b->z->history_reps, sizeof(*t));
    int n = 0;
    long got = -1, st = 0;
    size_t bytes = 0;
    char path[256], name[96];
    if (http_init(&c, b->base))
        abort();
    snprintf(path, sizeof(path), API "metrics/get-history?run_id=%s&metric_key=%s",
             b->history_run, HISTORY_KEY);
    fprintf(stderr, "# metrics/get-history of %ld steps, %d repetitions\n", b->history_steps,
            b->z->history_reps);
    (void)http_do(&c, "/health", NULL, 0);
    double dl = now_s() + b->z->history_s;
    while (n < b->z->history_reps && now_s() < dl) {
        double t0 = now_s();
        st = http_do(&c, path, NULL, 0);
        if (st != 200)
            break;
        t[n++] = (now_s() - t0) * 1000.0;
        bytes = c.resp.len;
    }
    if (n) {
        json_t *r = json_loadb(c.resp.buf, c.resp.len, 0, NULL);
        got = (long)json_array_size(json_object_get(r, "metrics"));
        json_decref(r);
    }
    double med = percentile(t, (size_t)n, 50);
    snprintf(name, sizeof(name), "get-history %ld steps, REST, median", b->history_steps);
    fig(name, med, "ms", CMP_LE, 50);
    fig("get-history, REST response size", (double)bytes / 1e6, "MB", CMP_INFO, 0);
    if (!isnan(b->emb_history_ms))
        fig("get-history, REST minus embedded store read", med - b->emb_history_ms, "ms",
            CMP_INFO, 0);
    check(got == b->history_steps, "REST history returns every step", "%ld of %ld, status %ld",
          got, b->history_steps, st);
    note_rss(b);
    free(t);
    http_release(&c);
}

/* ---------- data for --url: the same runs, created over REST ---------- */

struct pop_state {
    const char *exp;
    atomic_long matches;
};

static int pop_fn(struct worker *w, long i)
{
    struct pop_state *ps = w->arg;
    char run[64], body[1024];
    if (rest_create_run(&w->http, ps->exp, run, sizeof(run)))
        return work_fail(w, 0);
    double acc;
    const char *lr;
    int64_t ts = ftime_now_ms();
    search_values(i, &acc, &lr);
    int n = snprintf(
        body, sizeof(body),
        "{\"run_id\":\"%s\",\"metrics\":[{\"key\":\"acc\",\"value\":%.17g,\"timestamp\":%" PRId64
        ",\"step\":0},{\"key\":\"loss\",\"value\":%.17g,\"timestamp\":%" PRId64
        ",\"step\":0},{\"key\":\"f1\",\"value\":%.17g,\"timestamp\":%" PRId64
        ",\"step\":0}],\"params\":[{\"key\":\"lr\",\"value\":\"%s\"},{\"key\":\"batch_size\","
        "\"value\":\"%ld\"},{\"key\":\"optimizer\",\"value\":\"%s\"}],\"tags\":[{\"key\":"
        "\"team\",\"value\":\"%s\"},{\"key\":\"stage\",\"value\":\"bench\"}]}",
        run, acc, ts, 1.0 - acc, ts, acc * 0.9, ts, lr, 16L << (i % 4), i % 2 ? "adam" : "sgd",
        i % 2 ? "vision" : "nlp");
    long st = http_do(&w->http, API "runs/log-batch", body, (size_t)n);
    if (st != 200)
        return work_fail(w, st);
    if (search_matches(i))
        atomic_fetch_add(&ps->matches, 1);
    return 0;
}

static int rest_populate(struct bench *b)
{
    struct http c;
    char name[64];
    int rc = -1;
    if (http_init(&c, b->base))
        abort();
    snprintf(name, sizeof(name), "bench-search-%" PRId64, ftime_now_ms());
    fprintf(stderr, "# populating %ld search runs and a %ld-step history over REST\n",
            b->z->search_runs, b->z->history_steps);
    if (rest_create_experiment(&c, name, b->search_exp, sizeof(b->search_exp)) ||
        rest_create_run(&c, b->exp, b->history_run, sizeof(b->history_run)))
        goto out;
    struct worker ws[4];
    struct pop_state ps;
    memset(ws, 0, sizeof(ws));
    ps.exp = b->search_exp;
    atomic_init(&ps.matches, 0);
    for (int k = 0; k < 4; k++)
        ws[k].arg = &ps;
    long ok, failed;
    par_run(b->base, ws, 4, b->z->search_runs, b->z->populate_s, pop_fn);
    par_totals(ws, 4, &ok, &failed);
    b->search_runs = ok;
    long m = atomic_load(&ps.matches);
    b->search_expected = m < SEARCH_MAX ? m : SEARCH_MAX;

    struct lb_state *st = xcalloc(1, sizeof(*st));
    snprintf(st->run_id, sizeof(st->run_id), "%s", b->history_run);
    lb_template(st, HISTORY_KEY, ftime_now_ms());
    ws[0].arg = st;
    par_run(b->base, ws, 1, b->z->history_steps / BATCH_MAX, b->z->populate_s, lb_fn);
    b->history_steps = ws[0].ok * BATCH_MAX;
    sbuf_release(&st->body);
    free(st);
    rc = failed ? -1 : 0;
out:
    if (rc)
        check(0, "populate over REST", "could not create the search or history data");
    http_release(&c);
    return rc;
}

/* ---------- 7. memory and the wrk cross-check ---------- */

static void server_memory(struct bench *b, const char *when, int with_target)
{
    double rss, hwm;
    char name[96];
    if (proc_mem(b->server_pid, &rss, &hwm)) {
        check(0, "server memory", "cannot read /proc/%d/status", (int)b->server_pid);
        return;
    }
    snprintf(name, sizeof(name), "server VmRSS %s", when);
    fig(name, rss, "MB", with_target ? CMP_LE : CMP_INFO, 20);
    if (with_target)
        fig("server VmHWM (peak RSS) after the run", hwm, "MB", CMP_INFO, 20);
}

static void run_wrk(struct bench *b, const char *script)
{
    struct http c;
    char run[64], cmd[1024], line[512];
    double rps = NAN;
    long reqs = -1, non2xx = 0;
    if (http_init(&c, b->base))
        abort();
    if (rest_create_run(&c, b->exp, run, sizeof(run))) {
        check(0, "wrk cross-check", "runs/create failed");
        http_release(&c);
        return;
    }
    setenv("RUN_ID", run, 1);
    snprintf(cmd, sizeof(cmd), "wrk -t2 -c64 -d%ds -s '%s' '%s' 2>&1", b->z->wrk_seconds, script,
             b->base);
    fprintf(stderr, "# %s (RUN_ID=%s)\n", cmd, run);
    FILE *p = popen(cmd, "r");
    while (p && fgets(line, sizeof(line), p)) {
        fprintf(stderr, "#   wrk: %s", line);
        if (!strncmp(line, "Requests/sec:", 13))
            rps = strtod(line + 13, NULL);
        else if (strstr(line, "Non-2xx or 3xx responses:"))
            non2xx = strtol(strchr(line, ':') + 1, NULL, 10);
        else if (strstr(line, " requests in "))
            reqs = strtol(line, NULL, 10);
    }
    int st = p ? pclose(p) : -1;
    char name[96];
    snprintf(name, sizeof(name), "wrk -t2 -c64 -d%ds log-metric (cross-check)", b->z->wrk_seconds);
    fig(name, rps, "req/s", CMP_GE, 20000);
    long stored = 0;
    for (int t = 1; t <= 2; t++) {
        char key[16];
        snprintf(key, sizeof(key), "wrk_t%d", t);
        long got = rest_history_count(&c, run, key);
        stored += got > 0 ? got : 0;
    }
    check(st == 0 && reqs >= 0 && non2xx == 0 && stored >= reqs,
          "wrk: every completed request stored", "%ld completed, %ld non-2xx, %ld stored", reqs,
          non2xx, stored);
    http_release(&c);
}

/* ---------- output ---------- */

static void print_table(const struct machine *m, const char *mode, const char *cmdline)
{
    char v[32], t[32], s[32];
    printf("\nferry tracking benchmark (%s)\n", mode);
    printf("machine: %ld cpus, %s, kernel %s, %s\n", m->nproc, m->cpu, m->kernel, m->date);
    printf("command: %s\n\n", cmdline);
    printf("%-56s %12s %-10s %12s  %s\n", "figure", "value", "unit", "target", "status");
    printf("%-56s %12s %-10s %12s  %s\n", "------", "-----", "----", "------", "------");
    for (int i = 0; i < nfigs; i++) {
        const struct figure *f = &figs[i];
        fmt_num(f->value, v, sizeof(v));
        if (f->cmp == CMP_INFO) {
            snprintf(t, sizeof(t), "-");
        } else {
            char n[24];
            fmt_num(f->target, n, sizeof(n));
            snprintf(t, sizeof(t), "%s %s", f->cmp == CMP_GE ? ">=" : "<=", n);
        }
        fig_status(f, s, sizeof(s));
        printf("%-56s %12s %-10s %12s  %s\n", f->name, v, f->unit, t, s);
    }
    printf("\nchecks:\n");
    for (int i = 0; i < nchecks; i++)
        printf("  %-6s %s (%s)\n", checks[i].ok ? "ok" : "FAILED", checks[i].name,
               checks[i].detail);
    printf("\n");
}

static json_t *num_or_null(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static void print_json(const struct machine *m, const char *mode, int quick, const char *url,
                       int all_ok)
{
    json_t *fa = json_array(), *ca = json_array();
    char s[32];
    for (int i = 0; i < nfigs; i++) {
        const struct figure *f = &figs[i];
        fig_status(f, s, sizeof(s));
        json_array_append_new(
            fa, json_pack("{s:s,s:o,s:s,s:o,s:o,s:s}", "name", f->name, "value",
                          num_or_null(f->value), "unit", f->unit, "target",
                          f->cmp == CMP_INFO ? json_null() : json_real(f->target), "cmp",
                          f->cmp == CMP_INFO ? json_null()
                                             : json_string(f->cmp == CMP_GE ? ">=" : "<="),
                          "status", s));
    }
    for (int i = 0; i < nchecks; i++)
        json_array_append_new(ca, json_pack("{s:s,s:b,s:s}", "name", checks[i].name, "ok",
                                            checks[i].ok, "detail", checks[i].detail));
    json_t *doc = json_pack("{s:s,s:s,s:b,s:s?,s:{s:I,s:s,s:s,s:s},s:o,s:o,s:b}", "bench",
                            "ferry-tracking", "mode", mode, "quick", quick, "url", url,
                            "machine", "nproc", (json_int_t)m->nproc, "cpu", m->cpu, "kernel",
                            m->kernel, "date", m->date, "figures", fa, "checks", ca, "ok",
                            all_ok);
    char *line = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6));
    printf("%s\n", line ? line : "{}");
    free(line);
    json_decref(doc);
}

/* ---------- main ---------- */

static const char usage[] =
    "usage: tracking_bench [--ferry PATH] [--url http://127.0.0.1:PORT] [--quick]\n"
    "                      [--wrk[=SCRIPT]] [--only PHASES] [--keep]\n"
    "                      [--backend-store-uri URI] [--search-runs N]\n"
    "\n"
    "  --ferry PATH   the ferry binary to start (default build/ferry)\n"
    "  --url URL      measure this running server over REST instead (no start-up,\n"
    "                 embedded or memory figures)\n"
    "  --backend-store-uri URI\n"
    "                 the store (sqlite:///path, postgresql://...) instead of a fresh\n"
    "                 SQLite file: the embedded phase writes the search and history\n"
    "                 data there, unless an earlier run did, and the spawned server\n"
    "                 serves it (start-up figures are then starts on that store);\n"
    "                 with --url the servers at URL must be serving that store\n"
    "  --search-runs N  runs for runs/search (default 5000)\n"
    "  --quick        tiny sizes: a smoke run of a few seconds\n"
    "  --wrk[=FILE]   also run wrk -t2 -c64 with FILE (default bench/wrk/log_metric.lua)\n"
    "  --only PHASES  comma-separated subset of startup,create,metric,batch,search,\n"
    "                 history,wrk (for profiling; the embedded phase always runs\n"
    "                 when ferry is started, it writes the search and history data)\n"
    "  --keep         keep the temporary directory (database, server log)\n";

struct opts {
    const char *ferry, *url, *wrk, *only, *store;
    long search_runs;
    int quick, keep;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"ferry", required_argument, NULL, 'f'}, {"url", required_argument, NULL, 'u'},
        {"quick", no_argument, NULL, 'q'},       {"wrk", optional_argument, NULL, 'w'},
        {"keep", no_argument, NULL, 'k'},        {"help", no_argument, NULL, 'h'},
        {"only", required_argument, NULL, 'o'},
        {"backend-store-uri", required_argument, NULL, 's'},
        {"search-runs", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(o, 0, sizeof(*o));
    o->ferry = "build/ferry";
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o->ferry = optarg;
            break;
        case 'u':
            o->url = optarg;
            break;
        case 'q':
            o->quick = 1;
            break;
        case 'w':
            o->wrk = optarg ? optarg : "bench/wrk/log_metric.lua";
            break;
        case 'k':
            o->keep = 1;
            break;
        case 'o':
            o->only = optarg;
            break;
        case 's':
            o->store = optarg;
            break;
        case 'n': {
            char *end;
            o->search_runs = strtol(optarg, &end, 10);
            if (*end || o->search_runs < 1 || o->search_runs > 10000000) {
                fprintf(stderr, "tracking_bench: --search-runs takes 1..10000000\n");
                return -1;
            }
            break;
        }
        case 'h':
            fputs(usage, stdout);
            exit(0);
        default:
            fputs(usage, stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tracking_bench: unexpected argument '%s'\n%s", argv[optind], usage);
        return -1;
    }
    return 0;
}

/* The REST measurements, in the order. */
static void phase_rest(struct bench *b)
{
    struct http c;
    char name[64];
    if (http_init(&c, b->base))
        abort();
    snprintf(name, sizeof(name), "bench-rest-%" PRId64, ftime_now_ms());
    if (rest_create_experiment(&c, name, b->exp, sizeof(b->exp))) {
        check(0, "create the REST experiment", "experiments/create failed");
        b->fatal = 1;
        http_release(&c);
        return;
    }
    http_release(&c);
    /* --url without a store of ours: the data go in over REST */
    if (!b->search_runs && !b->history_steps && (want(b, "search") || want(b, "history")) &&
        rest_populate(b))
        return;
    if (want(b, "create"))
        rest_runs_create(b);
    if (want(b, "metric")) {
        rest_log_metric(b, 1, b->z->lm_seq_n, b->z->lm_seq_s, 5000);
        rest_log_metric(b, b->z->lm_threads, b->z->lm_conc_n, b->z->lm_conc_s, 20000);
    }
    if (want(b, "batch")) {
        rest_log_batch(b, 1);
        rest_log_batch(b, 4);
    }
    if (b->search_runs && want(b, "search"))
        rest_search(b);
    if (b->history_steps && want(b, "history"))
        rest_history(b);
}

/* Start-up, embedded figures, then REST against our own server. */
static int run_spawned(const struct opts *o, struct bench *b, char *dir)
{
    char *ferry = realpath(o->ferry, NULL);
    struct sbuf db = SBUF_INIT, log = SBUF_INIT;
    struct server s;
    double t0;
    int rc = -1;
    if (!ferry || access(ferry, X_OK)) {
        fprintf(stderr, "tracking_bench: no ferry binary at '%s' (build it with make, or "
                        "pass --ferry or --url)\n", o->ferry);
        free(ferry);
        return -1;
    }
    if (want(b, "startup"))
        phase_startup(ferry, dir, o->store, b->z);
    if (o->store)
        sbuf_addstr(&db, o->store);
    else
        sbuf_addf(&db, "%s/bench.db", dir);
    sbuf_addf(&log, "%s/server.log", dir);
    if (phase_embedded(db.buf, b))
        goto out;
    fprintf(stderr, "# starting %s server on %s\n", ferry, db.buf);
    if (server_start(ferry, db.buf, dir, log.buf, &s, &t0)) {
        server_stop(&s);
        goto out;
    }
    struct http c;
    if (http_init(&c, s.url))
        abort();
    int up = health_wait(&c, now_s() + 15.0);
    http_release(&c);
    b->base = s.url;
    b->server_pid = s.pid;
    if (!up) {
        server_memory(b, "idle, after start", 0);
        phase_rest(b);
        if (o->wrk && want(b, "wrk"))
            run_wrk(b, o->wrk);
        /* The server trims its heap after each busy second; steady state is
         * what a user sees, the instant figure is kept for comparison. */
        server_memory(b, "at the last request", 0);
        struct timespec idle = {1, 500 * 1000 * 1000};
        nanosleep(&idle, NULL);
        server_memory(b, "after the run (idle 1.5 s)", 1);
    }
    int st = server_stop(&s);
    check(up == 0 && st == 0, "server answered and exited 0 on SIGTERM", "exit status %d; log %s",
          st, log.buf);
    rc = 0;
out:
    sbuf_release(&db);
    sbuf_release(&log);
    free(ferry);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct machine m;
    struct bench b;
    struct sbuf cmdline = SBUF_INIT;
    char dir[] = "/tmp/ferry-bench-XXXXXX";
    int rc;
    if (parse_opts(argc, argv, &o))
        return 2;
    for (int i = 0; i < argc; i++)
        sbuf_addf(&cmdline, "%s%s", i ? " " : "", argv[i]);
    memset(&b, 0, sizeof(b));
    b.z = o.quick ? &quick_sizes : &full_sizes;
    b.only = o.only;
    b.want_search_runs = o.search_runs;
    b.emb_history_ms = b.emb_codec_ms = NAN;
    machine_read(&m);
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
        fprintf(stderr, "tracking_bench: curl_global_init failed\n");
        return 1;
    }
    if (o.url) {
        b.base = o.url;
        /* the data (and the embedded figures) through our own connection to the store */
        if (!o.store || !phase_embedded(o.store, &b))
            phase_rest(&b);
        if (o.wrk && !b.fatal && want(&b, "wrk"))
            run_wrk(&b, o.wrk);
        rc = 0;
    } else {
        if (!mkdtemp(dir)) {
            fprintf(stderr, "tracking_bench: mkdtemp: %s\n", strerror(errno));
            return 1;
        }
        rc = run_spawned(&o, &b, dir);
        if (o.keep)
            fprintf(stderr, "# kept %s\n", dir);
        else
            rm_tree(dir);
    }
    int all_ok = rc == 0 && !b.fatal;
    for (int i = 0; i < nchecks; i++)
        all_ok &= checks[i].ok;
    const char *mode = o.url ? "rest-only, --url" : "ferry started by the benchmark";
    print_table(&m, mode, cmdline.buf);
    print_json(&m, o.url ? "url" : "spawn", o.quick, o.url, all_ok);
    sbuf_release(&cmdline);
    curl_global_cleanup();
    return all_ok ? 0 : 1;
}
