/* SPDX-License-Identifier: MIT
 * One outbound HTTP POST to a URL someone configured (an alert sink's
 * webhook, a registry webhook), with libcurl: the given headers and body,
 * one attempt, an overall time limit, http and https only, no redirects
 * followed (a receiver's redirect is an answer, not a new destination), a
 * fresh handle each time (such posts are rare, and a reused connection to a
 * receiver that went away would only add a failure mode). No retries and
 * no signing: the callers decide those (monitor/alert_sink.h,
 * api/webhook_send.h). Thread-safe; the caller ignores SIGPIPE. */
#ifndef FERRY_HTTP_POST_H
#define FERRY_HTTP_POST_H

#include <stddef.h>

struct http_post {
    const char *url;             /* http:// or https:// */
    const char *const *headers;  /* "Name: value" lines (Content-Type among them) */
    size_t nheaders;
    const char *body;
    size_t body_len;
    long timeout_ms;  /* the whole attempt; connecting at most 5 s of it */
    size_t keep_body; /* bytes of the answer's body kept (0: none) */
};

struct http_post_result {
    long status;      /* the answer's HTTP status; 0: no answer */
    char *body;       /* the answer's first keep_body bytes (NUL-terminated), or NULL */
    char error[256];  /* why there was no answer */
};

/* 0 when an answer came (whatever its status), -1 with out->error when
 * none did (bad URL, connection refused, timeout, ...). out is filled
 * either way; release it with http_post_result_release. */
int http_post_send(const struct http_post *p, struct http_post_result *out);
void http_post_result_release(struct http_post_result *r);

#endif
