/* SPDX-License-Identifier: MIT
 * A few counters under one lock: they change a handful of times a minute. */
#include "monitor/monitor_metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

#define MAX_LABELS 16 /* distinct results or statuses; more go to "other" */
#define LABEL_LEN  32

struct labeled {
    char label[MAX_LABELS][LABEL_LEN];
    unsigned long long count[MAX_LABELS];
    size_t n;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long opened, resolved;
static struct labeled deliveries, windows;

/* Label values are the callers' fixed words; anything else is "other". */
static void bump(struct labeled *l, const char *label)
{
    char clean[LABEL_LEN];
    size_t k = 0;
    for (const char *p = label ? label : ""; *p && k + 1 < sizeof(clean); p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')
            clean[k++] = *p;
    clean[k] = '\0';
    if (!k || strlen(label) != k)
        snprintf(clean, sizeof(clean), "other");
    pthread_mutex_lock(&mu);
    size_t i = 0;
    while (i < l->n && strcmp(l->label[i], clean))
        i++;
    if (i == l->n && l->n < MAX_LABELS) {
        snprintf(l->label[i], LABEL_LEN, "%s", clean);
        l->count[i] = 0;
        l->n++;
    }
    if (i < l->n)
        l->count[i]++;
    pthread_mutex_unlock(&mu);
}

void monitor_metrics_alert_opened(void)
{
    pthread_mutex_lock(&mu);
    opened++;
    pthread_mutex_unlock(&mu);
}

void monitor_metrics_alert_resolved(void)
{
    pthread_mutex_lock(&mu);
    resolved++;
    pthread_mutex_unlock(&mu);
}

void monitor_metrics_delivery(const char *result)
{
    bump(&deliveries, result);
}

void monitor_metrics_window(const char *status)
{
    bump(&windows, status);
}

static void write_labeled(struct sbuf *sb, const char *name, const char *key,
                          const struct labeled *l)
{
    for (size_t i = 0; i < l->n; i++)
        sbuf_addf(sb, "%s{%s=\"%s\"} %llu\n", name, key, l->label[i], l->count[i]);
}

void monitor_metrics_write(struct sbuf *sb)
{
    pthread_mutex_lock(&mu);
    sbuf_addf(sb,
              "# HELP ferry_alerts_opened_total Alerts this server opened.\n"
              "# TYPE ferry_alerts_opened_total counter\n"
              "ferry_alerts_opened_total %llu\n"
              "# HELP ferry_alerts_resolved_total Alerts this server resolved.\n"
              "# TYPE ferry_alerts_resolved_total counter\n"
              "ferry_alerts_resolved_total %llu\n",
              opened, resolved);
    sbuf_addstr(sb, "# HELP ferry_alert_deliveries_total Alert delivery attempts by result.\n"
                    "# TYPE ferry_alert_deliveries_total counter\n");
    write_labeled(sb, "ferry_alert_deliveries_total", "result", &deliveries);
    sbuf_addstr(sb, "# HELP ferry_monitor_windows_total Monitor windows judged, by status.\n"
                    "# TYPE ferry_monitor_windows_total counter\n");
    write_labeled(sb, "ferry_monitor_windows_total", "status", &windows);
    pthread_mutex_unlock(&mu);
}

void monitor_metrics_reset(void)
{
    pthread_mutex_lock(&mu);
    opened = resolved = 0;
    memset(&deliveries, 0, sizeof(deliveries));
    memset(&windows, 0, sizeof(windows));
    pthread_mutex_unlock(&mu);
}
