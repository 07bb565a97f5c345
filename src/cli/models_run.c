/* SPDX-License-Identifier: MIT
 * The parts of `ferry models` that run a model: serve, predict, validate.
 * A model URI (a directory, runs:/ or models:/) becomes a local directory
 * first, downloaded through the client when needed. */
#include "cli/models_run.h"
#include "cli/serve_auth.h"
#include "cli/cli.h"
#include "client/client_artifacts.h"
#include "client/client_prediction_log.h"
#include "domain/deployment.h"
#include "gateway/pred_logger.h"
#include "client/client_registry.h"
#include "base/sbuf.h"
#include "base/ftime.h"
#include "models/mlmodel.h"
#include "models/model.h"
#include "models/model_files.h"
#include "serving/input.h"
#include "serving/serve.h"
#include "auth/guard.h"
#include "base/env.h"
#include "http/listen.h"
#include "store/auth.h"
#include "store/store.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* The prediction log of `models serve --log-predictions`: the rows name
 * the model as a deployment of its own (its name, revision 0). */
struct serve_log {
    struct pred_logger *lg;
    struct plog_target *t;
    const char *name;
    int64_t version;
};

static int serve_log_put(void *arg, const struct pred_row *rows, size_t n, struct ferr *err)
{
    return client_predictions_put(arg, rows, n, err);
}

static void serve_log_loaded(void *arg, struct scorer *s)
{
    struct serve_log *l = arg;
    size_t ncols;
    const char *const *cols = scorer_columns(s, &ncols);
    json_t *desc = model_describe(scorer_model(s));
    const char *cls = json_string_value(json_object_get(desc, "model_class"));
    const char *task = !cls                        ? NULL
                       : strstr(cls, "Classifier") ? "classification"
                       : strstr(cls, "Regressor")  ? "regression"
                                                   : NULL;
    struct plog_target_spec ps = {l->name, 0, l->name, l->version, 0, cols, ncols, task, NULL};
    l->t = plog_target_new(&ps);
    json_decref(desc);
}

static void serve_log_scored(void *arg, const struct serve_scored *sc, struct score_capture *cap)
{
    struct serve_log *l = arg;
    struct plog_request rq = {sc->rid,        sc->caller_id, sc->tags,
                              sc->latency_us, sc->status,    sc->body_len};
    if (l->t)
        (void)pred_logger_submit(l->lg, l->t, &rq, cap);
    else
        score_capture_release(cap);
}

static void serve_log_metrics(void *arg, struct sbuf *sb)
{
    struct serve_log *l = arg;
    struct pred_logger_counts pc;
    pred_logger_counts(l->lg, &pc);
    sbuf_addf(sb,
              "# HELP ferry_predictions_logged_total Rows written to the prediction log.\n"
              "# TYPE ferry_predictions_logged_total counter\n"
              "ferry_predictions_logged_total %llu\n"
              "# HELP ferry_predictions_dropped_total Rows not logged: the queue was full.\n"
              "# TYPE ferry_predictions_dropped_total counter\n"
              "ferry_predictions_dropped_total %llu\n"
              "# HELP ferry_predictions_failed_total Rows the store did not take.\n"
              "# TYPE ferry_predictions_failed_total counter\n"
              "ferry_predictions_failed_total %llu\n",
              pc.logged, pc.dropped, pc.failed);
}

