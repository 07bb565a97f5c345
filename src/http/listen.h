/* SPDX-License-Identifier: MIT
 * Opening a listening socket ourselves rather than through libmicrohttpd:
 * precise errors (a taken port says so), and port 0 picks a free one whose
 * number we can print. */
#ifndef FERRY_HTTP_LISTEN_H
#define FERRY_HTTP_LISTEN_H

#include "base/ferr.h"

/* A listening TCP socket on host:port (host: an IPv4 address or
 * "localhost"), close-on-exec, SO_REUSEADDR. Returns the descriptor and sets
 * *port_out to the port bound, or -1 with err set: INVALID_PARAMETER_VALUE
 * for a bad host, INVALID_STATE for a port in use, INTERNAL_ERROR else. */
int http_listen(const char *host, int port, int *port_out, struct ferr *err) WARN_UNUSED;
/* Whether http_listen would take host (its INVALID_PARAMETER_VALUE if not),
 * without opening anything. */
int http_host_check(const char *host, struct ferr *err) WARN_UNUSED;
/* Whether only this machine can reach host (127.0.0.0/8, localhost, ::1):
 * elsewhere servers authenticate by default. */
int http_host_is_loopback(const char *host);

#endif
