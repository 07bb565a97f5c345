/* SPDX-License-Identifier: MIT
 * http/browser: Host and Origin parsing, host and origin patterns,
 * networks, forwarding headers, the simple content types. */
#include "../test.h"
#include "http/browser.h"

#include <arpa/inet.h>

TEST(browser_authorities_parse_names_ports_and_v6)
{
    char name[HTTP_HOST_MAX];
    int port;
    ASSERT(!http_authority_parse("Example.COM.:8080", 17, name, &port));
    ASSERT_STR_EQ(name, "example.com");
    ASSERT(port == 8080);
    ASSERT(!http_authority_parse("[0:0::1]", 8, name, &port) && port == -1);
    ASSERT_STR_EQ(name, "::1");
    const char *bad[] = {"", ":80", "a:", "a:65536", "a:1x", "::1", "[::1", "[::1]x", "a b",
                         "a/b", "user@host", "a..", "[zz]:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        ASSERT(http_authority_parse(bad[i], strlen(bad[i]), name, &port) == -1);
}

TEST(browser_host_patterns)
{
    struct http_patterns p = HTTP_PATTERNS_INIT;
    struct ferr err = FERR_INIT;
    ASSERT(!http_hosts_add(&p, " a.example , *.corp.example,pin.example:81,::1,x:*", &err));
    ASSERT(http_hosts_allow(&p, "A.example:5000", 80));
    ASSERT(http_hosts_allow(&p, "b.c.corp.example", 80));
    ASSERT(!http_hosts_allow(&p, "corp.example", 80));
    ASSERT(http_hosts_allow(&p, "pin.example:81", 80));
    ASSERT(!http_hosts_allow(&p, "pin.example", 80));
    ASSERT(http_hosts_allow(&p, "[::1]:5000", 80));
    ASSERT(http_hosts_allow(&p, "x:9", 80));
    ASSERT(!http_hosts_allow(&p, "evil.example", 80));
    ASSERT(http_hosts_add(&p, "ok,bad host", &err) == -1);
    ASSERT(err.code == FERR_INVALID_PARAMETER_VALUE && strstr(err.msg, "'bad host'"));
    http_patterns_release(&p);
    ASSERT(!http_hosts_add(&p, "*", &err) && http_hosts_allow(&p, "anything", 80));
    http_patterns_release(&p);
}

TEST(browser_origins_parse_and_match)
{
    struct http_origin o;
    struct http_patterns p = HTTP_PATTERNS_INIT;
    struct ferr err = FERR_INIT;
    ASSERT(!http_origin_parse("https://App.example.com", &o) && o.port == 443);
    ASSERT_STR_EQ(o.host, "app.example.com");
    ASSERT(http_origin_parse("null", &o) == -1);
    ASSERT(http_origin_parse("https://a/", &o) == -1);
    ASSERT(!http_origins_add(&p, "https://app.example.com,https://*.nb.example,http://localhost:*",
                             &err));
    ASSERT(!http_origin_parse("https://app.example.com:443", &o) && http_origins_allow(&p, &o));
    ASSERT(!http_origin_parse("http://app.example.com", &o) && !http_origins_allow(&p, &o));
    ASSERT(!http_origin_parse("https://x.nb.example", &o) && http_origins_allow(&p, &o));
    ASSERT(!http_origin_parse("http://localhost:3000", &o) && http_origins_allow(&p, &o));
    ASSERT(!http_origin_parse("https://localhost:3000", &o) && !http_origins_allow(&p, &o));
    ASSERT(http_origins_add(&p, "example.com", &err) == -1);
    http_patterns_release(&p);
}

TEST(browser_networks_and_forwarded_clients)
{
    struct http_cidrs c = HTTP_CIDRS_INIT;
    struct ferr err = FERR_INIT;
    char buf[INET6_ADDRSTRLEN];
    ASSERT(!http_cidrs_add(&c, "10.0.0.0/8, 192.0.2.7, fd00::/8", &err));
    ASSERT(http_cidrs_match(&c, "10.255.1.2") && http_cidrs_match(&c, "::ffff:10.0.0.1"));
    ASSERT(http_cidrs_match(&c, "192.0.2.7") && !http_cidrs_match(&c, "192.0.2.8"));
    ASSERT(http_cidrs_match(&c, "fd12::1") && !http_cidrs_match(&c, "fe80::1"));
    ASSERT(http_cidrs_add(&c, "10.0.0.0/33", &err) == -1);
    http_forwarded_client(&c, "10.0.0.1", "198.51.100.1, 203.0.113.9, 10.1.1.1", NULL, buf,
                          sizeof(buf));
    ASSERT_STR_EQ(buf, "203.0.113.9"); /* the nearest untrusted hop, not what the client wrote */
    http_forwarded_client(&c, "10.0.0.1", "unknown, 10.1.1.1", NULL, buf, sizeof(buf));
    ASSERT_STR_EQ(buf, "10.1.1.1");
    http_forwarded_client(&c, "10.0.0.1", NULL, "for=192.0.2.60;proto=http, for=\"[2001:db8::1]:4711\"",
                          buf, sizeof(buf));
    ASSERT_STR_EQ(buf, "2001:db8::1");
    ASSERT(!http_forwarded_param("for=x, for=y;Host=\"a.example\";proto=https", "host", buf,
                                 sizeof(buf)));
    ASSERT_STR_EQ(buf, "a.example");
    ASSERT(!http_forwarded_last("a, b ,c ", buf, sizeof(buf)));
    ASSERT_STR_EQ(buf, "c");
    http_cidrs_release(&c);
}

TEST(browser_simple_content_types)
{
    ASSERT(http_simple_content_type("text/plain"));
    ASSERT(http_simple_content_type(" Text/Plain ; charset=utf-8"));
    ASSERT(http_simple_content_type("multipart/form-data; boundary=x"));
    ASSERT(http_simple_content_type("application/x-www-form-urlencoded"));
    ASSERT(!http_simple_content_type("application/json"));
    ASSERT(!http_simple_content_type("text/plainx"));
    ASSERT(!http_simple_content_type(""));
}
