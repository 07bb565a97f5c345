/* SPDX-License-Identifier: MIT */
#include "http/status.h"

#include "base/banned.h"

int http_status_for(enum ferr_code code)
{
    switch (code) {
    case FERR_OK:
        return 200;
    case FERR_RESOURCE_DOES_NOT_EXIST:
    case FERR_ENDPOINT_NOT_FOUND:
        return 404;
    case FERR_INVALID_PARAMETER_VALUE:
    case FERR_RESOURCE_ALREADY_EXISTS:
    case FERR_BAD_REQUEST:
    case FERR_INVALID_STATE:
        return 400;
    case FERR_PERMISSION_DENIED:
        return 403;
    case FERR_UNAUTHENTICATED:
        return 401;
    case FERR_REQUEST_LIMIT_EXCEEDED:
        return 429;
    case FERR_TEMPORARILY_UNAVAILABLE:
        return 503;
    case FERR_NOT_IMPLEMENTED:
        return 501;
    default: /* INTERNAL_ERROR, IO_ERROR */
        return 500;
    }
}
