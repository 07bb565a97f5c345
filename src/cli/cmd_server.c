/* SPDX-License-Identifier: MIT
 * `ferry server`: parses MLflow's server options and runs the REST server. */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "server/server.h"
#include "base/log.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry server [options]\n"
    "\n"
    "Runs the MLflow-compatible tracking server.\n"
    "\n"
    "  -h, --host HOST                 address to bind (default 127.0.0.1)\n"
    "  -p, --port PORT                 port (default 5000; 0 picks a free one)\n"
    "      --backend-store-uri URI     sqlite:///path or a file path (default ./ferry.db;\n"
    "                                  env FERRY_TRACKING_URI/MLFLOW_TRACKING_URI if a store),\n"
    "                                  postgresql://user@host:port/db (any number of servers\n"
    "                                  may share one; libpq's ?sslmode=, PGPASSWORD and\n"
    "                                  ~/.pgpass apply; FERRY_PG_POOL: connections, 16),\n"
    "                                  or http(s)://host[:port][/prefix]: another tracking\n"
    "                                  server, which requests are forwarded to (artifacts\n"
    "                                  stay here; credentials and timeouts for it from\n"
    "                                  FERRY_/MLFLOW_TRACKING_TOKEN, _USERNAME, _PASSWORD,\n"
    "                                  FERRY_/MLFLOW_HTTP_REQUEST_TIMEOUT, _MAX_RETRIES)\n"
    "      --default-artifact-root URI where new experiments keep artifacts\n"
    "                                  (default mlflow-artifacts:/ with --serve-artifacts)\n"
    "      --serve-artifacts           proxy artifacts through this server (default)\n"
    "      --no-serve-artifacts        clients write artifacts to the root directly\n"
    "      --artifacts-destination DIR where proxied artifacts are stored\n"
    "                                  (default ./mlartifacts)\n"
    "      --allowed-artifact-roots DIR[,DIR...]\n"
    "                                  the only local directories experiments' artifact\n"
    "                                  locations may be below (default: the default\n"
    "                                  artifact root and the destination); others are\n"
    "                                  refused, and never read or written. mlflow-artifacts:/\n"
    "                                  and object store URIs (s3://...) are always allowed\n"
    "      --deployments-target URL    the gateway the UI reaches through gateway-proxy\n"
    "                                  (default env MLFLOW_DEPLOYMENTS_TARGET)\n"
    "  -w, --workers N                 N polling threads instead of one thread per\n"
    "                                  connection (the default, best for concurrent "
    "writers)\n" CLI_HTTP_LIMITS_HELP "  -q, --quiet                     no access log\n";
/* (in parts: C11 promises only 4095 characters in one literal) */
static const char usage_security[] =
    "      --auth                      require authentication (the default on any\n"
    "                                  address but loopback): HTTP basic auth or an API\n"
    "                                  token; the first admin from `ferry users create\n"
    "                                  NAME --admin` or FERRY_ADMIN_PASSWORD (and\n"
    "                                  FERRY_ADMIN_USERNAME, default admin)\n"
    "      --no-auth                   serve without authentication, even on a public\n"
    "                                  address (behind a proxy that authenticates)\n"
    "      --default-permission P      with auth, on experiments and models where a user\n"
    "                                  has none: READ (default), USE, EDIT, MANAGE or\n"
    "                                  NO_PERMISSIONS\n"
    "      --no-execute                the server starts no processes (pipelines,\n"
    "                                  triggers, retraining are refused)\n"
    "      --no-monitors               run no scheduled monitors (monitors run on demand\n"
    "                                  still work; another server may run the schedules)\n"
    "      --run-as USER               who processes the server starts run as (default:\n"
    "                                  nobody when ferry runs as root)\n"
    "      --routes                    print every route (methods, path, operation,\n"
    "                                  kind, access, locating field) and exit\n"
    "      --help                      this help\n"
    "\n"
    "Browsers, proxies and TLS:\n";

static const char usage_web[] =
    "      --allowed-hosts H[,H...]    the only Host headers served (others: 403, against\n"
    "                                  DNS rebinding): names or addresses, '*.example.com'\n"
    "                                  for subdomains, ':PORT' to pin a port, '*' for any\n"
    "                                  (default: --host, localhost, 127.0.0.1 and ::1;\n"
    "                                  any host when --host is 0.0.0.0)\n"
    "      --cors-allowed-origins O[,O...]\n"
    "                                  web origins (https://app.example.com,\n"
    "                                  https://*.example.com, http://localhost:*, '*') whose\n"
    "                                  pages may call the API; a POST, PUT, PATCH or DELETE\n"
    "                                  from any other origin than the server's own is 403\n"
    "      --trusted-proxies NET[,NET...]\n"
    "                                  proxies (10.0.0.0/8, ::1, 192.0.2.7) whose\n"
    "                                  X-Forwarded-For/-Host/-Proto and Forwarded headers\n"
    "                                  are believed (default: none)\n"
    "      --tls-cert FILE             serve HTTPS with this PEM certificate (and chain)\n"
    "      --tls-key FILE              ... and this unencrypted PEM private key\n"
    "\n"
    "JSON rows refuse the content types a web page may send cross-site without\n"
    "asking (text/plain, forms): send application/json, or no Content-Type.\n"
    "\n"
    "Prints \"ferry server listening on http(s)://HOST:PORT\" when ready; SIGTERM or\n"
    "Ctrl-C stops it after the requests in flight.\n";

