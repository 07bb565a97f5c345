/* SPDX-License-Identifier: MIT
 * The events stream after a cursor, with its id gaps waited for (see
 * event_follow.h). */
#include "server/event_follow.h"
#include "base/ftime.h"
#include "base/log.h"
#include "store/triggers.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* The earliest first-seen time of the remembered gaps overlapping lo..hi;
 * now when none does (a gap only shrinks as its ids commit). */
static int64_t first_seen(const struct event_gaps *g, int64_t lo, int64_t hi, int64_t now)
{
    int64_t t = now;
    for (size_t i = 0; i < g->n; i++)
        if (g->v[i].lo <= hi && lo <= g->v[i].hi && g->v[i].seen_ms < t)
            t = g->v[i].seen_ms;
    return t;
}

size_t event_gap_decide(int64_t cursor, const int64_t *ids, size_t n, int64_t now_ms,
                        int64_t wait_ms, struct event_gaps *g)
{
    struct event_gaps keep; /* the gaps after the new cursor */
    int64_t prev = cursor;
    size_t k = 0;
    int held = 0;
    keep.n = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] > prev + 1) { /* prev + 1 .. ids[i] - 1 missing */
            int64_t seen = first_seen(g, prev + 1, ids[i] - 1, now_ms);
            if (held || now_ms - seen < wait_ms) {
                held = 1;
                if (keep.n == EVENT_FOLLOW_GAPS) /* not remembered: seen anew later */
                    break;
                keep.v[keep.n++] = (struct event_gap){prev + 1, ids[i] - 1, seen};
            } /* else passed: waited for long enough */
        }
        if (!held)
            k = i + 1;
        prev = ids[i];
    }
    *g = keep;
    return k;
}

void event_follow_init(struct event_follow *f, struct store *s, const char *cursor,
                       const char *const *kinds, size_t nkinds, int64_t gap_wait_ms,
                       const char *who)
{
    memset(f, 0, sizeof(*f));
    f->store = s;
    f->cursor = cursor;
    f->kinds = kinds;
    f->nkinds = kinds ? nkinds : 0;
    f->gap_wait_ms = gap_wait_ms;
    f->who = who;
}

/* As store_events_search's kinds: exact, or "prefix.*". */
static int wanted(const struct event_follow *f, const char *kind)
{
    if (!f->nkinds)
        return 1;
    for (size_t i = 0; i < f->nkinds; i++) {
        const char *k = f->kinds[i];
        size_t n = strlen(k);
        int prefix = n >= 2 && !strcmp(k + n - 2, ".*");
        if (prefix ? !strncmp(kind, k, n - 1) : !strcmp(kind, k))
            return 1;
    }
    return 0;
}

static void drop(struct store_event *e)
{
    free(e->kind);
    free(e->subject);
    free(e->user_id);
    free(e->payload);
}

int event_follow_next(struct event_follow *f, struct store_event_list *out, int64_t *from,
                      int64_t *upto, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    *from = *upto = 0;
    if (store_cursor_get(f->store, f->cursor, from, err))
        return -1;
    *upto = *from;
    if (store_events_search(f->store, *from, NULL, 0, EVENT_FOLLOW_BATCH, out, err))
        return -1;
    if (!out->n)
        return 0;
    int64_t *ids = malloc(out->n * sizeof(*ids));
    if (!ids) {
        store_event_list_release(out);
        return ferr_set(err, FERR_INTERNAL_ERROR, "out of memory");
    }
    for (size_t i = 0; i < out->n; i++)
        ids[i] = out->v[i].id;
    size_t k =
        event_gap_decide(*from, ids, out->n, ftime_mono_ns() / 1000000, f->gap_wait_ms, &f->gaps);
    free(ids);
    int64_t prev = *from;
    size_t kept = 0;
    for (size_t i = 0; i < out->n; i++) {
        struct store_event *e = &out->v[i];
        if (i < k && e->id == prev + 2)
            log_warn("%s: event id %" PRId64 " skipped: not committed within %" PRId64
                     " ms (a rolled-back change leaves such a gap)",
                     f->who, prev + 1, f->gap_wait_ms);
        else if (i < k && e->id > prev + 2)
            log_warn("%s: event ids %" PRId64 "..%" PRId64 " skipped: not committed within %" PRId64
                     " ms (a rolled-back change leaves such a gap)",
                     f->who, prev + 1, e->id - 1, f->gap_wait_ms);
        if (i < k)
            prev = e->id;
        if (i < k && wanted(f, e->kind))
            out->v[kept++] = *e;
        else
            drop(e);
    }
    out->n = kept;
    *upto = prev;
    return 0;
}

int event_follow_commit(struct event_follow *f, int64_t from, int64_t to, struct ferr *err)
{
    if (to <= from)
        return 0;
    return store_cursor_advance(f->store, f->cursor, from, to, err);
}
