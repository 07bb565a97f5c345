/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* strcasestr */
#include "fake_http.h"
#include "../test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Reads one request (head, then Content-Length bytes of body) into buf. */
static size_t read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0, want = 0;
    char *end = NULL;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
        }
        if (end && len >= want)
            break;
    }
    buf[len] = '\0';
    return len;
}

static void respond(int fd, const struct fake_response *r)
{
    char head[512];
    const char *body = r->body ? r->body : "";
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d Whatever\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
                     r->status, strlen(body), r->headers ? r->headers : "");
    if (write(fd, head, (size_t)n) != n || write(fd, body, strlen(body)) != (ssize_t)strlen(body))
        fprintf(stderr, "fake_http: short write\n");
}

static void *serve(void *arg)
{
    struct fake_http *f = arg;
    char req[16384];
    for (;;) {
        pthread_mutex_lock(&f->mu);
        int stop = f->stop;
        pthread_mutex_unlock(&f->mu);
        if (stop)
            return NULL;
        struct pollfd p = {f->fd, POLLIN, 0};
        if (poll(&p, 1, 50) != 1)
            continue;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            continue;
        read_request(c, req, sizeof(req));
        pthread_mutex_lock(&f->mu);
        size_t i = (size_t)f->nrequests++;
        snprintf(f->last, sizeof(f->last), "%s", req);
        pthread_mutex_unlock(&f->mu);
        respond(c, &f->responses[i < f->nresponses ? i : f->nresponses - 1]);
        close(c);
    }
}

void fake_http_start(struct fake_http *f, const struct fake_response *responses, size_t n)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    memset(f, 0, sizeof(*f));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(f->fd >= 0);
    ASSERT(bind(f->fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    ASSERT(listen(f->fd, 16) == 0);
    ASSERT(getsockname(f->fd, (struct sockaddr *)&a, &alen) == 0);
    f->port = ntohs(a.sin_port);
    f->responses = responses;
    f->nresponses = n;
    pthread_mutex_init(&f->mu, NULL);
    ASSERT(pthread_create(&f->thread, NULL, serve, f) == 0);
}

void fake_http_stop(struct fake_http *f)
{
    pthread_mutex_lock(&f->mu);
    f->stop = 1;
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    close(f->fd);
    pthread_mutex_destroy(&f->mu);
}

int fake_http_requests(struct fake_http *f)
{
    pthread_mutex_lock(&f->mu);
    int n = f->nrequests;
    pthread_mutex_unlock(&f->mu);
    return n;
}

void fake_http_last(struct fake_http *f, char *buf, size_t n)
{
    pthread_mutex_lock(&f->mu);
    snprintf(buf, n, "%s", f->last);
    pthread_mutex_unlock(&f->mu);
}

void fake_http_url(const struct fake_http *f, char *buf, size_t n)
{
    snprintf(buf, n, "http://127.0.0.1:%d", f->port);
}
