/* SPDX-License-Identifier: MIT
 * `ferry data verify` (data_verify.h): the distinct objects of the versions
 * asked for, each with one place that needs it (for the report), checked
 * through the port. */
#include "data/data_verify.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/data_manifest.h"
#include "domain/data_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void data_verify_report_release(struct data_verify_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].msg);
        free(r->v[i].example);
    }
    free(r->v);
    struct data_verify_report empty = DATA_VERIFY_REPORT_INIT;
    *r = empty;
}

/* One object needed, and by what. */
struct need {
    char digest[65];
    int64_t size;
    char *example; /* "NAME/V:PATH" */
};

struct needs {
    struct need *v;
    size_t n, alloc;
};

static void needs_release(struct needs *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].example);
    free(l->v);
}

static int cmp_need(const void *a, const void *b)
{
    return strcmp(((const struct need *)a)->digest, ((const struct need *)b)->digest);
}

/* Adds the objects of version v (fetched with its manifest) to l. */
static int add_version(struct data_port *p, const char *name, int64_t version, struct needs *l,
                       struct ferr *err)
{
    struct data_ref ref = {(char *)name, DATA_REF_VERSION, version, NULL, NULL};
    struct data_version v;
    struct data_manifest m = DATA_MANIFEST_INIT;
    if (data_port_get_version(p, &ref, 1, &v, err))
        return -1;
    int rc = v.manifest ? data_manifest_parse(v.manifest, strlen(v.manifest), &m, err)
                        : ferr_set(err, FERR_INTERNAL_ERROR, "%s/%lld came without its manifest",
                                   name, (long long)version);
    for (size_t i = 0; !rc && i < m.nfiles; i++) {
        size_t k = data_file_nobjects(&m.files[i]);
        for (size_t j = 0; j < k; j++) {
            int64_t size = 0;
            const char *d = data_file_object(&m.files[i], j, &size);
            ALLOC_GROW(l->v, l->n + 1, l->alloc);
            struct need *nd = &l->v[l->n++];
            snprintf(nd->digest, sizeof(nd->digest), "%s", d);
            nd->size = size;
            struct sbuf ex = SBUF_INIT;
            sbuf_addf(&ex, "%s/%lld:%s", name, (long long)version, m.files[i].path);
            nd->example = sbuf_detach(&ex, NULL);
        }
    }
    data_manifest_release(&m);
    data_version_release(&v);
    return rc;
}

static int add_dataset(struct data_port *p, const char *name, struct data_verify_report *out,
                       struct needs *l, struct ferr *err)
{
    struct data_version_list vs;
    if (data_port_versions(p, name, &vs, err))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < vs.n && !rc; i++) {
        rc = add_version(p, name, vs.v[i].version, l, err);
        out->versions++;
    }
    out->datasets++;
    data_version_list_release(&vs);
    return rc;
}

struct collect {
    struct data_verify_report *out;
    const struct needs *l;
};

static void on_damage(void *ctx, const char *digest, int missing, const char *msg)
{
    struct collect *c = ctx;
    struct data_verify_report *r = c->out;
    struct need key;
    snprintf(key.digest, sizeof(key.digest), "%s", digest);
    const struct need *nd = bsearch(&key, c->l->v, c->l->n, sizeof(key), cmp_need);
    ALLOC_GROW(r->v, r->n + 1, r->alloc);
    struct data_damage *d = &r->v[r->n++];
    memset(d, 0, sizeof(*d));
    snprintf(d->digest, sizeof(d->digest), "%s", digest);
    d->missing = missing;
    d->msg = xstrdup(msg ? msg : "");
    d->example = xstrdup(nd && nd->example ? nd->example : "");
}

int data_verify_datasets(struct data_port *p, const char *name, struct data_verify_report *out,
                         struct ferr *err)
{
    struct needs l = {NULL, 0, 0};
    int rc = 0;
    if (name) {
        rc = add_dataset(p, name, out, &l, err);
    } else {
        struct dataset_info_list ds;
        if (data_port_list(p, &ds, err))
            return -1;
        for (size_t i = 0; !rc && i < ds.n; i++)
            rc = add_dataset(p, ds.v[i].name, out, &l, err);
        dataset_info_list_release(&ds);
    }
    if (rc) {
        needs_release(&l);
        return -1;
    }
    /* Distinct objects, each with its first example. */
    qsort(l.v, l.n, sizeof(*l.v), cmp_need);
    size_t k = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (k && !strcmp(l.v[k - 1].digest, l.v[i].digest)) {
            free(l.v[i].example);
            continue;
        }
        l.v[k++] = l.v[i];
    }
    l.n = k;
    const char **digests = xcalloc(l.n + 1, sizeof(*digests));
    for (size_t i = 0; i < l.n; i++) {
        digests[i] = l.v[i].digest;
        out->bytes += l.v[i].size;
    }
    out->objects = (int64_t)l.n;
    struct collect c = {out, &l};
    int64_t checked = 0;
    rc = data_port_verify_objects(p, digests, l.n, on_damage, &c, &checked, err);
    free(digests);
    needs_release(&l);
    return rc;
}
