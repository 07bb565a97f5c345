/* SPDX-License-Identifier: MIT
 * `ferry data verify [NAME]`: re-hash every object the versions of one
 * dataset (or of every dataset) name, wherever the port keeps them, and
 * list the ones missing or corrupt. Not here: repairing anything (a
 * repeated add of the same files re-uploads what is missing; a corrupt
 * loose object or pack must be removed by hand or by gc first). */
#ifndef FERRY_DATA_DATA_VERIFY_H
#define FERRY_DATA_DATA_VERIFY_H

#include "base/ferr.h"
#include "data/data_port.h"

#include <stddef.h>
#include <stdint.h>

struct data_damage {
    char digest[65];
    int missing;   /* 1: missing; 0: corrupt */
    char *msg;     /* what is wrong, for people */
    char *example; /* one "NAME/V:PATH" that needs the object */
};

struct data_verify_report {
    struct data_damage *v;
    size_t n, alloc;
    int64_t datasets, versions; /* looked at */
    int64_t objects;            /* distinct objects checked */
    int64_t bytes;              /* their logical size */
};

#define DATA_VERIFY_REPORT_INIT                                                                    \
    {                                                                                              \
        NULL, 0, 0, 0, 0, 0, 0                                                                     \
    }

void data_verify_report_release(struct data_verify_report *r);

/* Checks the objects of every version of name (NULL: of every dataset)
 * into *out (DATA_VERIFY_REPORT_INIT; released by the caller, also after
 * a failure). Damage is reported in out, not as a failure: the call fails
 * only when the versions cannot be listed or the port fails
 * (RESOURCE_DOES_NOT_EXIST for an unknown name). */
int data_verify_datasets(struct data_port *p, const char *name, struct data_verify_report *out,
                         struct ferr *err) WARN_UNUSED;

#endif
