/* SPDX-License-Identifier: MIT
 * `ferry users create|list|delete|set-password|set-admin|grant|revoke`:
 * users and their permissions, on the database file (how the first admin
 * is made) or through a server as an admin (MLFLOW_TRACKING_USERNAME /
 * _PASSWORD or a token), over the same rows as MLflow's auth REST API. */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "api/auth_ops.h"
#include "base/sbuf.h"
#include "client/transport.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry users create NAME [--admin] [--password-stdin]\n"
    "       ferry users list\n"
    "       ferry users delete NAME\n"
    "       ferry users set-password NAME [--password-stdin]\n"
    "       ferry users set-admin NAME (true|false)\n"
    "       ferry users grant NAME (--experiment ID | --model NAME) PERMISSION\n"
    "       ferry users revoke NAME (--experiment ID | --model NAME)\n"
    "\n"
    "Users of a server started with authentication (`ferry server --auth`, or any\n"
    "address but loopback). On the database file (--tracking-uri, default ./ferry.db)\n"
    "or through a server, as an admin.\n"
    "\n"
    "  --admin             the user is an admin (may do anything)\n"
    "  --password-stdin    read the password from the first line of standard input\n"
    "                      (without it, asked for on the terminal)\n"
    "  PERMISSION          READ, USE, EDIT, MANAGE or NO_PERMISSIONS, on one\n"
    "                      experiment (by id) or registered model (by name)\n"
    "  -h, --help          this help\n";

/* The password: a line of stdin, or typed at the terminal without echo. */
static int read_password(int from_stdin, struct sbuf *out)
{
    char line[1100];
    FILE *in = stdin;
    struct termios old, quiet;
    int tty = !from_stdin && isatty(STDIN_FILENO);
    if (!from_stdin && !tty)
        return cli_usagef("no terminal to ask for the password on; use --password-stdin");
    if (tty) {
        fputs("Password: ", stderr);
        fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &old))
            return cli_failf("cannot read the terminal's settings");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet))
            return cli_failf("cannot turn the terminal's echo off");
    }
    char *got = fgets(line, sizeof(line), in);
    if (tty) {
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!got)
        return cli_failf("no password given");
    size_t n = strcspn(line, "\r\n");
    if (n >= 1024)
        return cli_failf("the password is longer than 1024 characters");
    sbuf_add(out, line, n);
    OPENSSL_cleanse(line, sizeof(line));
    return 0;
}

static int call(const struct api_op *op, void *req, void *resp)
{
    struct client *c;
    struct ferr err = FERR_INIT;
    if (cli_open(&c))
        return 1;
    int rc = client_call(c, op, req, resp, &err);
    client_close(c);
    return rc ? cli_fail(&err) : 0;
}

static const struct api_op *row_named(const char *name)
{
    for (size_t i = 0; i < api_auth_area.n; i++)
        if (!strcmp(api_auth_area.ops[i]->name, name))
            return api_auth_area.ops[i];
    return NULL;
}

static int set_password(const char *user, int from_stdin, int create, int admin)
{
    struct sbuf pw = SBUF_INIT;
    struct rq_user q = {user, NULL, admin};
    struct rs_user r;
    int rc = read_password(from_stdin, &pw);
    if (rc)
        return rc;
    q.password = pw.buf;
    memset(&r, 0, sizeof(r));
    rc = call(create ? &api_users_create : &api_users_update_password, &q, &r);
    if (create && !rc)
        user_release(&r.user);
    if (create && !rc && admin)
        rc = call(&api_users_update_admin, &q, NULL);
    OPENSSL_cleanse(pw.buf, pw.len);
    sbuf_release(&pw);
    if (!rc)
        printf("%s user '%s'%s\n", create ? "created" : "set the password of", user,
               create && admin ? " (admin)" : "");
    return rc;
}

