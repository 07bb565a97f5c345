/* SPDX-License-Identifier: MIT */
#include "base/ferr.h"
#include "base/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[FERR__COUNT] = {
    [FERR_OK] = "OK",
    [FERR_INVALID_PARAMETER_VALUE] = "INVALID_PARAMETER_VALUE",
    [FERR_RESOURCE_DOES_NOT_EXIST] = "RESOURCE_DOES_NOT_EXIST",
    [FERR_RESOURCE_ALREADY_EXISTS] = "RESOURCE_ALREADY_EXISTS",
    [FERR_BAD_REQUEST] = "BAD_REQUEST",
    [FERR_INVALID_STATE] = "INVALID_STATE",
    [FERR_INTERNAL_ERROR] = "INTERNAL_ERROR",
    [FERR_ENDPOINT_NOT_FOUND] = "ENDPOINT_NOT_FOUND",
    [FERR_REQUEST_LIMIT_EXCEEDED] = "REQUEST_LIMIT_EXCEEDED",
    [FERR_PERMISSION_DENIED] = "PERMISSION_DENIED",
    [FERR_UNAUTHENTICATED] = "UNAUTHENTICATED",
    [FERR_TEMPORARILY_UNAVAILABLE] = "TEMPORARILY_UNAVAILABLE",
    [FERR_NOT_IMPLEMENTED] = "NOT_IMPLEMENTED",
    [FERR_IO_ERROR] = "IO_ERROR",
};

int ferr_set(struct ferr *err, enum ferr_code code, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    /* Messages quote user text cut at byte limits; JSON needs whole characters. */
    utf8_scrub(err->msg);
    return -1;
}

void ferr_clear(struct ferr *err)
{
    if (!err)
        return;
    err->code = FERR_OK;
    err->msg[0] = '\0';
}

const char *ferr_code_name(enum ferr_code code)
{
    if ((unsigned)code >= FERR__COUNT)
        return "INTERNAL_ERROR";
    return names[code];
}

enum ferr_code ferr_code_from_name(const char *name)
{
    for (int i = 0; i < FERR__COUNT; i++)
        if (name && !strcmp(names[i], name))
            return (enum ferr_code)i;
    return FERR_INTERNAL_ERROR;
}
