/* SPDX-License-Identifier: MIT
 * `ferry data add` (data_add.h): scan, profile, ask, send, create. The
 * only state is the port's: nothing here survives an interruption, and
 * nothing needs to (objects sent are found by the next add's "missing"). */
#include "data/data_add.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "data/profile.h"
#include "data/tree_scan.h"
#include "domain/data_manifest.h"
#include "domain/data_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void data_add_result_release(struct data_add_result *r)
{
    if (!r)
        return;
    free(r->name);
    struct data_add_result empty = DATA_ADD_RESULT_INIT;
    *r = empty;
}

/* ---------- profile ---------- */

/* The local file of manifest path rel (ctx: the scan). */
static int scan_open(void *ctx, const char *rel, struct sbuf *local, struct ferr *err)
{
    const struct data_scan *s = ctx;
    size_t lo = 0, hi = s->manifest.nfiles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->manifest.files[mid].path, rel);
        if (!c) {
            sbuf_reset(local);
            sbuf_addstr(local, s->local[mid]);
            return 0;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return ferr_set(err, FERR_INTERNAL_ERROR, "'%.300s' is not in the scan", rel);
}

/* The profile of the scan's CSV files as JSON text, or NULL when it has
 * none; *nfiles gets how many were profiled. */
static int profile(const struct data_scan *s, char **out, int *nfiles, struct ferr *err)
{
    size_t n = 0;
    *out = NULL;
    *nfiles = 0;
    struct data_profile_entry *e = xcalloc(s->manifest.nfiles + 1, sizeof(*e));
    for (size_t i = 0; i < s->manifest.nfiles; i++)
        if (data_profile_is_csv(s->manifest.files[i].path))
            e[n++] = (struct data_profile_entry){s->manifest.files[i].path,
                                                 (uint64_t)s->manifest.files[i].size};
    if (!n) {
        free(e);
        return 0;
    }
    struct data_profile_source src = {scan_open, NULL, (void *)s};
    json_t *j = NULL;
    int rc = data_profile_version(e, n, &src, 2, &j, err);
    free(e);
    if (rc)
        return -1;
    *nfiles = (int)json_object_size(json_object_get(j, "files"));
    *out = fjson_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return 0;
}

/* ---------- sending what is missing ---------- */

static int send_missing(struct data_port *p, const struct data_scan *s,
                        const unsigned char *missing, const struct data_add_opts *o,
                        struct data_add_result *r, struct ferr *err)
{
    struct data_port_object *batch = xcalloc(DATA_ADD_PACK_OBJECTS, sizeof(*batch));
    size_t nb = 0;
    int64_t batch_bytes = 0, to_send = 0, sent_data = 0;
    int rc = 0;
    for (size_t i = 0; i < s->nobjects; i++)
        if (missing[i])
            to_send += s->objects[i].size;
    for (size_t i = 0; i <= s->nobjects && !rc; i++) {
        const struct data_scan_object *so = i < s->nobjects ? &s->objects[i] : NULL;
        if (so && !missing[i])
            continue;
        /* Send the batch when this object would overflow it, or at the end. */
        if (nb &&
            (!so || nb == DATA_ADD_PACK_OBJECTS || batch_bytes + so->size > DATA_ADD_PACK_BYTES)) {
            int64_t sent = 0;
            rc = data_port_put_objects(p, batch, nb, &sent, err);
            r->bytes_sent += sent;
            r->objects_sent += (int64_t)nb;
            r->packs++;
            sent_data += batch_bytes;
            if (o && o->progress)
                o->progress(o->progress_arg, "uploading", sent_data, to_send);
            nb = 0;
            batch_bytes = 0;
        }
        if (!so || rc)
            continue;
        struct data_port_object *b = &batch[nb++];
        b->path = s->local[so->file];
        b->offset = so->offset;
        b->size = so->size;
        memcpy(b->digest, so->digest, sizeof(b->digest));
        batch_bytes += so->size;
    }
    free(batch);
    return rc;
}

static void on_scan_progress(void *arg, int64_t done, int64_t total)
{
    const struct data_add_opts *o = arg;
    o->progress(o->progress_arg, "hashing", done, total);
}

/* ---------- add ---------- */

int data_add(struct data_port *p, const char *name, const char *path,
             const struct data_add_opts *opts, struct data_add_result *out, struct ferr *err)
{
    struct data_scan scan = DATA_SCAN_INIT;
    struct data_add_result r = DATA_ADD_RESULT_INIT;
    struct data_version v;
    struct sbuf text = SBUF_INIT;
    char *prof = NULL;
    const char **digests = NULL;
    unsigned char *missing = NULL;
    int rc = -1;
    memset(&v, 0, sizeof(v));
    if (out) {
        struct data_add_result empty = DATA_ADD_RESULT_INIT;
        *out = empty;
    }
    if (data_validate_name(name, err))
        return -1;
    if (!path || !*path)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the path to add");
    struct data_scan_opts so = {0, opts && opts->progress ? on_scan_progress : NULL, (void *)opts};
    if (data_tree_scan(path, &so, &scan, err))
        goto out;
    if (!(opts && opts->no_profile) && profile(&scan, &prof, &r.profiled_files, err))
        goto out;
    digests = xcalloc(scan.nobjects + 1, sizeof(*digests));
    missing = xcalloc(scan.nobjects + 1, 1);
    for (size_t i = 0; i < scan.nobjects; i++)
        digests[i] = scan.objects[i].digest;
    if (data_port_missing(p, digests, scan.nobjects, missing, err))
        goto out;
    for (size_t i = 0; i < scan.nobjects; i++)
        if (!missing[i]) {
            r.objects_deduplicated++;
            r.bytes_deduplicated += scan.objects[i].size;
        }
    r.objects = (int64_t)scan.nobjects;
    if (send_missing(p, &scan, missing, opts, &r, err))
        goto out;
    data_manifest_canonical(&scan.manifest, &text);
    if (data_port_create_version(p, name, text.buf, opts ? opts->message : NULL,
                                 opts ? opts->tags : NULL, prof, &v, &r.created, err))
        goto out;
    r.name = xstrdup(name);
    r.version = v.version;
    snprintf(r.digest, sizeof(r.digest), "%s", v.digest ? v.digest : "");
    r.files = (int64_t)scan.manifest.nfiles;
    r.dirs = (int64_t)scan.manifest.ndirs;
    r.links = (int64_t)scan.manifest.nlinks;
    r.bytes = scan.bytes;
    rc = 0;
out:
    if (!rc && out)
        *out = r;
    else
        data_add_result_release(&r);
    data_version_release(&v);
    data_scan_release(&scan);
    sbuf_release(&text);
    free(prof);
    free(digests);
    free(missing);
    return rc;
}
