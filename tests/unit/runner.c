/* SPDX-License-Identifier: MIT
 * Runs every registered test in a forked child with a timeout (libuv's runner
 * pattern). Usage: unit-tests [substring]. Prints one line per test and ends
 * with "N passed, N failed". Exit status 1 when any test failed. */
#include "test.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS   1024
#define TIMEOUT_SEC 60

struct test {
    const char *name, *file;
    test_fn fn;
    enum test_kind kind;
};

static struct test tests[MAX_TESTS];
static int ntests;
static char tmpdir[256];

void test_register(const char *name, const char *file, test_fn fn, enum test_kind kind)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        abort();
    }
    tests[ntests++] = (struct test){name, file, fn, kind};
}

const char *test_tmpdir(void)
{
    return tmpdir;
}

int test_on_postgres(void)
{
    const char *b = getenv("FERRY_TEST_STORE");
    return b && !strcmp(b, "postgres");
}

char *test_store_uri(const char *name)
{ /* each test runs in a child of its own: the pid names its databases */
    char buf[512];
    if (!test_on_postgres()) {
        snprintf(buf, sizeof(buf), "%s/%s.db", tmpdir, name);
        return strdup(buf);
    }
    const char *base = getenv("FERRY_TEST_PG_URI");
    if (!base || !*base) {
        fprintf(stderr, "FERRY_TEST_STORE=postgres needs FERRY_TEST_PG_URI\n");
        exit(1);
    }
    char db[128];
    snprintf(db, sizeof(db), "unit_%ld_%s", (long)getpid(), name); /* the same name: the same database */
    for (char *p = db; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    snprintf(buf, sizeof(buf), "%s/postgres", base);
    PGconn *c = PQconnectdb(buf);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "cannot reach the test cluster %s: %s\n", base, PQerrorMessage(c));
        exit(1);
    }
    char sql[200];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
    PGresult *r = PQexec(c, sql);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !(state && !strcmp(state, "42P04"))) {
        fprintf(stderr, "%s: %s\n", sql, PQerrorMessage(c));
        exit(1);
    }
    PQclear(r);
    PQfinish(c);
    snprintf(buf, sizeof(buf), "%s/%s", base, db);
    return strdup(buf);
}

static int run_one(const struct test *t)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ferry-unit-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 0;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 0;
    }
    if (pid == 0) {
        alarm(TIMEOUT_SEC);
        t->fn();
        exit(0);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        ;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 1;
    if (WIFSIGNALED(st))
        fprintf(stderr, "    killed by signal %d%s\n", WTERMSIG(st),
                WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
    return 0;
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0, pg = test_on_postgres();
    for (int i = 0; i < ntests; i++) {
        if (only && !strstr(tests[i].name, only) && !strstr(tests[i].file, only))
            continue;
        if (tests[i].kind == (pg ? TEST_PLAIN : TEST_PG_ONLY))
            continue;
        int ok = run_one(&tests[i]);
        printf("%s %s%s (%s)\n", ok ? "ok  " : "FAIL", pg ? "pg:" : "", tests[i].name,
               tests[i].file);
        fflush(stdout);
        ok ? passed++ : failed++;
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
