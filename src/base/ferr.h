/* SPDX-License-Identifier: MIT
 * The one error type that crosses every layer. It carries an MLflow error code
 * and a message; it is fixed-size so reporting an error never allocates. Only
 * http/status.c turns a code into an HTTP status. ferry's own messages follow
 * git: lower case, no final period, the subject in quotes; where MLflow's
 * REST API has a message of its own, clients match on it and ferry gives it
 * word for word. 1 KiB holds MLflow's longest with the user text it quotes
 * (cut at 500 bytes). */
#ifndef FERRY_BASE_FERR_H
#define FERRY_BASE_FERR_H

enum ferr_code {
    FERR_OK = 0,
    FERR_INVALID_PARAMETER_VALUE,
    FERR_RESOURCE_DOES_NOT_EXIST,
    FERR_RESOURCE_ALREADY_EXISTS,
    FERR_BAD_REQUEST,
    FERR_INVALID_STATE,
    FERR_INTERNAL_ERROR,
    FERR_ENDPOINT_NOT_FOUND,
    FERR_REQUEST_LIMIT_EXCEEDED,
    FERR_PERMISSION_DENIED,
    FERR_UNAUTHENTICATED,
    FERR_TEMPORARILY_UNAVAILABLE,
    FERR_NOT_IMPLEMENTED,
    FERR_IO_ERROR, /* local I/O or transport failure (client side); INTERNAL_ERROR on the wire */
    FERR__COUNT
};

struct ferr {
    enum ferr_code code;
    char msg[1024];
};

#define FERR_INIT                                                                                  \
    {                                                                                              \
        FERR_OK, ""                                                                                \
    }

/* Sets err (which may be NULL) and returns -1, so `return ferr_set(...)` reads
 * like git's `return error(...)`. */
int ferr_set(struct ferr *err, enum ferr_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ferr_clear(struct ferr *err);
/* MLflow's name for a code, e.g. "INVALID_PARAMETER_VALUE". */
const char *ferr_code_name(enum ferr_code code);
/* The code for an MLflow name; FERR_INTERNAL_ERROR when unknown. */
enum ferr_code ferr_code_from_name(const char *name);

#define WARN_UNUSED __attribute__((warn_unused_result))

#endif
