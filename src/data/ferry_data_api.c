/* SPDX-License-Identifier: MIT
 * The public dataset functions of libferry (ferry.h, "Datasets"): they
 * need the data layer, so they live here rather than in client/ferry_api.c.
 * Each call opens a data port on the client's tracking URI for its
 * duration (a port is cheap next to an add or a get). */
#include "client/ferry_api.h"
#include "data/data_add.h"
#include "data/data_get.h"
#include "data/data_log.h"
#include "data/data_port.h"

#include <stddef.h>

#include "base/banned.h"

static int data_add_call(struct ferry_client *fc, const char *name, const char *local_path,
                         const char *message, int64_t *version)
{
    struct data_port *p = NULL;
    struct data_add_opts o = {message, NULL, 0, NULL, NULL};
    struct data_add_result r;
    if (ferry_api_need(fc, name, "name") || ferry_api_need(fc, local_path, "local_path"))
        return -1;
    if (data_port_open(client_uri(fc->c), &p, &fc->err))
        return -1;
    int rc = data_add(p, name, local_path, &o, &r, &fc->err);
    data_port_close(p);
    if (!rc && version)
        *version = r.version;
    if (!rc)
        data_add_result_release(&r);
    return rc;
}

ferry_status ferry_data_add(ferry_client *c, const char *name, const char *local_path,
                            const char *message, int64_t *version)
{
    FERRY_API_CALL(c, data_add_call(c, name, local_path, message, version));
}

static int data_get_call(struct ferry_client *fc, const char *uri, const char *dst_dir)
{
    struct data_port *p = NULL;
    if (ferry_api_need(fc, uri, "uri") || ferry_api_need(fc, dst_dir, "dst_dir"))
        return -1;
    if (data_port_open(client_uri(fc->c), &p, &fc->err))
        return -1;
    int rc = data_get(p, uri, dst_dir, NULL, NULL, &fc->err);
    data_port_close(p);
    return rc;
}

ferry_status ferry_data_get(ferry_client *c, const char *uri, const char *dst_dir)
{
    FERRY_API_CALL(c, data_get_call(c, uri, dst_dir));
}

static int data_log_call(struct ferry_client *fc, const char *run_id, const char *uri,
                         const char *context)
{
    struct data_port *p = NULL;
    if (ferry_api_need(fc, run_id, "run_id") || ferry_api_need(fc, uri, "uri"))
        return -1;
    if (data_port_open(client_uri(fc->c), &p, &fc->err))
        return -1;
    int rc = data_log_uri(fc->c, p, run_id, uri, context, NULL, &fc->err);
    data_port_close(p);
    return rc;
}

ferry_status ferry_data_log(ferry_client *c, const char *run_id, const char *uri,
                            const char *context)
{
    FERRY_API_CALL(c, data_log_call(c, run_id, uri, context));
}
