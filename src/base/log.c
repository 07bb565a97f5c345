/* SPDX-License-Identifier: MIT */
#include "base/log.h"
#include "base/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static enum log_level current = LOG_INFO;

void log_set_level(enum log_level level)
{
    current = level;
}

enum log_level log_get_level(void)
{
    return current;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const tag[] = {"debug", "info", "warn", "error"};
    if (level < current || level >= LOG_QUIET)
        return;
    struct sbuf sb = SBUF_INIT;
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    sbuf_addf(&sb, "%s ferry %s: ", ts, tag[level]);
    va_list ap;
    va_start(ap, fmt);
    sbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    sbuf_addch(&sb, '\n');
    /* One write(2) per line keeps lines whole across threads. */
    ssize_t w = write(STDERR_FILENO, sb.buf, sb.len);
    (void)w; /* nowhere left to report a failed log write */
    sbuf_release(&sb);
}