int models_serve(struct client *c, const char *uri, const struct models_serve_opts *o)
{
    struct ferr err = FERR_INIT;
    struct model_files f;
    struct store *users = NULL;
    struct guard *guard = NULL;
    const char *host = o->host ? o->host : "127.0.0.1";
    int auth = o->auth < 0 ? !http_host_is_loopback(host) : o->auth;
    struct serve_log log = {NULL, NULL, NULL, 0};
    int rc;
    if (!uri)
        return cli_usagef("serve needs -m URI (see 'ferry models --help')");
    if (auth &&
        (http_host_check(host, &err) ||
         serve_open_guard(&(struct serve_auth){o->auth, o->auth_store, o->default_permission},
                          &users, &guard, &err))) {
        guard_free(guard);
        store_close(users);
        return cli_fail(&err);
    }
    if (model_files_open(c, uri, &f, &err)) {
        rc = cli_fail(&err);
    } else {
        struct serve_opts so = {host,
                                o->port,
                                f.dir.buf,
                                f.name.len ? f.name.buf : "model",
                                f.version.len ? f.version.buf : NULL,
                                o->workers,
                                o->limits,
                                guard,
                                guard && !strncmp(uri, "models:/", 8) && f.name.len ? f.name.buf
                                                                                    : NULL,
                                o->tls_cert,
                                o->tls_key,
                                NULL,
                                NULL,
                                NULL,
                                NULL};
        rc = 0;
        if (o->log_predictions) {
            struct pred_logger_opts po = {serve_log_put, c, o->log_queue, 0, 0};
            log.name = so.name;
            log.version = so.version ? strtoll(so.version, NULL, 10) : 0;
            if (deployment_name_check(log.name, &err) || !(log.lg = pred_logger_new(&po, &err)))
                rc = cli_fail(&err);
            so.on_scored = serve_log_scored;
            so.on_loaded = serve_log_loaded;
            so.on_metrics = serve_log_metrics;
            so.on_scored_arg = &log;
        }
        if (!rc)
            rc = serve_run(&so, &err) ? cli_fail(&err) : 0;
    }
    pred_logger_free(log.lg); /* what is queued is written out first */
    plog_target_unref(log.t);
    model_files_close(&f);
    guard_free(guard);
    store_close(users);
    return rc;
}

/* ---------- predict ---------- */

#define PREDICT_CHUNK_ROWS 10000

static int score_text(struct model *m, const char *text, size_t n, int csv, FILE *out, int *first,
                      struct ferr *err)
{
    struct matrix x;
    struct model_output o;
    const struct model_signature *sig = &model_mlmodel(m)->signature;
    if ((csv ? input_from_csv(text, n, sig, &x, err) : input_from_json(text, n, sig, &x, err)))
        return -1;
    struct model_input in = {x.rows, x.cols, x.values};
    int rc = model_predict(m, &in, &o, err);
    matrix_release(&x);
    if (rc)
        return -1;
    struct sbuf text_out = SBUF_INIT;
    model_output_add_rows(&o, &text_out, first);
    model_output_release(&o);
    int bad = fwrite(text_out.buf, 1, text_out.len, out) != text_out.len;
    sbuf_release(&text_out);
    return bad ? ferr_set(err, FERR_IO_ERROR, "writing the predictions: %s", strerror(errno)) : 0;
}

/* CSV is scored PREDICT_CHUNK_ROWS rows at a time, each chunk with the
 * header, so memory stays flat however long the file. */
static int predict_csv(struct model *m, FILE *in, FILE *out, struct ferr *err)
{
    struct sbuf header = SBUF_INIT, chunk = SBUF_INIT;
    char *line = NULL;
    size_t cap = 0, rows = 0;
    ssize_t k;
    int first = 1, rc = 0;
    while (!rc && (k = getline(&line, &cap, in)) >= 0) {
        if (!header.len) {
            sbuf_add(&header, line, (size_t)k);
            continue;
        }
        if (!rows)
            sbuf_add(&chunk, header.buf, header.len);
        sbuf_add(&chunk, line, (size_t)k);
        if (++rows == PREDICT_CHUNK_ROWS) {
            rc = score_text(m, chunk.buf, chunk.len, 1, out, &first, err);
            sbuf_reset(&chunk);
            rows = 0;
        }
    }
    if (!rc && ferror(in))
        rc = ferr_set(err, FERR_IO_ERROR, "reading the input: %s", strerror(errno));
    if (!rc && rows)
        rc = score_text(m, chunk.buf, chunk.len, 1, out, &first, err);
    if (!rc && !header.len)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the input CSV is empty");
    free(line);
    sbuf_release(&header);
    sbuf_release(&chunk);
    return rc;
}

