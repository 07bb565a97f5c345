/* SPDX-License-Identifier: MIT
 * libFuzzer target: dataset manifests as a client or the store sends them.
 * For any input, data_manifest_parse accepts or refuses with
 * INVALID_PARAMETER_VALUE; an accepted manifest validates, its canonical
 * text parses back to the same canonical text (and digest), its objects
 * are distinct and sorted, every file is found and cut out as a subtree
 * of itself, a top directory cuts a valid manifest, and its diff with
 * itself is empty. Nothing may
 * crash, leak or trip UBSan. */
#include "domain/data_manifest.h"
#include "base/ferr.h"
#include "base/sbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct data_manifest m, again;
    struct ferr err = FERR_INIT;
    if (data_manifest_parse((const char *)data, size, &m, &err)) {
        if (err.code != FERR_INVALID_PARAMETER_VALUE)
            abort();
        data_manifest_release(&m);
        return 0;
    }
    if (data_manifest_validate(&m, &err))
        abort();
    struct sbuf a = SBUF_INIT, b = SBUF_INIT;
    data_manifest_canonical(&m, &a);
    if (data_manifest_parse(a.buf, a.len, &again, &err))
        abort();
    data_manifest_canonical(&again, &b);
    if (a.len != b.len || memcmp(a.buf, b.buf, a.len))
        abort();
    char d1[65], d2[65];
    data_manifest_digest(&m, d1);
    data_manifest_digest(&again, d2);
    if (strcmp(d1, d2))
        abort();
    struct data_object_ref *o;
    size_t n;
    data_manifest_objects(&m, &o, &n);
    for (size_t i = 1; i < n; i++)
        if (strcmp(o[i - 1].digest, o[i].digest) >= 0)
            abort();
    free(o);
    /* Every file is found, and its subtree is itself under its basename. */
    for (size_t i = 0; i < m.nfiles && i < 8; i++) {
        struct data_manifest sub;
        if (data_manifest_find_file(&m, m.files[i].path) != &m.files[i])
            abort();
        if (data_manifest_subtree(&m, m.files[i].path, &sub, &err) || sub.nfiles != 1 ||
            strcmp(sub.files[0].sha256, m.files[i].sha256))
            abort();
        data_manifest_release(&sub);
        const char *slash = strchr(m.files[i].path, '/');
        if (slash) { /* its top directory cuts a valid manifest */
            char top[DATA_PATH_MAX + 1];
            memcpy(top, m.files[i].path, (size_t)(slash - m.files[i].path));
            top[slash - m.files[i].path] = '\0';
            if (data_manifest_subtree(&m, top, &sub, &err) == 0 &&
                data_manifest_validate(&sub, &err))
                abort();
            data_manifest_release(&sub);
        }
    }
    struct data_diff d;
    data_manifest_diff(&m, &again, &d);
    if (d.n)
        abort();
    data_diff_release(&d);
    sbuf_release(&a);
    sbuf_release(&b);
    data_manifest_release(&again);
    data_manifest_release(&m);
    return 0;
}
