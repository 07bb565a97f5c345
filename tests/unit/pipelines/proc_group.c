/* SPDX-License-Identifier: MIT */
#include "proc_group.h"
#include "../test.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

int group_size(long pgid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    ASSERT(d);
    while ((e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t k = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[k] = '\0';
        const char *rp = strrchr(buf, ')');
        char state;
        long ppid, pgrp;
        if (rp && sscanf(rp + 1, " %c %ld %ld", &state, &ppid, &pgrp) == 3 && pgrp == pgid)
            n++;
    }
    closedir(d);
    return n;
}
