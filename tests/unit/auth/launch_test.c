/* SPDX-License-Identifier: MIT
 * server/launch: a process the server starts runs only for a user who may
 * edit its experiment, unprivileged when ferry is root, in a clean
 * environment whose one credential is a token for that experiment alone,
 * revoked when it ends; with --no-execute, never. */
#include "../test.h"
#include "auth/guard.h"
#include "auth/launch.h"
#include "store/auth.h"
#include "store/store.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
    struct store *s;
    struct guard *g;
    struct principal alice, bob;
};

static void setup(struct fixture *f)
{
    struct sbuf path = SBUF_INIT;
    struct store_opts o = STORE_OPTS_INIT;
    struct ferr err = FERR_INIT;
    struct user u;
    struct resource_perm rp;
    struct guard_opts go = {PERM_NO_PERMISSIONS, 0, 0};
    sbuf_addf(&path, "%s/launch.db", test_tmpdir());
    o.default_artifact_root = "/artifacts";
    ASSERT_OK(store_open(path.buf, &o, &f->s, &err), &err);
    sbuf_release(&path);
    ASSERT_OK(store_create_user(f->s, "alice", "pw-a", 0, &u, &err), &err);
    user_release(&u);
    ASSERT_OK(store_create_user(f->s, "bob", "pw-b", 0, &u, &err), &err);
    user_release(&u);
    ASSERT_OK(store_create_permission(f->s, RES_EXPERIMENT, "7", "alice", PERM_EDIT, &rp, &err),
              &err);
    free(rp.key);
    free(rp.user);
    ASSERT_OK(store_create_permission(f->s, RES_EXPERIMENT, "7", "bob", PERM_READ, &rp, &err),
              &err);
    free(rp.key);
    free(rp.user);
    ASSERT_OK(guard_new(&go, f->s, &f->g, &err), &err);
    ASSERT_OK(store_authenticate(f->s, "alice", "pw-a", &f->alice, &err), &err);
    ASSERT_OK(store_authenticate(f->s, "bob", "pw-b", &f->bob, &err), &err);
}

static void teardown(struct fixture *f)
{
    principal_release(&f->alice);
    principal_release(&f->bob);
    guard_free(f->g);
    store_close(f->s);
}

/* Everything the process wrote on its stdout. */
static void read_all(int fd, struct sbuf *out)
{
    char buf[512];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        sbuf_add(out, buf, (size_t)n);
}

TEST(launch_runs_for_an_editor_with_a_token_for_its_experiment_alone)
{
    struct fixture f;
    struct ferr err = FERR_INIT;
    struct launch x;
    int pipefd[2], status = -1;
    setup(&f);
    setenv("FERRY_ADMIN_PASSWORD", "server-secret", 1);
    struct launcher l = {f.s, f.g, 1, "http://127.0.0.1:5999", NULL};
    const char *const argv[] = {"sh", "-c",
                                "printf '%s|%s|%s|%s|%s' \"$MLFLOW_TRACKING_TOKEN\" "
                                "\"$MLFLOW_EXPERIMENT_ID\" \"$(id -u)\" \"$FERRY_ADMIN_PASSWORD\" "
                                "\"$EXTRA\"; read line",
                                NULL};
    const char *const env[] = {"EXTRA=yes", "MLFLOW_TRACKING_TOKEN=forged", NULL};
    ASSERT(pipe(pipefd) == 0);
    struct launch_spec spec = {argv, NULL, "7", env, pipefd[1], 0};
    ASSERT_OK(launch_start(&l, &f.alice, &spec, &x, &err), &err);
    close(pipefd[1]);
    ASSERT(x.pid > 0 && x.token_id != NULL);
    struct sbuf out = SBUF_INIT;
    read_all(pipefd[0], &out);
    close(pipefd[0]);
    /* token|experiment|uid|server's secret (absent)|extra */
    char *fields[5] = {NULL};
    char *p = out.buf;
    for (int i = 0; i < 5; i++) {
        fields[i] = p;
        p = strchr(p, '|');
        if (i < 4) {
            ASSERT(p != NULL);
            *p++ = '\0';
        }
    }
    ASSERT(!strncmp(fields[0], "ferry_", 6));
    ASSERT_STR_EQ(fields[1], "7");
    ASSERT_STR_EQ(fields[3], "");
    ASSERT_STR_EQ(fields[4], "yes");
    if (geteuid() == 0) {
        struct passwd *nobody = getpwnam("nobody");
        ASSERT(nobody != NULL);
        ASSERT_INT_EQ(atoll(fields[2]), (long long)nobody->pw_uid);
    }
    /* while it runs, its token is alice's, for experiment 7 alone */
    struct principal who;
    ASSERT_OK(store_authenticate_token(f.s, fields[0], &who, &err), &err);
    ASSERT_STR_EQ(who.username, "alice");
    ASSERT_INT_EQ(token_scopes_max(&who.scopes, RES_EXPERIMENT, "7"), PERM_EDIT);
    ASSERT_INT_EQ(token_scopes_max(&who.scopes, RES_EXPERIMENT, "8"), PERM_NO_PERMISSIONS);
    ASSERT_INT_EQ(token_scopes_max(&who.scopes, RES_REGISTERED_MODEL, "m"), PERM_NO_PERMISSIONS);
    ASSERT(!who.scopes.admin);
    principal_release(&who);
    ASSERT_OK(launch_wait(&l, &x, &status, &err), &err);
    ASSERT(WIFEXITED(status));
    /* and once it has ended, the token is no more */
    ASSERT_FAILS(store_authenticate_token(f.s, fields[0], &who, &err), &err, FERR_UNAUTHENTICATED);
    sbuf_release(&out);
    unsetenv("FERRY_ADMIN_PASSWORD");
    teardown(&f);
}

TEST(launch_refuses_readers_strangers_and_a_server_that_runs_nothing)
{
    struct fixture f;
    struct ferr err = FERR_INIT;
    struct launch x;
    const char *const argv[] = {"true", NULL};
    struct launch_spec spec = {argv, NULL, "7", NULL, -1, 0};
    setup(&f);
    struct launcher l = {f.s, f.g, 1, NULL, NULL};
    ASSERT_FAILS(launch_start(&l, &f.bob, &spec, &x, &err), &err, FERR_PERMISSION_DENIED);
    ASSERT_FAILS(launch_start(&l, NULL, &spec, &x, &err), &err, FERR_UNAUTHENTICATED);
    spec.experiment_id = "8";
    ASSERT_FAILS(launch_start(&l, &f.alice, &spec, &x, &err), &err, FERR_PERMISSION_DENIED);
    spec.experiment_id = "7";
    const char *const missing[] = {"no-such-program-here", NULL};
    spec.argv = missing;
    ASSERT_FAILS(launch_start(&l, &f.alice, &spec, &x, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    spec.argv = argv;
    l.enabled = 0;
    ASSERT_FAILS(launch_start(&l, &f.alice, &spec, &x, &err), &err, FERR_PERMISSION_DENIED);
    ASSERT_CONTAINS(err.msg, "--no-execute");
    /* nothing was minted for the refused ones */
    struct token_info_list tl = {0};
    ASSERT_OK(store_list_tokens(f.s, NULL, &tl, &err), &err);
    ASSERT_INT_EQ((long long)tl.n, 0);
    token_info_list_release(&tl);
    struct launcher root = {f.s, f.g, 1, NULL, "root"};
    ASSERT_FAILS(launch_start(&root, &f.alice, &spec, &x, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    teardown(&f);
}
