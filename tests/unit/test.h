/* SPDX-License-Identifier: MIT
 * A minimal unit-test framework. TEST(name) registers a test; the runner
 * (runner.c) forks one child per test with a timeout, so a crash or hang fails
 * that test alone. Assertions print both sides and stop the test. */
#ifndef FERRY_TESTS_TEST_H
#define FERRY_TESTS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
/* Which runs a test belongs to. The runner runs TEST_PLAIN and
 * TEST_ANY_STORE tests by default (the store on SQLite); with
 * FERRY_TEST_STORE=postgres (and FERRY_TEST_PG_URI, a throwaway cluster's
 * postgresql://user@host:port) it runs TEST_ANY_STORE and TEST_PG_ONLY
 * tests, the store on PostgreSQL. */
enum test_kind { TEST_PLAIN, TEST_ANY_STORE, TEST_PG_ONLY };
void test_register(const char *name, const char *file, test_fn fn, enum test_kind kind);
/* A scratch directory unique to the running test, removed afterwards. */
const char *test_tmpdir(void);
/* A new, empty store of the backend under test, as a store_open URI: a file
 * in test_tmpdir() on SQLite, a fresh database on PostgreSQL. A new string. */
char *test_store_uri(const char *name);
/* 1 when the store under test is PostgreSQL. */
int test_on_postgres(void);

#define TEST_OF_KIND(name, kind)                                                                   \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void test_reg_##name(void)                                 \
    {                                                                                              \
        test_register(#name, __FILE__, test_##name, kind);                                         \
    }                                                                                              \
    static void test_##name(void)

/* A test of anything but the store, or of the SQLite file itself. */
#define TEST(name)       TEST_OF_KIND(name, TEST_PLAIN)
/* A test of the store through store_open(test_store_uri(...)): runs on both backends. */
#define STORE_TEST(name) TEST_OF_KIND(name, TEST_ANY_STORE)
/* A test of the PostgreSQL backend itself (migrations, replicas). */
#define PG_TEST(name)    TEST_OF_KIND(name, TEST_PG_ONLY)

#define FAIL_AT(...)                                                                               \
    do {                                                                                           \
        fprintf(stderr, "    %s:%d: ", __FILE__, __LINE__);                                        \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        exit(1);                                                                                   \
    } while (0)

#define ASSERT(c)                                                                                  \
    do {                                                                                           \
        if (!(c))                                                                                  \
            FAIL_AT("assertion failed: %s", #c);                                                   \
    } while (0)

#define ASSERT_INT_EQ(a, b)                                                                        \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            FAIL_AT("%s == %s: %lld != %lld", #a, #b, a_, b_);                                     \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                                        \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_))                                                          \
            FAIL_AT("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",                      \
                    b_ ? b_ : "(null)");                                                           \
    } while (0)

#define ASSERT_CONTAINS(hay, needle)                                                               \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_))                                                                \
            FAIL_AT("%s contains %s: \"%s\" lacks \"%s\"", #hay, #needle, h_ ? h_ : "(null)", n_); \
    } while (0)

/* For functions returning 0 / -1 with a struct ferr. */
#define ASSERT_OK(call, errp)                                                                      \
    do {                                                                                           \
        if ((call) != 0)                                                                           \
            FAIL_AT("%s failed: %s: %s", #call, ferr_code_name((errp)->code), (errp)->msg);        \
    } while (0)

#define ASSERT_FAILS(call, errp, want_code)                                                        \
    do {                                                                                           \
        ferr_clear(errp);                                                                          \
        if ((call) == 0)                                                                           \
            FAIL_AT("%s succeeded, expected %s", #call, ferr_code_name(want_code));                \
        if ((errp)->code != (want_code))                                                           \
            FAIL_AT("%s: code %s, expected %s (%s)", #call, ferr_code_name((errp)->code),          \
                    ferr_code_name(want_code), (errp)->msg);                                       \
    } while (0)

#endif
