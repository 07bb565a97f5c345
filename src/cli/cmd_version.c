/* SPDX-License-Identifier: MIT
 * `ferry version`. */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "base/version.h"

#include <stdio.h>
#include <string.h>

#include "base/banned.h"

int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        puts("usage: ferry version\n\nPrints ferry's version.");
        return 0;
    }
    if (argc > 1)
        return cli_usage("usage: ferry version\n");
    printf("ferry %s\n", FERRY_VERSION_STRING);
    return 0;
}
