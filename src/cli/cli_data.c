/* SPDX-License-Identifier: MIT
 * data: URIs where the CLI takes a path (cli/cli_data.h). */
#include "cli/cli_data.h"
#include "cli/cli.h"
#include "client/client.h"
#include "data/data_fetch.h"
#include "data/data_port.h"
#include "domain/data_version.h"

#include "base/banned.h"

int cli_local_path(const char *arg, struct sbuf *out, struct ferr *err)
{
    struct data_port *port = NULL;
    struct data_fetched f = DATA_FETCHED_INIT;
    sbuf_reset(out);
    if (!data_uri_is(arg)) {
        sbuf_addstr(out, arg);
        return 0;
    }
    int rc = data_port_open(cli_tracking_uri, &port, err) || data_fetch(port, arg, NULL, &f, err)
                 ? -1
                 : 0;
    if (!rc)
        sbuf_addstr(out, f.path);
    data_fetched_release(&f);
    data_port_close(port);
    return rc;
}
