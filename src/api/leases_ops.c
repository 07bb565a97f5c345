/* SPDX-License-Identifier: MIT */
#include "api/leases_ops.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static json_t *lease_to_json(const void *v)
{
    const struct lease *l = v;
    return json_pack("{s:s, s:s, s:I, s:I, s:I}", "name", l->name, "holder", l->holder, "epoch",
                     (json_int_t)l->epoch, "expires_ms", (json_int_t)l->expires_ms, "now_ms",
                     (json_int_t)l->now_ms);
}

static int lease_from_json(json_t *j, void *out, struct ferr *err)
{
    struct lease *l = out;
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *holder = json_string_value(json_object_get(j, "holder"));
    memset(l, 0, sizeof(*l));
    if (!name || !holder)
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed lease");
    l->name = xstrdup(name);
    l->holder = xstrdup(holder);
    l->epoch = json_integer_value(json_object_get(j, "epoch"));
    l->expires_ms = json_integer_value(json_object_get(j, "expires_ms"));
    l->now_ms = json_integer_value(json_object_get(j, "now_ms"));
    return 0;
}

static void lease_free_fields(void *v)
{
    lease_release(v);
}

static const struct api_type lease_type = {"lease",         sizeof(struct lease), lease_to_json,
                                           lease_from_json, lease_free_fields,    NULL};

static const struct api_field take_fields[] = {
    F_STR(struct rq_lease, name, "name", AF_REQUIRED),
    F_STR(struct rq_lease, holder, "holder", AF_REQUIRED),
    F_INT(struct rq_lease, ttl_ms, "ttl_ms", AF_REQUIRED, 0),
};
static const struct api_msg take_req = API_MSG(struct rq_lease, take_fields);
static const struct api_field renew_fields[] = {
    F_STR(struct rq_lease, name, "name", AF_REQUIRED),
    F_STR(struct rq_lease, holder, "holder", AF_REQUIRED),
    F_INT(struct rq_lease, epoch, "epoch", AF_REQUIRED, 0),
    F_INT(struct rq_lease, ttl_ms, "ttl_ms", AF_REQUIRED, 0),
};
static const struct api_msg renew_req = API_MSG(struct rq_lease, renew_fields);
static const struct api_field release_fields[] = {
    F_STR(struct rq_lease, name, "name", AF_REQUIRED),
    F_STR(struct rq_lease, holder, "holder", AF_REQUIRED),
    F_INT(struct rq_lease, epoch, "epoch", AF_REQUIRED, 0),
};
static const struct api_msg release_req = API_MSG(struct rq_lease, release_fields);
static const struct api_field get_fields[] = {
    F_STR(struct rq_lease, name, "name", AF_REQUIRED),
};
static const struct api_msg get_req = API_MSG(struct rq_lease, get_fields);
static const struct api_field lease_fields[] = {
    F_OBJ(struct rs_lease, lease, "lease", 0, &lease_type),
};
static const struct api_msg lease_resp = API_MSG(struct rs_lease, lease_fields);

static int x_lease(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    struct rq_lease *q = req;
    struct lease *out = resp ? &((struct rs_lease *)resp)->lease : NULL;
    switch ((enum lease_op)op->arg) {
    case LEASE_ACQUIRE:
        return store_lease_acquire(env->store, q->name, q->holder, q->ttl_ms, out, err);
    case LEASE_RENEW:
        return store_lease_renew(env->store, q->name, q->holder, q->epoch, q->ttl_ms, out, err);
    case LEASE_RELEASE:
        return store_lease_release(env->store, q->name, q->holder, q->epoch, err);
    }
    return store_lease_get(env->store, q->name, out, err);
}

#define GET_ARG 99
#define LEASE_ROW(nm, p, m, rq, rs, a)                                                             \
    {                                                                                              \
        .name = nm, .root = "/api/2.0/ferry", .path = p, .methods = m, .call = m,                  \
        .max_body = API_BODY_SMALL, .req = rq, .resp = rs, .exec = x_lease, .arg = a, .res = {     \
            ACCESS_ADMIN,                                                                          \
            LOC_NONE,                                                                              \
            NULL                                                                                   \
        }                                                                                          \
    }

const struct api_op api_leases_acquire =
    LEASE_ROW("leases/acquire", "leases/acquire", HTTP_POST, &take_req, &lease_resp, LEASE_ACQUIRE);
const struct api_op api_leases_renew =
    LEASE_ROW("leases/renew", "leases/renew", HTTP_POST, &renew_req, &lease_resp, LEASE_RENEW);
const struct api_op api_leases_release =
    LEASE_ROW("leases/release", "leases/release", HTTP_POST, &release_req, NULL, LEASE_RELEASE);
const struct api_op api_leases_get =
    LEASE_ROW("leases/get", "leases/get", HTTP_GET, &get_req, &lease_resp, GET_ARG);

static const struct api_op *const leases_ops[] = {&api_leases_acquire, &api_leases_renew,
                                                  &api_leases_release, &api_leases_get};
const struct api_area api_leases_area = {"leases", leases_ops,
                                         sizeof(leases_ops) / sizeof(*leases_ops)};
