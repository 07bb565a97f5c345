/* SPDX-License-Identifier: MIT
 * `ferry tokens create|list|revoke`: API tokens for scripts, CI and the
 * processes ferry starts (Authorization: Bearer, MLFLOW_TRACKING_TOKEN).
 * The secret is printed once, at creation; the store keeps its digest. */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "api/auth_ops.h"
#include "client/transport.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry tokens create --name NAME [--user USER] [--scopes SCOPES]\n"
    "                           [--expires-in-days N]\n"
    "       ferry tokens list [--user USER]\n"
    "       ferry tokens revoke TOKEN_ID\n"
    "\n"
    "  --name NAME           what the token is for (shown in lists)\n"
    "  --user USER           whose token (default: who you are on the server; on the\n"
    "                        database file, required)\n"
    "  --scopes SCOPES       the most the token may do, per kind of resource:\n"
    "                        experiment:EDIT,registered_model:READ ('*:READ' for every\n"
    "                        kind; 'admin' for its admin user's admin rights); default:\n"
    "                        everything its user may do\n"
    "  --expires-in-days N   expires after N days (default: never)\n"
    "  -h, --help            this help\n";

static void print_tokens(const struct token_info_list *l)
{
    static const char *const headers[] = {"ID",      "USER",    "NAME", "SCOPES",
                                          "CREATED", "EXPIRES", "STATE"};
    struct table t;
    table_init(&t, 7, headers);
    for (size_t i = 0; i < l->n; i++) {
        char created[32], expires[32];
        const struct token_info *k = &l->v[i];
        cli_format_time(created, sizeof(created), k->created_ms);
        if (k->expires_ms)
            cli_format_time(expires, sizeof(expires), k->expires_ms);
        else
            snprintf(expires, sizeof(expires), "never");
        table_add(&t, k->id);
        table_add(&t, k->user);
        table_add(&t, k->name);
        table_add(&t, k->scopes);
        table_add(&t, created);
        table_add(&t, expires);
        table_add(&t, k->revoked_ms ? "revoked" : "active");
    }
    table_print(&t);
    table_release(&t);
}

int cmd_tokens(int argc, char **argv)
{
    const char *name = NULL, *user = NULL, *scopes = NULL, *pos[2] = {NULL};
    int64_t days = 0;
    int npos = 0;
    if (argc < 2)
        return cli_usage(usage);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!strcmp(a, "--name") || !strcmp(a, "--user") || !strcmp(a, "--scopes") ||
            !strcmp(a, "--expires-in-days")) {
            if (i + 1 == argc)
                return cli_usagef("%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--name"))
                name = v;
            else if (!strcmp(a, "--user"))
                user = v;
            else if (!strcmp(a, "--scopes"))
                scopes = v;
            else if (cli_parse_int64(a, v, 1, 3650, &days))
                return 2;
        } else if (a[0] == '-' && a[1]) {
            return cli_usagef("unknown option '%s' for 'ferry tokens'; see --help", a);
        } else if (npos == 2) {
            return cli_usage(usage);
        } else {
            pos[npos++] = a;
        }
    }
    if (!npos)
        return cli_usage(usage);
    struct client *c;
    struct ferr err = FERR_INIT;
    int rc = 0;
    if (!strcmp(pos[0], "create") && npos == 1 && name) {
        struct rq_token_create q = {user, name, scopes, days};
        struct rs_token_create r;
        memset(&r, 0, sizeof(r));
        if (cli_open(&c))
            return 1;
        rc = client_call(c, &api_tokens_create, &q, &r, &err);
        client_close(c);
        if (rc)
            return cli_fail(&err);
        printf("%s\n", r.token);
        fprintf(stderr, "token %s for %s (scopes %s): the secret above is shown only now\n",
                r.info.id, r.info.user, r.info.scopes);
        OPENSSL_cleanse(r.token, strlen(r.token));
        free(r.token);
        token_info_release(&r.info);
        return 0;
    }
    if (!strcmp(pos[0], "list") && npos == 1) {
        struct rq_tokens q = {user, NULL};
        struct rs_tokens r;
        memset(&r, 0, sizeof(r));
        if (cli_open(&c))
            return 1;
        rc = client_call(c, &api_tokens_list, &q, &r, &err);
        client_close(c);
        if (rc)
            return cli_fail(&err);
        print_tokens(&r.tokens);
        token_info_list_release(&r.tokens);
        return 0;
    }
    if (!strcmp(pos[0], "revoke") && npos == 2) {
        struct rq_tokens q = {NULL, pos[1]};
        if (cli_open(&c))
            return 1;
        rc = client_call(c, &api_tokens_revoke, &q, NULL, &err);
        client_close(c);
        if (rc)
            return cli_fail(&err);
        printf("revoked %s\n", pos[1]);
        return 0;
    }
    return cli_usage(usage);
}