int models_predict(struct client *c, const char *uri, const char *input, const char *output)
{
    struct ferr err = FERR_INIT;
    struct model_files lm;
    struct model *m = NULL;
    FILE *in = NULL, *out = stdout;
    int rc = 1;
    if (!input)
        return cli_usagef("predict needs -i FILE (.csv or .json)");
    /* batch scoring is one chunk at a time: one worker is enough */
    struct model_opts mo = {1, 0};
    if (model_files_open(c, uri, &lm, &err) || model_load_dir(lm.dir.buf, &mo, &m, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    if (!(in = strcmp(input, "-") ? fopen(input, "rb") : stdin)) {
        rc = cli_failf("cannot read '%s': %s", input, strerror(errno));
        goto out;
    }
    if (output && strcmp(output, "-") && !(out = fopen(output, "w"))) {
        rc = cli_failf("cannot write '%s': %s", output, strerror(errno));
        goto out;
    }
    size_t n = strlen(input);
    int csv = n > 4 && !strcmp(input + n - 4, ".csv");
    fputs("{\"predictions\":[", out);
    if (csv) {
        rc = predict_csv(m, in, out, &err);
    } else {
        struct sbuf text = SBUF_INIT;
        char buf[65536];
        size_t k;
        int first = 1;
        while ((k = fread(buf, 1, sizeof(buf), in)) > 0)
            sbuf_add(&text, buf, k);
        rc = ferror(in) ? ferr_set(&err, FERR_IO_ERROR, "reading '%.200s'", input)
                        : score_text(m, text.buf ? text.buf : "", text.len, 0, out, &first, &err);
        sbuf_release(&text);
    }
    fputs("]}\n", out);
    if (rc)
        rc = cli_fail(&err);
    else if (fflush(out) != 0 || ferror(out))
        rc = cli_failf("writing the predictions failed");
out:
    if (in && in != stdin)
        fclose(in);
    if (out != stdout && fclose(out) != 0 && !rc)
        rc = cli_failf("writing '%s' failed", output);
    model_free(m);
    model_files_close(&lm);
    return rc;
}

/* ---------- validate ---------- */

/* The request body to validate with: the model's serving input example,
 * its input example (pandas split orient), or one row of zeros built from
 * the signature. */
static int example_body(const char *dir, const struct mlmodel *m, struct sbuf *body,
                        struct ferr *err)
{
    static const char *const files[] = {"serving_input_example.json", "input_example.json"};
    for (size_t i = 0; i < 2; i++) {
        struct sbuf path = SBUF_INIT;
        sbuf_addf(&path, "%s/%s", dir, files[i]);
        json_error_t je;
        json_t *doc = json_load_file(path.buf, 0, &je);
        sbuf_release(&path);
        if (!doc)
            continue;
        if (i == 1 && json_object_get(doc, "columns") && json_object_get(doc, "data"))
            doc = json_pack("{s:o}", "dataframe_split", doc);
        char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (text) {
            sbuf_addstr(body, text);
            free(text);
            return 0;
        }
    }
    const struct model_signature *sig = &m->signature;
    if (!sig->ninputs || !sig->inputs[0].name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the model has no input example and no named signature to build one "
                        "from: nothing to validate with");
    json_t *cols = json_array(), *row = json_array();
    for (size_t i = 0; i < sig->ninputs; i++) {
        json_array_append_new(cols, json_string(sig->inputs[i].name));
        json_array_append_new(row, json_real(0.0));
    }
    json_t *doc = json_pack("{s:{s:o, s:[o]}}", "dataframe_split", "columns", cols, "data", row);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot build an input example");
    sbuf_addstr(body, text);
    free(text);
    return 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    sbuf_add(arg, p, size * nmemb);
    return size * nmemb;
}

static int cmp_ms(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Starts `ferry models serve` on a free loopback port; *url gets its URL. */
static pid_t start_scoring_server(const char *dir, char *url, size_t n, int timeout_s,
                                  struct ferr *err)
{
    int fds[2];
    if (pipe(fds) < 0) {
        ferr_set(err, FERR_IO_ERROR, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl("/proc/self/exe", "ferry", "models", "serve", "-m", dir, "--host", "127.0.0.1",
              "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        ferr_set(err, FERR_IO_ERROR, "fork: %s", strerror(errno));
        return -1;
    }
    char line[256];
    size_t len = 0;
    struct pollfd p = {fds[0], POLLIN, 0};
    int64_t deadline = ftime_mono_ns() + (int64_t)timeout_s * 1000000000;
    line[0] = '\0';
    while (!strchr(line, '\n') && len < sizeof(line) - 1) {
        int left = (int)((deadline - ftime_mono_ns()) / 1000000);
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        ssize_t k = read(fds[0], line + len, sizeof(line) - 1 - len);
        if (k <= 0)
            break;
        len += (size_t)k;
        line[len] = '\0';
    }
    close(fds[0]);
    const char *u = strstr(line, "http://");
    if (!u) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "the scoring server exited or did not come up within %d s (see above)", timeout_s);
        return -1;
    }
    snprintf(url, n, "%.*s", (int)strcspn(u, "\r\n"), u);
    return pid;
}

int models_validate(struct client *c, const char *uri)
{
    struct ferr err = FERR_INIT;
    struct model_files lm;
    struct mlmodel m;
    struct sbuf body = SBUF_INIT;
    char url[128], endpoint[160];
    pid_t pid = -1;
    int rc = 1, ok = 0;
    enum { N = 20 };
    double ms[N];
    memset(&m, 0, sizeof(m));
    struct model *loaded = NULL;
    char flavor[64] = "";
    if (model_files_open(c, uri, &lm, &err) || mlmodel_read_dir(lm.dir.buf, &m, &err) ||
        example_body(lm.dir.buf, &m, &body, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    /* Load it here first: a broken model fails with its own message. */
    int64_t t0 = ftime_mono_ns();
    struct model_opts mo = {1, 0};
    if (model_load_dir(lm.dir.buf, &mo, &loaded, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    double load_ms = (double)(ftime_mono_ns() - t0) / 1e6;
    snprintf(flavor, sizeof(flavor), "%s", model_flavor(loaded));
    model_free(loaded);
    t0 = ftime_mono_ns();
    if ((pid = start_scoring_server(lm.dir.buf, url, sizeof(url), 60, &err)) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    double ready_ms = (double)(ftime_mono_ns() - t0) / 1e6;
    snprintf(endpoint, sizeof(endpoint), "%s/invocations", url);
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    struct sbuf answer = SBUF_INIT;
    long status = 0;
    for (int i = 0; h && hdr && i < N; i++) {
        sbuf_reset(&answer);
        curl_easy_setopt(h, CURLOPT_URL, endpoint);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.buf);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
        int64_t s = ftime_mono_ns();
        CURLcode cc = curl_easy_perform(h);
        ms[i] = (double)(ftime_mono_ns() - s) / 1e6;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (cc != CURLE_OK || status != 200)
            break;
        ok++;
    }
    /* the answer's shape against the example and the signature */
    json_t *ans = answer.buf ? json_loads(answer.buf, 0, NULL) : NULL;
    json_t *pred = json_object_get(ans, "predictions");
    const char *why = NULL;
    if (ok < N)
        why = "the scoring server answered an error";
    else if (!json_is_array(pred) || !json_array_size(pred))
        why = "the answer holds no predictions";
    else if (m.signature.noutputs &&
             (!strcmp(m.signature.outputs[0].type, "long") ||
              !strcmp(m.signature.outputs[0].type, "integer")) &&
             !json_is_integer(json_array_get(pred, 0)))
        why = "the signature promises integer outputs, the model answered other values";
    if (why) {
        fprintf(stderr, "ferry: validation failed: %s (HTTP %ld): %.300s\n", why, status,
                answer.buf ? answer.buf : "");
    } else {
        qsort(ms, N, sizeof(ms[0]), cmp_ms);
        printf("ok: %s\n  flavor:             %s\n  model load:         %.1f ms\n"
               "  start to ready:     %.1f ms\n"
               "  latency p50 / max:  %.2f / %.2f ms over %d requests\n"
               "  predictions:        %zu for the input example\n",
               uri, flavor, load_ms, ready_ms, ms[N / 2], ms[N - 1], N, json_array_size(pred));
        rc = 0;
    }
    json_decref(ans);
    sbuf_release(&answer);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
out:
    if (pid > 0) {
        int st = 0;
        kill(pid, SIGTERM);
        waitpid(pid, &st, 0);
        if (!rc && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            fprintf(stderr, "ferry: validation failed: the scoring server did not stop cleanly\n");
            rc = 1;
        }
    }
    mlmodel_release(&m);
    sbuf_release(&body);
    model_files_close(&lm);
    return rc;
}