static void print_usage(FILE *f)
{
    fputs(usage, f);
    fputs(usage_security, f);
    fputs(usage_web, f);
}

static int parse_int(const char *s, const char *what, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || !*s || v < lo || v > hi) {
        fprintf(stderr, "ferry server: invalid %s '%s' (expected %d..%d)\n", what, s, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

enum {
    OPT_STORE = 256,
    OPT_ROOT,
    OPT_SERVE,
    OPT_NO_SERVE,
    OPT_DEST,
    OPT_HELP,
    OPT_ROUTES,
    OPT_DEPLOYMENTS,
    OPT_AUTH,
    OPT_NO_AUTH,
    OPT_DEFAULT_PERMISSION,
    OPT_NO_EXECUTE,
    OPT_NO_MONITORS,
    OPT_RUN_AS,
    OPT_ALLOWED_ROOTS,
    OPT_ALLOWED_HOSTS,
    OPT_CORS,
    OPT_TRUSTED_PROXIES,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
};

int cmd_server(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"host", required_argument, NULL, 'h'},
        {"port", required_argument, NULL, 'p'},
        {"backend-store-uri", required_argument, NULL, OPT_STORE},
        {"default-artifact-root", required_argument, NULL, OPT_ROOT},
        {"serve-artifacts", no_argument, NULL, OPT_SERVE},
        {"no-serve-artifacts", no_argument, NULL, OPT_NO_SERVE},
        {"artifacts-destination", required_argument, NULL, OPT_DEST},
        {"allowed-artifact-roots", required_argument, NULL, OPT_ALLOWED_ROOTS},
        {"workers", required_argument, NULL, 'w'},
        CLI_HTTP_LIMIT_OPTIONS,
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, OPT_HELP},
        {"routes", no_argument, NULL, OPT_ROUTES},
        {"deployments-target", required_argument, NULL, OPT_DEPLOYMENTS},
        {"auth", no_argument, NULL, OPT_AUTH},
        {"no-auth", no_argument, NULL, OPT_NO_AUTH},
        {"default-permission", required_argument, NULL, OPT_DEFAULT_PERMISSION},
        {"no-execute", no_argument, NULL, OPT_NO_EXECUTE},
        {"no-monitors", no_argument, NULL, OPT_NO_MONITORS},
        {"run-as", required_argument, NULL, OPT_RUN_AS},
        {"allowed-hosts", required_argument, NULL, OPT_ALLOWED_HOSTS},
        {"cors-allowed-origins", required_argument, NULL, OPT_CORS},
        {"trusted-proxies", required_argument, NULL, OPT_TRUSTED_PROXIES},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {NULL, 0, NULL, 0},
    };
    struct server_opts o = SERVER_OPTS_INIT;
    const char *env = getenv("FERRY_TRACKING_URI");
    if (!env || !*env)
        env = getenv("MLFLOW_TRACKING_URI");
    if (env && *env && strncmp(env, "http://", 7) && strncmp(env, "https://", 8))
        o.backend_store_uri = env;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h:p:w:q", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            o.host = optarg;
            break;
        case 'p':
            if (parse_int(optarg, "port", 0, 65535, &o.port))
                return 2;
            break;
        case OPT_STORE:
            o.backend_store_uri = optarg;
            break;
        case OPT_ROOT:
            o.default_artifact_root = optarg;
            break;
        case OPT_SERVE:
            o.serve_artifacts = 1;
            break;
        case OPT_NO_SERVE:
            o.serve_artifacts = 0;
            break;
        case OPT_DEST:
            o.artifacts_destination = optarg;
            break;
        case OPT_ALLOWED_ROOTS:
            o.allowed_roots = optarg;
            break;
        case OPT_DEPLOYMENTS:
            o.deployments_target = optarg;
            break;
        case OPT_AUTH:
            o.auth = 1;
            break;
        case OPT_NO_AUTH:
            o.auth = 0;
            break;
        case OPT_DEFAULT_PERMISSION:
            o.default_permission = optarg;
            break;
        case OPT_NO_EXECUTE:
            o.no_execute = 1;
            break;
        case OPT_NO_MONITORS:
            o.no_monitors = 1;
            break;
        case OPT_RUN_AS:
            o.run_as = optarg;
            break;
        case OPT_ALLOWED_HOSTS:
            o.browser.allowed_hosts = optarg;
            break;
        case OPT_CORS:
            o.browser.cors_origins = optarg;
            break;
        case OPT_TRUSTED_PROXIES:
            o.browser.trusted_proxies = optarg;
            break;
        case OPT_TLS_CERT:
            o.tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            o.tls_key = optarg;
            break;
        case 'w':
            if (parse_int(optarg, "worker count", 1, 1024, &o.workers))
                return 2;
            break;
        case 'q':
            o.access_log = 0;
            break;
        case OPT_HELP:
            print_usage(stdout);
            return 0;
        case OPT_ROUTES:
            server_print_routes(stdout);
            return 0;
        default: {
            int handled = cli_parse_http_limit(c, optarg, &o.limits);
            if (handled == 1)
                break;
            if (!handled)
                print_usage(stderr);
            return 2;
        }
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ferry server: unexpected argument '%s'\n", argv[optind]);
        print_usage(stderr);
        return 2;
    }
    struct ferr err = FERR_INIT;
    if (server_run(&o, &err)) {
        fprintf(stderr, "ferry server: %s\n", err.msg);
        return 1;
    }
    return 0;
}
