/* SPDX-License-Identifier: MIT */
#include "server/respond.h"
#include "server/http.h"
#include "api/codec.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "base/banned.h"

static atomic_int shutting_down;

void respond_begin_shutdown(void)
{
    atomic_store(&shutting_down, 1);
}

int respond_shutting_down(void)
{
    return atomic_load(&shutting_down);
}

enum MHD_Result respond_queue(struct MHD_Connection *conn, int status, struct MHD_Response *resp)
{
    if (respond_shutting_down() &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_NO) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result respond_body(struct MHD_Connection *conn, int status, const char *ctype,
                             struct sbuf *body)
{
    size_t len;
    char *buf = sbuf_detach(body, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(buf);
        return MHD_NO;
    }
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) == MHD_NO) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    return respond_queue(conn, status, resp);
}

enum MHD_Result respond_error(struct MHD_Connection *conn, int status, const struct ferr *err)
{
    struct sbuf sb = SBUF_INIT;
    codec_write_error(&sb, err);
    return respond_body(conn, status ? status : http_status_for(err->code), "application/json",
                        &sb);
}
