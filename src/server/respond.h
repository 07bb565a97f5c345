/* SPDX-License-Identifier: MIT
 * Queuing answers on a libmicrohttpd connection: JSON bodies, MLflow's JSON
 * errors, and any prepared response (files). Every answer passes through
 * here so that shutdown can add Connection: close to all of them. Internal
 * to server/. */
#ifndef FERRY_SERVER_RESPOND_H
#define FERRY_SERVER_RESPOND_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <microhttpd.h>

/* From now on every answer carries Connection: close (see server.c). */
void respond_begin_shutdown(void);
int respond_shutting_down(void);

/* Queues resp with status and destroys the caller's reference. */
enum MHD_Result respond_queue(struct MHD_Connection *conn, int status, struct MHD_Response *resp);
/* Takes body's buffer. */
enum MHD_Result respond_body(struct MHD_Connection *conn, int status, const char *ctype,
                             struct sbuf *body);
/* MLflow's {"error_code", "message"}; status 0 picks the code's status. */
enum MHD_Result respond_error(struct MHD_Connection *conn, int status, const struct ferr *err);

#endif
