/* SPDX-License-Identifier: MIT
 * `ferry artifacts log|list|download`: a run's files, over either transport.
 * Large transfers show a progress line on stderr when it is a terminal. */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "client/client_artifacts.h"
#include "base/ftime.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry artifacts log RUN_ID LOCAL_PATH [--artifact-path PATH]\n"
    "       ferry artifacts list RUN_ID [PATH] [--json]\n"
    "       ferry artifacts download RUN_ID [PATH] [--dst DIR]\n"
    "\n"
    "  log       uploads a file, or a directory and everything below it, to the run's\n"
    "            artifacts (under PATH with --artifact-path)\n"
    "  list      the entries directly inside PATH (default: the run's artifact root)\n"
    "  download  a file or a directory tree (default: everything) into DIR\n"
    "            (default: the current directory); files appear only when complete\n"
    "\n"
    "  --artifact-path PATH  where in the run's artifacts to put what is logged\n"
    "  --dst DIR             where to download to\n"
    "  --json                MLflow's JSON instead of a table\n"
    "  -q, --quiet           no progress line\n"
    "  -h, --help            this help\n"
    "\n"
    "Runs whose artifact URI is mlflow-artifacts:/ are reached through the tracking\n"
    "server's artifact proxy; others straight in their directory.\n";

struct opts {
    const char *artifact_path, *dst;
    int json, quiet;
};

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"artifact-path", required_argument, NULL, 'a'},
        {"dst", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            o->artifact_path = optarg;
            break;
        case 'd':
            o->dst = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("artifacts", argv, c, usage);
        }
    }
    return 0;
}

/* ---------- the progress line ---------- */

struct bar {
    int64_t last_ns, start_ns, last_now;
    char path[256]; /* the file being moved (a copy: callers reuse buffers) */
    int shown;
};

static void human(char *buf, size_t n, double bytes)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) {
        bytes /= 1000;
        u++;
    }
    snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

static void on_progress(void *arg, const char *path, int64_t now, int64_t total)
{
    struct bar *b = arg;
    int64_t t = ftime_mono_ns();
    if (strncmp(path, b->path, sizeof(b->path) - 1)) { /* a new file */
        snprintf(b->path, sizeof(b->path), "%s", path);
        b->start_ns = t;
        b->last_now = -1;
    }
    if ((t - b->last_ns < 100 * 1000 * 1000 && now != total) || now == b->last_now)
        return; /* ten updates a second at most, none without progress */
    b->last_ns = t;
    b->last_now = now;
    char done[32], all[32], rate[32];
    double secs = (double)(t - b->start_ns) / 1e9;
    human(done, sizeof(done), (double)now);
    human(all, sizeof(all), (double)total);
    human(rate, sizeof(rate), secs > 0 ? (double)now / secs : 0);
    fprintf(stderr, "\r\033[K%.50s  %s / %s", path, done, all);
    if (total > 0)
        fprintf(stderr, "  %3d%%", (int)(100.0 * (double)now / (double)total));
    fprintf(stderr, "  %s/s", rate);
    b->shown = 1;
}

static void bar_end(struct bar *b)
{
    if (b->shown)
        fputs("\r\033[K", stderr);
}

/* ---------- actions ---------- */

static int do_log(struct client *c, struct opts *o, char **pos, struct bar *b)
{
    struct ferr err = FERR_INIT;
    int rc =
        client_log_artifacts(c, pos[0], pos[1], o->artifact_path, b ? on_progress : NULL, b, &err);
    if (b)
        bar_end(b);
    return rc ? cli_fail(&err) : 0;
}

static int do_list(struct client *c, struct opts *o, char **pos, int npos)
{
    struct ferr err = FERR_INIT;
    struct artifact_list l;
    if (client_list_artifacts(c, pos[0], npos > 1 ? pos[1] : "", &l, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *files = json_array();
        for (size_t i = 0; i < l.n; i++) {
            json_t *f = json_pack("{s:s, s:b}", "path", l.v[i].path, "is_dir", l.v[i].is_dir);
            if (!l.v[i].is_dir)
                json_object_set_new(f, "file_size", json_integer(l.v[i].size));
            json_array_append_new(files, f);
        }
        cli_print_json(json_pack("{s:o}", "files", files));
    } else {
        static const char *const headers[] = {"PATH", "SIZE"};
        struct table t;
        table_init(&t, 2, headers);
        for (size_t i = 0; i < l.n; i++) {
            table_addf(&t, "%s%s", l.v[i].path, l.v[i].is_dir ? "/" : "");
            if (l.v[i].is_dir)
                table_add(&t, "-");
            else
                table_addf(&t, "%lld", (long long)l.v[i].size);
        }
        table_print(&t);
        table_release(&t);
    }
    artifact_list_release(&l);
    return 0;
}

static int do_download(struct client *c, struct opts *o, char **pos, int npos, struct bar *b)
{
    struct ferr err = FERR_INIT;
    int rc = client_download_artifacts(c, pos[0], npos > 1 ? pos[1] : "", o->dst ? o->dst : ".",
                                       b ? on_progress : NULL, b, &err);
    if (b)
        bar_end(b);
    return rc ? cli_fail(&err) : 0;
}

int cmd_artifacts(int argc, char **argv)
{
    struct opts o = {0};
    if (argc < 2)
        return cli_usage(usage);
    const char *action = argv[1];
    if (!strcmp(action, "-h") || !strcmp(action, "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    int prc = parse(argc - 1, argv + 1, &o);
    if (prc)
        return prc < 0 ? 0 : prc;
    char **pos = argv + 1 + optind;
    int npos = argc - 1 - optind;
    int is_log = !strcmp(action, "log"), is_list = !strcmp(action, "list"),
        is_dl = !strcmp(action, "download");
    if (!is_log && !is_list && !is_dl)
        return cli_usagef("unknown action '%s' (log, list or download)\n%s", action, usage);
    if ((is_log && npos != 2) || (!is_log && (npos < 1 || npos > 2)))
        return cli_usage(usage);
    struct client *c;
    if (cli_open(&c))
        return 1;
    struct bar bar = {0}, *b = !o.quiet && isatty(STDERR_FILENO) ? &bar : NULL;
    int rc = is_log    ? do_log(c, &o, pos, b)
             : is_list ? do_list(c, &o, pos, npos)
                       : do_download(c, &o, pos, npos, b);
    client_close(c);
    return rc;
}
