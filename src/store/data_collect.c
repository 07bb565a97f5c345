/* SPDX-License-Identifier: MIT
 * Dataset objects collected (store/data_collect.h): store_data_gc deletes
 * the rows and names the packs left empty; the loose files of deleted rows
 * and those packs are then removed from the data root. A file already gone
 * is not a failure (a previous gc removed it and was stopped). */
#include "store/data_collect.h"
#include "base/xalloc.h"
#include "domain/data_version.h"
#include "store/datasets.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void data_collect_report_release(struct data_collect_report *r)
{
    if (!r)
        return;
    free(r->error);
    free(r->packs);
    memset(r, 0, sizeof(*r));
}

static int cmp_pack(const void *a, const void *b)
{
    return strcmp(((const struct data_collect_pack *)a)->id,
                  ((const struct data_collect_pack *)b)->id);
}

static struct data_collect_pack *pack_of(struct data_collect_report *r, const char *id)
{
    for (size_t i = 0; i < r->npacks; i++) /* few packs per gc: a scan is fine */
        if (!strcmp(r->packs[i].id, id))
            return &r->packs[i];
    if (r->npacks == r->apacks) {
        r->apacks = r->apacks ? 2 * r->apacks : 8;
        r->packs = xrealloc(r->packs, r->apacks * sizeof(*r->packs));
    }
    struct data_collect_pack *p = &r->packs[r->npacks++];
    memset(p, 0, sizeof(*p));
    memcpy(p->id, id, sizeof(p->id));
    p->id[DATA_PACK_ID_LEN] = '\0';
    return p;
}

static void remove_file(struct artifact_repo *root, const char *path, struct data_collect_report *r)
{
    struct ferr e = FERR_INIT;
    if (artifact_delete(root, path, &e) == 0 || e.code == FERR_RESOURCE_DOES_NOT_EXIST)
        return;
    r->failures++;
    if (!r->error)
        r->error = xstrdup(e.msg);
}

/* The live side of each pack touched: rows still pointing into it (in a
 * dry run, the rows now minus the ones that would go). */
static int count_live(struct store *s, int dry_run, struct data_collect_report *r, struct ferr *err)
{
    struct data_pack_list live = {0};
    if (store_data_packs_list(s, &live, err))
        return -1;
    for (size_t i = 0; i < r->npacks; i++) {
        struct data_collect_pack *p = &r->packs[i];
        for (size_t k = 0; k < live.n; k++)
            if (!strcmp(live.v[k].id, p->id)) {
                p->live_objects = live.v[k].objects - (dry_run ? p->dead_objects : 0);
                p->live_bytes = live.v[k].bytes - (dry_run ? p->dead_bytes : 0);
            }
    }
    data_pack_list_release(&live);
    return 0;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[n] == '\0';
}

static void orphan(struct artifact_repo *root, const struct artifact_file *f, int dry_run,
                   struct data_collect_report *r)
{
    r->orphan_files++;
    r->orphan_bytes += f->size;
    if (!dry_run)
        remove_file(root, f->path, r);
}

/* Pack files no row points into: ids of live packs looked up in the
 * store's list (sorted by id, as the listing is). */
static int sweep_packs(struct store *s, struct artifact_repo *root, int dry_run,
                       struct data_collect_report *r, struct ferr *err)
{
    struct data_pack_list live = {0};
    struct artifact_list files;
    if (store_data_packs_list(s, &live, err))
        return -1;
    if (artifact_list(root, DATA_PACKS_DIR, &files, err)) {
        artifact_list_release(&files);
        data_pack_list_release(&live);
        return -1;
    }
    size_t k = 0;
    const size_t prefix = sizeof(DATA_PACKS_DIR);
    for (size_t i = 0; i < files.n; i++) {
        const struct artifact_file *f = &files.v[i];
        const char *name = f->path + prefix;
        size_t len = strlen(f->path) >= prefix ? strlen(name) : 0;
        if (f->is_dir || len != DATA_PACK_ID_LEN + 5 || strcmp(name + DATA_PACK_ID_LEN, ".pack"))
            continue; /* not ours: left alone */
        int c = 1;
        while (k < live.n && (c = strncmp(live.v[k].id, name, DATA_PACK_ID_LEN)) < 0)
            k++;
        if (c != 0)
            orphan(root, f, dry_run, r);
    }
    artifact_list_release(&files);
    data_pack_list_release(&live);
    return 0;
}

