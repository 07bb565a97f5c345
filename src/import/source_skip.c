/* SPDX-License-Identifier: MIT
 * The tally of what a source holds and ferry leaves behind, shared by both
 * readers (a file of its own: source.c opens the readers, which use this). */
#include "import/source.h"

#include <string.h>

#include "base/banned.h"

void source_skip(struct source *src, const char *what, const char *why, int64_t n)
{
    if (n <= 0)
        return;
    for (size_t i = 0; i < src->nskips; i++)
        if (!strcmp(src->skips[i].what, what)) {
            src->skips[i].n += n;
            return;
        }
    if (src->nskips < SOURCE_MAX_SKIPS)
        src->skips[src->nskips++] = (struct source_skip){what, why, n};
}
