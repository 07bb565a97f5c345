/* SPDX-License-Identifier: MIT
 * One row per operation (the command tables of Redis and git's builtins):
 * a row names an operation of the REST API, the methods and path it is
 * served at, the request and response it takes and gives, described field
 * by field, the function that does it, and the resource it touches. Three
 * things are driven by the rows and nothing else:
 *   - the server's routing: each row is a route, a request is decoded
 *     into the row's request struct, done, and its response encoded;
 *   - libferry's REST transport: a request struct is encoded into the same
 *     JSON, sent with the row's method to the row's path, the answer
 *     decoded into the response struct;
 *   - libferry's embedded transport: the row's function, in-process.
 * So a path and a request envelope are written once, here. Area tables
 * live in api/<area>_ops.c (tracking, metrics, registry, artifacts, gc,
 * traces).
 *
 * Requests own nothing they are given (strings are borrowed from the
 * decoded JSON, or from the caller); what decoding allocates (arrays,
 * lists) is freed by api_release_request. Responses own everything and are
 * freed by api_release_response. Rows are immutable and shared by every
 * thread. */
#ifndef FERRY_API_OP_H
#define FERRY_API_OP_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "http/route.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct artifact_repo;
struct deployment_spec;

/* An entity's JSON shape, for fields that hold one (or a list of them). */
struct api_type {
    const char *name;
    size_t size;
    json_t *(*to_json)(const void *v);
    int (*from_json)(json_t *j, void *out, struct ferr *err);
    void (*release)(void *v);
    /* Optional: writes the same JSON as to_json, straight into sb (for
     * the large answers: metric histories). */
    void (*write)(struct sbuf *sb, const void *v);
};

/* Defines `storage const struct api_type var`, named name, from an entity
 * T's typed codec functions (to_json, from_json, release; wr: the optional
 * writer or NULL). storage: static for a file's own types, else empty. */
