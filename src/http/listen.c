/* SPDX-License-Identifier: MIT */
#include "http/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/banned.h"

static int host_address(const char *host, struct in_addr *out, struct ferr *err)
{
    if (inet_pton(AF_INET, host, out) == 1)
        return 0;
    if (!strcmp(host, "localhost")) {
        out->s_addr = htonl(INADDR_LOOPBACK);
        return 0;
    }
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "invalid --host '%.100s': expected an IPv4 address such as 127.0.0.1", host);
}

int http_host_is_loopback(const char *host)
{
    return !strcmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "::1") ||
           !strcmp(host, "[::1]");
}

int http_host_check(const char *host, struct ferr *err)
{
    struct in_addr a;
    return host_address(host, &a, err);
}

int http_listen(const char *host, int port, int *port_out, struct ferr *err)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (host_address(host, &sa.sin_addr, err))
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ferr_set(err, FERR_INTERNAL_ERROR, "socket: %s", strerror(errno));
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE)
            return ferr_set(err, FERR_INVALID_STATE,
                            "port %d on %s is already in use: stop the other server or pick "
                            "another --port",
                            port, host);
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot listen on %s:%d: %s", host, port,
                        strerror(e));
    }
    socklen_t len = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        int e = errno;
        close(fd);
        return ferr_set(err, FERR_INTERNAL_ERROR, "getsockname: %s", strerror(e));
    }
    *port_out = ntohs(sa.sin_port);
    return fd;
}
