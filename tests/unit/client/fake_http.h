/* SPDX-License-Identifier: MIT
 * A scripted HTTP server for client tests: listens on a free loopback port
 * in a thread and answers each request with the next canned response (the
 * last one repeats), one connection per request. It records how many
 * requests came and the last one's head and body, so tests can check
 * retries, methods, query strings and headers without a real server. */
#ifndef FERRY_TESTS_FAKE_HTTP_H
#define FERRY_TESTS_FAKE_HTTP_H

#include <pthread.h>
#include <stddef.h>

struct fake_response {
    int status;
    const char *headers; /* extra header lines, each ending in \r\n; may be NULL */
    const char *body;
};

struct fake_http {
    int fd; /* listening socket */
    int port;
    const struct fake_response *responses;
    size_t nresponses;
    pthread_mutex_t mu;
    int nrequests;    /* under mu */
    char last[16384]; /* the last request, head and body, under mu */
    int stop;         /* under mu */
    pthread_t thread;
};

/* Starts serving; asserts on failure. */
void fake_http_start(struct fake_http *f, const struct fake_response *responses, size_t n);
/* Stops the thread and closes the socket. */
void fake_http_stop(struct fake_http *f);
int fake_http_requests(struct fake_http *f);
/* Copies the last request into buf (NUL-terminated). */
void fake_http_last(struct fake_http *f, char *buf, size_t n);
/* "http://127.0.0.1:PORT" into buf. */
void fake_http_url(const struct fake_http *f, char *buf, size_t n);

#endif
