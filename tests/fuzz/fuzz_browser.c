/* SPDX-License-Identifier: MIT
 * libFuzzer target: the headers and options http/browser.h reads. The
 * input (a NUL-terminated copy) is read as a Host header, an Origin, host,
 * origin and network lists, and forwarding headers. An authority that
 * parses must give a name it parses back to; an origin's port is a real
 * one; a forwarded address is one inet_pton reads. Nothing may crash,
 * leak or trip UBSan. */
#include "fuzz_input.h"
#include "http/browser.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void authority(const char *s)
{
    char name[HTTP_HOST_MAX], again[HTTP_HOST_MAX];
    int port, p2;
    if (http_authority_parse(s, strlen(s), name, &port))
        return;
    if (port < -1 || port > 65535 || !name[0])
        abort();
    /* an IPv6 name goes back in brackets */
    char buf[HTTP_HOST_MAX + 2];
    size_t n = strlen(name);
    if (strchr(name, ':')) {
        buf[0] = '[';
        memcpy(buf + 1, name, n);
        buf[n + 1] = ']';
        n += 2;
    } else {
        memcpy(buf, name, n);
    }
    if (http_authority_parse(buf, n, again, &p2) || strcmp(again, name) || p2 != -1)
        abort();
}

static void lists(const char *s)
{
    struct http_patterns hosts = HTTP_PATTERNS_INIT, origins = HTTP_PATTERNS_INIT;
    struct http_cidrs cidrs = HTTP_CIDRS_INIT;
    struct ferr err = FERR_INIT;
    struct http_origin o;
    if (http_hosts_add(&hosts, s, &err) && (err.code != FERR_INVALID_PARAMETER_VALUE || !err.msg[0]))
        abort();
    (void)http_origins_add(&origins, s, &err);
    (void)http_cidrs_add(&cidrs, s, &err);
    (void)http_hosts_allow(&hosts, s, 80);
    (void)http_hosts_allow(&hosts, "example.com:443", 443);
    if (!http_origin_parse(s, &o)) {
        if (o.port < 0 || o.port > 65535)
            abort();
        (void)http_origins_allow(&origins, &o);
    }
    (void)http_cidrs_match(&cidrs, s);
    (void)http_cidrs_match(&cidrs, "10.1.2.3");
    http_patterns_release(&hosts);
    http_patterns_release(&origins);
    http_cidrs_release(&cidrs);
}

static void forwarded(const char *s)
{
    struct http_cidrs all = HTTP_CIDRS_INIT;
    struct ferr err = FERR_INIT;
    char buf[INET6_ADDRSTRLEN], out[64];
    unsigned char bin[16];
    if (!http_forwarded_addr(s, strlen(s), buf, sizeof(buf)) &&
        inet_pton(AF_INET, buf, bin) != 1 && inet_pton(AF_INET6, buf, bin) != 1)
        abort();
    if (http_cidrs_add(&all, "0.0.0.0/0,::/0", &err))
        abort();
    http_forwarded_client(&all, "127.0.0.1", s, NULL, buf, sizeof(buf));
    http_forwarded_client(&all, "127.0.0.1", NULL, s, buf, sizeof(buf));
    if (!http_forwarded_param(s, "host", out, sizeof(out)) && !out[0])
        abort();
    if (!http_forwarded_last(s, out, sizeof(out)) && !out[0])
        abort();
    (void)http_simple_content_type(s);
    http_cidrs_release(&all);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    authority(s);
    lists(s);
    forwarded(s);
    free(s);
    return 0;
}