/* Loose object files with no row: datasets/objects/<2 hex>/<62 hex>. */
static int sweep_loose(struct store *s, struct artifact_repo *root, int dry_run,
                       struct data_collect_report *r, struct ferr *err)
{
    struct artifact_list dirs, files;
    int rc = artifact_list(root, DATA_OBJECTS_DIR, &dirs, err);
    for (size_t i = 0; !rc && i < dirs.n; i++) {
        const char *sub = dirs.v[i].path + sizeof(DATA_OBJECTS_DIR);
        if (!dirs.v[i].is_dir || !is_hex(sub, 2))
            continue;
        rc = artifact_list(root, dirs.v[i].path, &files, err);
        for (size_t j = 0; !rc && j < files.n; j++) {
            const struct artifact_file *f = &files.v[j];
            const char *name = f->path + strlen(dirs.v[i].path) + 1;
            char hex[1][DATA_DIGEST_LEN + 1];
            struct data_object row;
            if (f->is_dir || !is_hex(name, DATA_DIGEST_LEN - 2))
                continue;
            snprintf(hex[0], sizeof(hex[0]), "%s%s", sub, name);
            size_t missing = 0;
            rc = store_data_objects_locate(s, (const char(*)[DATA_DIGEST_LEN + 1]) hex, 1, &row,
                                           &missing, err);
            if (!rc && missing)
                orphan(root, f, dry_run, r);
        }
        artifact_list_release(&files);
    }
    artifact_list_release(&dirs);
    return rc;
}

int store_data_collect(struct store *s, struct artifact_repo *root, int64_t cutoff_ms, int dry_run,
                       struct data_collect_report *out, struct ferr *err)
{
    struct data_object_list dead = {0};
    struct data_pack_list empty = {0};
    char
        path[DATA_OBJECT_PATH_MAX > DATA_PACK_PATH_MAX ? DATA_OBJECT_PATH_MAX : DATA_PACK_PATH_MAX];
    memset(out, 0, sizeof(*out));
    if (!root) {
        out->skipped = "no data root (datasets need a local artifacts destination)";
        return 0;
    }
    /* exclusive against ingests (DATA_LOCK_PATH): between this DELETE and
     * the unlink below, an add that found the object missing could write
     * its loose file again; it waits until the unlink instead, then writes
     * it anew with its row */
    struct artifact_lock *lock = NULL;
    if (artifact_lock(root, DATA_LOCK_PATH, 1, &lock, err))
        return -1;
    if (store_data_gc(s, cutoff_ms, dry_run, &dead, &empty, err)) {
        artifact_unlock(lock);
        return -1;
    }
    for (size_t i = 0; i < dead.n; i++) {
        const struct data_object *o = &dead.v[i];
        out->objects++;
        out->bytes += o->size;
        if (o->pack[0]) {
            struct data_collect_pack *p = pack_of(out, o->pack);
            p->dead_objects++;
            p->dead_bytes += o->size;
            continue;
        }
        out->loose_files++;
        if (!dry_run) {
            data_object_path(o->digest, path);
            remove_file(root, path, out);
        }
    }
    for (size_t i = 0; i < empty.n; i++) {
        struct data_collect_pack *p = pack_of(out, empty.v[i].id);
        p->removed = 1;
        out->packs_removed++;
        if (!dry_run) {
            data_pack_path(p->id, path);
            remove_file(root, path, out);
        }
    }
    /* files no row names, only while no ingest can be between its files and
     * its rows (a repository without locks: never) */
    int rc = 0;
    if (lock &&
        (sweep_packs(s, root, dry_run, out, err) || sweep_loose(s, root, dry_run, out, err)))
        rc = -1;
    artifact_unlock(lock);
    if (rc) {
        data_collect_report_release(out);
        data_object_list_release(&dead);
        data_pack_list_release(&empty);
        return -1;
    }
    if (out->npacks)
        qsort(out->packs, out->npacks, sizeof(*out->packs), cmp_pack);
    if (out->npacks && count_live(s, dry_run, out, err)) {
        data_collect_report_release(out);
        rc = -1;
    }
    data_object_list_release(&dead);
    data_pack_list_release(&empty);
    return rc;
}
