/* SPDX-License-Identifier: MIT
 * For unit tests that need a real REST server: the ferry binary beside
 * unit-tests, started as `ferry server` on a free loopback port with a fresh
 * SQLite database in the test's directory. One server at a time; a test
 * that fails or times out takes it down too (PR_SET_PDEATHSIG, atexit). */
#ifndef FERRY_TESTS_TEST_SERVER_H
#define FERRY_TESTS_TEST_SERVER_H

#include "base/sbuf.h"

/* Starts the server and appends its "http://HOST:PORT" to url; with
 * artifacts_dest non-NULL it is passed as --artifacts-destination.
 * Returns -1 when the binary is not there (a unit-only build); asserts on
 * any other failure. */
int test_server_start(struct sbuf *url, const char *artifacts_dest);
/* SIGTERM, then the server must exit 0 (sanitizers make leaks fail it). */
void test_server_stop(void);
/* SIGTERM and reap, whatever its exit; nothing when none is running. */
void test_server_kill(void);

#endif