#define API_TYPE_OF(storage, var, name, T, to, from, rel, wr)                                      \
    static json_t *var##_to(const void *v)                                                         \
    {                                                                                              \
        return to((const T *)v);                                                                   \
    }                                                                                              \
    static int var##_from(json_t *j, void *out, struct ferr *err)                                  \
    {                                                                                              \
        return from(j, (T *)out, err);                                                             \
    }                                                                                              \
    static void var##_release(void *v)                                                             \
    {                                                                                              \
        rel((T *)v);                                                                               \
    }                                                                                              \
    storage const struct api_type var = {name, sizeof(T), var##_to, var##_from, var##_release, wr}

enum api_kind {
    AK_STR,     /* const char * (request: borrowed; response: owned) */
    AK_RUN_ID,  /* AK_STR "run_id", falling back to the deprecated "run_uuid" */
    AK_INT64,   /* int64_t; `def` when absent */
    AK_DOUBLE,  /* double */
    AK_BOOL,    /* int, 0 or 1 */
    AK_VIEW,    /* enum view_type, by name or number; ACTIVE_ONLY when absent */
    AK_STATUS,  /* enum run_status, by name or number; RUN_STATUS_NONE when absent */
    AK_VERSION, /* int64_t model version, sent as a string, taken as string or number */
    AK_STRS,    /* const char **v (off), size_t n (off_n): an array (one string is one) */
    AK_KV,      /* struct kv_list: [{"key", "value"}] */
    AK_OBJ,     /* an entity by value (type) */
    AK_OBJ_PTR, /* a pointer to an entity (type); NULL: absent */
    AK_LIST,    /* entities (type): T *v (off), size_t n (off_n), alloc (off_alloc) */
    AK_INLINE,  /* an entity whose fields are the envelope's own (type) */
    AK_CUSTOM,  /* codec functions of the field's own (custom) */
};

enum api_field_flags {
    AF_REQUIRED = 1 << 0,   /* absent (or null) is INVALID_PARAMETER_VALUE */
    AF_NONEMPTY = 1 << 1,   /* "" counts as absent (and the field is required) */
    AF_OMIT_EMPTY = 1 << 2, /* not sent: "", empty lists; AK_INT64: `def`; always: NULL */
    AF_SEND_UUID = 1 << 3,  /* AK_RUN_ID: also sent as "run_uuid" (old servers) */
    AF_IN_PATH = 1 << 4,    /* a parameter of the path template, not of the body */
};

struct api_field;

/* A field with codec functions of its own. */
struct api_custom {
    /* Server: from the request object into dst; -1 with err set. */
    int (*decode)(json_t *in, const struct api_field *f, void *dst, struct ferr *err);
    /* Client: into the request object. */
    void (*encode)(json_t *out, const struct api_field *f, const void *src);
    void (*release)(void *dst);
};

struct api_field {
    const char *name; /* the JSON key */
    enum api_kind kind;
    size_t off;       /* of the value in the struct */
    size_t off_n;     /* AK_STRS, AK_LIST: of the count */
    size_t off_alloc; /* AK_LIST: of the allocated count */
    unsigned flags;
    int64_t def; /* AK_INT64: the value when absent */
    const struct api_type *type;
    const struct api_custom *custom;
};

/* A request or a response: a struct and its fields, in decoding order (an
 * error about an earlier field wins). */
struct api_msg {
    size_t size;
    const struct api_field *fields;
    size_t nfields;
};

/* What an operation may touch, for the permission check (auth/guard.c):
 * access to a kind of resource, found from a request field. Every row
 * declares one; ACCESS_UNDECLARED (a row that forgot) is refused when the
 * server starts and by the unit tests. The levels map onto MLflow's
 * permissions: READ needs READ, USE needs USE, EDIT needs EDIT (MLflow's
 * can_update), DELETE and MANAGE need MANAGE. */
enum api_access {
    ACCESS_UNDECLARED = 0,
    ACCESS_PUBLIC, /* no credentials needed: /health, /version, the UI's static files */
    ACCESS_READ,
    ACCESS_USE,
    ACCESS_EDIT,
    ACCESS_DELETE,
    ACCESS_MANAGE,
    ACCESS_ADMIN, /* admins only (users, ferry/gc) */
    ACCESS_SELF,  /* the user named by the field, or an admin (passwords, tokens) */
};
/* "READ", "ADMIN", ... for listings. */
const char *api_access_name(enum api_access a);
enum api_locator {
    LOC_NONE,            /* global (searches are filtered per resource later) */
    LOC_EXPERIMENT_ID,   /* field: an experiment id */
    LOC_EXPERIMENT_NAME, /* field: an experiment name */
    LOC_EXPERIMENT_IDS,  /* field: a list of experiment ids */
    LOC_RUN_ID,          /* field: a run id -> its experiment */
    LOC_RUN_IDS,         /* field: a list of run ids -> their experiments */
    LOC_MODEL_NAME,      /* field: a registered model's name */
    LOC_MODEL_URI,       /* field: models:/<name>/... or runs:/<run>/... */
    LOC_ARTIFACT_PATH,   /* field: "<experiment id>/<run id>/artifacts/..." */
    LOC_NEW_EXPERIMENT,  /* creating an experiment */
    LOC_NEW_MODEL,       /* creating a registered model (field: its name) */
    LOC_LOGGED_MODEL,    /* field: a logged model's id -> its experiment */
    LOC_TRACE_ID,        /* field: a trace's request_id (3.x: trace_id) -> its experiment */
    LOC_NEW_TRACE,       /* field: a trace_info (AK_OBJ) -> the experiment it names */
    LOC_USERNAME,        /* field: a username (ACCESS_SELF) */
    LOC_TRACE_LOCATIONS, /* field: struct trace_locations (3.x search) -> its experiments */
    LOC_TRACE_IDS,       /* field: a list of trace ids -> their experiments */
    LOC_TRIGGER_SPEC,    /* field: a trigger's spec (apply) -> its pipeline's experiment */
    LOC_TRIGGER_NAME,    /* field: a trigger's name -> its pipeline's experiment */
};
struct api_resource {
    enum api_access access;
    enum api_locator loc;
    const char *field; /* the request field the locator reads */
};

/* Who runs an operation, and on what. */
struct api_env {
    struct store *store;
    struct artifact_repo *artifacts;    /* the server's proxied repository; NULL: none */
    int remote;                         /* a request from the network (not in-process) */
    const char *user;                   /* remote: who asks; NULL: unknown */
    const struct artifact_roots *roots; /* where local artifacts may be; NULL: anywhere */
    int authenticated;                  /* user is a checked identity (auth on), not a claim */
    int is_admin;                       /* authenticated: user is an admin */
    /* Optional: whether a deployment spec's versions can be served (the
     * server's check, gateway/deploy_check.h); NULL: not checked here. */
    int (*check_spec)(void *arg, const struct deployment_spec *resolved, struct ferr *err);
    void *check_spec_arg;
};

struct api_op;
typedef int (*api_exec_fn)(const struct api_env *env, const struct api_op *op, void *req,
                           void *resp, struct ferr *err);

enum api_op_flags {
    OP_AJAX = 1 << 0,       /* also served under /ajax-api/ (MLflow's UI prefix) */
    OP_IDEMPOTENT = 1 << 1, /* the REST transport may send it twice (retries) */
    OP_AUTH = 1 << 2,       /* users, permissions, tokens: a server serves it only with auth on */
};

struct api_op {
    const char *name; /* "runs/get" (unique) */
    const char *root; /* "/api/2.0/mlflow", "/api/2.0/ferry", "/api/3.0/mlflow", ... */
    const char *path; /* template under root: "runs/get", "traces/{request_id}/tags" */
    unsigned methods; /* HTTP_* it is served with */
    unsigned call;    /* the one method the REST transport sends */
    unsigned flags;   /* OP_* */
    size_t max_body;  /* request body limit in bytes */
    const struct api_msg *req, *resp;
    api_exec_fn exec;
    intptr_t arg; /* for exec: one function may do several rows */
    struct api_resource res;
    /* A streaming row (files, uploads) is answered by its own HTTP
     * handler instead of req/resp/exec; its body may be streamed too. */
    http_handler_fn stream;
    const struct http_body_ops *body;
    /* Bytes of parse memory one byte of the JSON body may cost (0: 4):
     * more for a body of many small objects (a dataset manifest). */
    unsigned body_cost;
};

/* Field descriptors, for the area tables: T is the message struct. */
#define F_(T, m, nm, kind, flags, def, type)                                                       \
    {                                                                                              \
        nm, kind, offsetof(T, m), 0, 0, flags, def, type, NULL                                     \
    }
#define F_STR(T, m, nm, flags)     F_(T, m, nm, AK_STR, flags, 0, NULL)
#define F_RUN_ID(T, m, flags)      F_(T, m, "run_id", AK_RUN_ID, flags, 0, NULL)
#define F_INT(T, m, nm, flags, d)  F_(T, m, nm, AK_INT64, flags, d, NULL)
#define F_BOOL(T, m, nm, flags)    F_(T, m, nm, AK_BOOL, flags, 0, NULL)
#define F_VIEW(T, m, nm)           F_(T, m, nm, AK_VIEW, 0, 0, NULL)
#define F_STATUS(T, m, nm)         F_(T, m, nm, AK_STATUS, 0, 0, NULL)
#define F_VERSION(T, m, nm, flags) F_(T, m, nm, AK_VERSION, flags, 0, NULL)
#define F_KV(T, m, nm, flags)      F_(T, m, nm, AK_KV, flags, 0, NULL)
#define F_OBJ(T, m, nm, flags, ty) F_(T, m, nm, AK_OBJ, flags, 0, ty)
#define F_PTR(T, m, nm, ty)        F_(T, m, nm, AK_OBJ_PTR, 0, 0, ty)
#define F_INLINE(T, m, ty)         F_(T, m, "", AK_INLINE, 0, 0, ty)
#define F_STRS(T, v, n, nm, flags)                                                                 \
    {                                                                                              \
        nm, AK_STRS, offsetof(T, v), offsetof(T, n), offsetof(T, n), flags, 0, NULL, NULL          \
    }
#define F_LIST(T, v, n, alloc, nm, flags, ty)                                                      \
    {                                                                                              \
        nm, AK_LIST, offsetof(T, v), offsetof(T, n), offsetof(T, alloc), flags, 0, ty, NULL        \
    }
#define F_CUSTOM(T, m, nm, cu)                                                                     \
    {                                                                                              \
        nm, AK_CUSTOM, offsetof(T, m), 0, 0, 0, 0, NULL, cu                                        \
    }
#define API_MSG(T, fields)                                                                         \
    {                                                                                              \
        sizeof(T), fields, sizeof(fields) / sizeof(*(fields))                                      \
    }

/* Request body limits: MLflow's 1 MB for most requests. */
#define API_BODY_SMALL (1024 * 1024)

/* An area's rows. */
struct api_area {
    const char *name;
    const struct api_op *const *ops;
    size_t n;
};

/* Every area of the REST API, in routing order; ends with NULL. */
extern const struct api_area *const api_areas[];

/* The row named name, or NULL. */
const struct api_op *api_op_find(const char *name);

/* Server side: decodes in (the request's JSON object; path parameters are
 * already fields of it) into req (op->req->size bytes, zeroed by the
 * caller). Strings point into in. On failure req holds nothing to free. */
int api_decode_request(const struct api_op *op, json_t *in, void *req,
                       struct ferr *err) WARN_UNUSED;
void api_release_request(const struct api_op *op, void *req);
/* Server side: resp as the answer's JSON. */
void api_encode_response(const struct api_op *op, const void *resp, struct sbuf *out);

/* Client side: req as the request's JSON object (a new reference; the
 * AF_IN_PATH fields are left out), and its path under the root with the
 * template's parameters filled in from req (percent-encoded). */
json_t *api_encode_request(const struct api_op *op, const void *req);
void api_request_path(const struct api_op *op, const void *req, struct sbuf *out);
/* Client side: the answer's JSON into resp (zeroed by the caller). On
 * failure resp holds nothing to free. */
int api_decode_response(const struct api_op *op, json_t *in, void *resp,
                        struct ferr *err) WARN_UNUSED;
void api_release_response(const struct api_op *op, void *resp);

/* Runs the row's function. */
int api_exec(const struct api_env *env, const struct api_op *op, void *req, void *resp,
             struct ferr *err) WARN_UNUSED;

/* Paging a search whose answer is trimmed after the fact (to what a caller
 * may read), so that a page still holds max_results when more exist:
 * api_page_request points req at page_token and, when *max_results > 0,
 * asks that many (else reports what req asks in *max_results); -1 when the
 * row does not page. api_page_next gives the answer's next page token and
 * its entity count; api_page_append moves more's entities and next page
 * token into resp and releases more (not freed). */
int api_page_request(const struct api_op *op, void *req, const char *page_token,
                     int64_t *max_results);
const char *api_page_next(const struct api_op *op, const void *resp, size_t *n);
void api_page_append(const struct api_op *op, void *resp, void *more);

/* The resource a request touches, as the row declares it. */
struct api_target {
    enum api_access access;
    enum api_locator loc;
    char **experiment_ids; /* the experiments touched (none for models and globals) */
    size_t nexperiments;
    char *model_name; /* LOC_MODEL_NAME, LOC_NEW_MODEL, a models:/ URI */
    char *username;   /* LOC_USERNAME */
};
/* Finds what req (decoded for op) touches, looking runs and experiments up
 * in the store where the row says so. An unknown run or experiment is
 * RESOURCE_DOES_NOT_EXIST, as the operation itself would answer. */
int api_resolve_target(const struct api_op *op, const void *req, struct store *s,
                       struct api_target *out, struct ferr *err) WARN_UNUSED;
/* A request's string field by name; NULL when absent or not a string. */
const char *api_request_string(const struct api_op *op, const void *req, const char *name);
/* What a model version's source and run id give access to (a version's
 * files are served to whoever may read the model): the run's experiment,
 * a runs:/ or models:/ URI's run, logged model (its experiment) or
 * registered model, a proxied location's experiment. Other sources (object
 * stores, local paths, which need a run id) add nothing. */
int api_resolve_source(const char *source, const char *run_id, struct store *s,
                       struct api_target *out, struct ferr *err) WARN_UNUSED;
/* The locator field's value when it is a string (a run id, a name); NULL
 * when absent or not a string. */
const char *api_locator_string(const struct api_op *op, const void *req);
/* The same for a streaming row, from the locator field's value as the
 * request's path or query gives it (NULL: absent). */
int api_resolve_value(const struct api_op *op, const char *value, struct store *s,
                      struct api_target *out, struct ferr *err) WARN_UNUSED;
void api_target_release(struct api_target *t);

#endif