static int list(void)
{
    struct rs_users r;
    struct rq_user q = {NULL, NULL, 0};
    memset(&r, 0, sizeof(r));
    int rc = call(&api_users_list, &q, &r);
    if (rc)
        return rc;
    static const char *const headers[] = {"ID", "USERNAME", "ADMIN"};
    struct table t;
    table_init(&t, 3, headers);
    for (size_t i = 0; i < r.users.n; i++) {
        table_addf(&t, "%lld", (long long)r.users.v[i].id);
        table_add(&t, r.users.v[i].username);
        table_add(&t, r.users.v[i].is_admin ? "yes" : "no");
    }
    table_print(&t);
    table_release(&t);
    user_list_release(&r.users);
    return 0;
}

/* grant (create, or update when the pair has one) and revoke. */
static int permission(const char *user, const char *kind_opt, const char *key, const char *perm,
                      int grant)
{
    const char *kind = !strcmp(kind_opt, "--experiment") ? "experiments" : "registered-models";
    char name[80];
    struct rq_perm q = {key, user, perm};
    struct rs_perm r;
    struct client *c;
    struct ferr err = FERR_INIT;
    memset(&r, 0, sizeof(r));
    snprintf(name, sizeof(name), "%s/permissions/%s", kind, grant ? "create" : "delete");
    if (cli_open(&c))
        return 1;
    int rc = client_call(c, row_named(name), &q, &r, &err);
    if (rc && grant && err.code == FERR_RESOURCE_ALREADY_EXISTS) {
        snprintf(name, sizeof(name), "%s/permissions/update", kind);
        err = (struct ferr)FERR_INIT;
        rc = client_call(c, row_named(name), &q, NULL, &err);
    } else if (!rc && grant) {
        free(r.perm.key);
        free(r.perm.user);
    }
    client_close(c);
    if (rc)
        return cli_fail(&err);
    if (grant)
        printf("%s has %s on %s %s\n", user, perm, kind_opt + 2, key);
    else
        printf("%s has no permission of its own on %s %s (the default applies)\n", user,
               kind_opt + 2, key);
    return 0;
}

int cmd_users(int argc, char **argv)
{
    int from_stdin = 0, admin = 0, npos = 0;
    const char *pos[4] = {NULL}, *kind = NULL, *key = NULL;
    if (argc < 2)
        return cli_usage(usage);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--password-stdin")) {
            from_stdin = 1;
        } else if (!strcmp(argv[i], "--admin")) {
            admin = 1;
        } else if (!strcmp(argv[i], "--experiment") || !strcmp(argv[i], "--model")) {
            if (i + 1 == argc)
                return cli_usagef("%s needs a value", argv[i]);
            kind = argv[i];
            key = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usagef("unknown option '%s' for 'ferry users'; see --help", argv[i]);
        } else if (npos == 4) {
            return cli_usage(usage);
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (!npos)
        return cli_usage(usage);
    const char *act = pos[0];
    if (!strcmp(act, "list") && npos == 1)
        return list();
    if (!strcmp(act, "create") && npos == 2)
        return set_password(pos[1], from_stdin, 1, admin);
    if (!strcmp(act, "set-password") && npos == 2)
        return set_password(pos[1], from_stdin, 0, 0);
    if (!strcmp(act, "delete") && npos == 2) {
        struct rq_user q = {pos[1], NULL, 0};
        int rc = call(&api_users_delete, &q, NULL);
        if (!rc)
            printf("deleted user '%s'\n", pos[1]);
        return rc;
    }
    if (!strcmp(act, "set-admin") && npos == 3) {
        if (strcmp(pos[2], "true") && strcmp(pos[2], "false"))
            return cli_usagef("set-admin takes true or false, not '%s'", pos[2]);
        struct rq_user q = {pos[1], NULL, !strcmp(pos[2], "true")};
        int rc = call(&api_users_update_admin, &q, NULL);
        if (!rc)
            printf("'%s' is %san admin\n", pos[1], q.is_admin ? "" : "not ");
        return rc;
    }
    if (!strcmp(act, "grant") && npos == 3 && kind)
        return permission(pos[1], kind, key, pos[2], 1);
    if (!strcmp(act, "revoke") && npos == 2 && kind)
        return permission(pos[1], kind, key, NULL, 0);
    return cli_usage(usage);
}
