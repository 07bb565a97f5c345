/* SPDX-License-Identifier: MIT
 * Triggers through a client, over either transport (the rows in
 * api/triggers_ops.h; the records in store/trigger_record.h): apply a
 * spec, read the triggers and their firings, fire one by hand, delete
 * one. On an embedded store the calls reach the store directly (a fire
 * records a queued firing; a `ferry server` on that store runs it).
 * Outputs are the caller's, released with api_trigger_release,
 * api_trigger_list_release, trigger_firing_release and
 * trigger_firing_list_release. Every function returns 0, or -1 with err
 * set (the server's code and message over REST). */
#ifndef FERRY_CLIENT_CLIENT_TRIGGERS_H
#define FERRY_CLIENT_CLIENT_TRIGGERS_H

#include "api/triggers_ops.h"
#include "client/client.h"

#include <jansson.h>
#include <stdint.h>

/* Applies spec (a JSON object: the spec as domain/trigger_spec.h reads
 * it; not changed). expect_revision: -1 any, 0 only if new, N only if the
 * current revision is N. changed may be NULL. */
int client_trigger_apply(struct client *c, json_t *spec, int64_t expect_revision,
                         struct api_trigger *out, int *changed, struct ferr *err) WARN_UNUSED;
int client_trigger_get(struct client *c, const char *name, struct api_trigger *out,
                       struct ferr *err) WARN_UNUSED;
int client_trigger_list(struct client *c, struct api_trigger_list *out,
                        struct ferr *err) WARN_UNUSED;
int client_trigger_delete(struct client *c, const char *name, struct ferr *err) WARN_UNUSED;
/* One page of name's firings (NULL: every trigger's), newest first: at
 * most max (1..TRIGGER_HISTORY_MAX; 0: the default) from page_token (NULL:
 * the first). *next_page_token (the caller's) NULL on the last page. */
int client_trigger_history(struct client *c, const char *name, int64_t max, const char *page_token,
                           struct trigger_firing_list *out, char **next_page_token,
                           struct ferr *err) WARN_UNUSED;
/* A manual firing of name with params (a JSON object of strings, NULL:
 * none; "event.X" keys give event fields): the queued firing. */
int client_trigger_fire(struct client *c, const char *name, json_t *params,
                        struct trigger_firing *out, struct ferr *err) WARN_UNUSED;

#endif
