/* SPDX-License-Identifier: MIT
 * `ferry serve`: the deployments gateway (gateway/gateway.h). */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "cli/serve_auth.h"
#include "auth/guard.h"
#include "base/xalloc.h"
#include "gateway/gateway.h"
#include "http/listen.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry [--tracking-uri URI] serve [options]\n"
    "\n"
    "Serves the deployments of the tracking URI (a store, or a ferry server):\n"
    "POST /endpoints/NAME/invocations (MLflow's scoring formats), POST\n"
    "/v2/models/NAME/infer (Open Inference Protocol v2), GET /endpoints, /health,\n"
    "/metrics. Traffic is split across each deployment's targets by weight (or\n"
    "by a routing key), copied to its shadows, and its rollout advanced or\n"
    "rolled back by the controller (see docs/deployments.md). Any number of\n"
    "gateways may serve one store: one decides each rollout at a time.\n"
    "\n"
    "  -h, --host HOST              address to bind (default 127.0.0.1)\n"
    "  -p, --port PORT              port (default 5001; 0 picks a free one)\n"
    "      --deployments A,B        serve only these deployments\n"
    "  -w, --workers N              Python flavors: worker processes per model\n"
    "                               (default one per CPU)\n"
    "      --id NAME                this gateway's name in figures and leases\n"
    "                               (default host:port/pid)\n"
    "      --no-control             serve and report, never decide a rollout\n"
    "      --no-log-predictions     keep no prediction log (default: every scored\n"
    "                               request, as each deployment's log: says)\n"
    "      --log-queue N            the log's rows waiting to be written at most\n"
    "                               (default 50000); more are dropped and counted\n"
    "      --auth, --no-auth        authentication (default on any address but\n"
    "                               loopback), --auth-store URI (the users' database;\n"
    "                               default the tracking URI), --default-permission P\n"
    "      --tls-cert FILE, --tls-key FILE   serve HTTPS\n" CLI_HTTP_LIMITS_HELP
    "      --help                   this help\n";

int cmd_serve(int argc, char **argv)
{
    enum { O_DEPLOYMENTS = 0x2000, O_ID, O_NO_CONTROL, O_NO_LOG, O_LOG_QUEUE };
    static const struct option longopts[] = {
        {"host", required_argument, NULL, 'h'},
        {"port", required_argument, NULL, 'p'},
        {"workers", required_argument, NULL, 'w'},
        {"deployments", required_argument, NULL, O_DEPLOYMENTS},
        {"id", required_argument, NULL, O_ID},
        {"no-control", no_argument, NULL, O_NO_CONTROL},
        {"no-log-predictions", no_argument, NULL, O_NO_LOG},
        {"log-queue", required_argument, NULL, O_LOG_QUEUE},
        CLI_HTTP_LIMIT_OPTIONS,
        {"auth", no_argument, NULL, 'U'},
        {"no-auth", no_argument, NULL, 'N'},
        {"auth-store", required_argument, NULL, 'S'},
        {"default-permission", required_argument, NULL, 'P'},
        {"tls-cert", required_argument, NULL, 'C'},
        {"tls-key", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    struct gateway_opts o;
    struct serve_auth sa = {-1, NULL, NULL};
    char *only_text = NULL;
    const char *only[64];
    int64_t port = 5001, workers = 0, log_queue = 0;
    int c;
    memset(&o, 0, sizeof(o));
    o.limits = (struct http_limits)HTTP_LIMITS_INIT;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h:p:w:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            o.host = optarg;
            break;
        case 'p':
            if (cli_parse_int64("--port", optarg, 0, 65535, &port))
                return 2;
            break;
        case 'w':
            if (cli_parse_int64("--workers", optarg, 0, 256, &workers))
                return 2;
            break;
        case O_DEPLOYMENTS:
            only_text = optarg;
            break;
        case O_ID:
            o.id = optarg;
            break;
        case O_NO_CONTROL:
            o.no_control = 1;
            break;
        case O_NO_LOG:
            o.no_log = 1;
            break;
        case O_LOG_QUEUE:
            if (cli_parse_int64("--log-queue", optarg, 1, 100000000, &log_queue))
                return 2;
            break;
        case 'U':
            sa.auth = 1;
            break;
        case 'N':
            sa.auth = 0;
            break;
        case 'S':
            sa.auth_store = optarg;
            break;
        case 'P':
            sa.default_permission = optarg;
            break;
        case 'C':
            o.tls_cert = optarg;
            break;
        case 'K':
            o.tls_key = optarg;
            break;
        case 'H':
            fputs(usage, stdout);
            return 0;
        default: {
            int lim = cli_parse_http_limit(c, optarg, &o.limits);
            if (lim == 1)
                break;
            if (lim == 2)
                return 2;
            return cli_bad_option("serve", argv, c, usage);
        }
        }
    }
    if (optind < argc)
        return cli_usagef("serve takes no arguments (got '%s'); see 'ferry serve --help'",
                          argv[optind]);
    if (!o.tls_cert != !o.tls_key)
        return cli_usagef("--tls-cert and --tls-key go together");
    char *copy = only_text ? xstrdup(only_text) : NULL;
    if (copy) {
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (o.nonly == sizeof(only) / sizeof(*only)) {
                free(copy);
                return cli_usagef("at most 64 deployments in --deployments");
            }
            only[o.nonly++] = t;
        }
        o.only = only;
    }
    o.port = (int)port;
    o.workers = (int)workers;
    o.log_queue = (size_t)log_queue;
    const char *host = o.host ? o.host : "127.0.0.1";
    int auth = sa.auth < 0 ? !http_host_is_loopback(host) : sa.auth;
    struct ferr err = FERR_INIT;
    struct store *users = NULL;
    struct guard *guard = NULL;
    struct client *cl = NULL;
    int rc;
    if (auth && (http_host_check(host, &err) || serve_open_guard(&sa, &users, &guard, &err))) {
        rc = cli_fail(&err);
    } else if (cli_open(&cl)) {
        rc = 1;
    } else {
        o.client = cl;
        o.guard = guard;
        rc = gateway_run(&o, &err) ? cli_fail(&err) : 0;
    }
    client_close(cl);
    guard_free(guard);
    store_close(users);
    free(copy);
    return rc;
}
