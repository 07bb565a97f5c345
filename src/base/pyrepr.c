/* SPDX-License-Identifier: MIT */
#include "base/pyrepr.h"

#include <string.h>

#include "base/banned.h"

void py_repr_str(struct sbuf *sb, const char *s)
{
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    sbuf_addch(sb, q);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\' || *p == (unsigned char)q) {
            sbuf_addch(sb, '\\');
            sbuf_addch(sb, (char)*p);
        } else if (*p == '\n') {
            sbuf_addstr(sb, "\\n");
        } else if (*p == '\r') {
            sbuf_addstr(sb, "\\r");
        } else if (*p == '\t') {
            sbuf_addstr(sb, "\\t");
        } else if (*p < 0x20 || *p == 0x7f) {
            sbuf_addf(sb, "\\x%02x", *p);
        } else {
            sbuf_addch(sb, (char)*p);
        }
    }
    sbuf_addch(sb, q);
}
