/* SPDX-License-Identifier: MIT */
#include "server/server_metrics.h"
#include "monitor/monitor_metrics.h"
#include "server/server_int.h"
#include "store/monitors.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MAX_PAGES 10 /* 10,000 active alerts counted at most: a gauge, not an audit */

struct per_monitor {
    char *name;
    long long n;
};

/* Active alerts per monitor, in the order first met. */
static void open_gauge(struct store *s, struct sbuf *sb)
{
    struct per_monitor *v = NULL;
    size_t n = 0, alloc = 0;
    char *token = NULL;
    for (int page = 0; page < MAX_PAGES; page++) {
        struct monitor_alert_list l = {NULL, 0, 0};
        struct alert_query q = {NULL, NULL, ALERT_F_ACTIVE, 1000, token};
        char *next = NULL;
        struct ferr err = FERR_INIT;
        if (store_alerts_list(s, &q, &l, &next, &err))
            break;
        for (size_t i = 0; i < l.n; i++) {
            size_t k = 0;
            while (k < n && strcmp(v[k].name, l.v[i].monitor))
                k++;
            if (k == n) {
                if (n == alloc) {
                    alloc = alloc ? 2 * alloc : 16;
                    v = xrealloc(v, alloc * sizeof(*v));
                }
                v[n].name = l.v[i].monitor;
                v[n++].n = 0;
                l.v[i].monitor = NULL; /* moved */
            }
            v[k].n++;
        }
        monitor_alert_list_release(&l);
        free(token);
        token = next;
        if (!token)
            break;
    }
    free(token);
    sbuf_addstr(sb, "# HELP ferry_alerts_open Active alerts (open or acknowledged) per monitor.\n"
                    "# TYPE ferry_alerts_open gauge\n");
    for (size_t k = 0; k < n; k++) {
        sbuf_addstr(sb, "ferry_alerts_open{monitor=\"");
        for (const char *p = v[k].name; *p; p++) /* names are [A-Za-z0-9._-]; escape anyway */
            if (*p == '"' || *p == '\\' || *p == '\n')
                sbuf_addch(sb, '_');
            else
                sbuf_addch(sb, *p);
        sbuf_addf(sb, "\"} %lld\n", v[k].n);
        free(v[k].name);
    }
    free(v);
}

int server_metrics_answer(struct http_request *rq, struct ferr *err)
{
    (void)err;
    struct server_ctx *ctx = http_ctx(rq);
    struct sbuf sb = SBUF_INIT;
    monitor_metrics_write(&sb);
    struct store *s = exec_store(ctx->exec);
    if (s)
        open_gauge(s, &sb);
    return http_respond(rq, 200, "text/plain; version=0.0.4; charset=utf-8", &sb);
}
