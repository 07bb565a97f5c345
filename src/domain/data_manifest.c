/* SPDX-License-Identifier: MIT
 * Dataset manifests: building, validating, canonical text and digest,
 * parsing, objects, diff, layout paths. See data_manifest.h. */
#include "domain/data_manifest.h"
#include "base/json.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char hexdig[] = "0123456789abcdef";

void data_manifest_init(struct data_manifest *m)
{
    memset(m, 0, sizeof(*m));
}

void data_manifest_release(struct data_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nfiles; i++) {
        free(m->files[i].path);
        free(m->files[i].chunks);
    }
    free(m->files);
    for (size_t i = 0; i < m->ndirs; i++)
        free(m->dirs[i]);
    free(m->dirs);
    for (size_t i = 0; i < m->nlinks; i++) {
        free(m->links[i].path);
        free(m->links[i].target);
    }
    free(m->links);
    data_manifest_init(m);
}

struct data_file *data_manifest_add_file(struct data_manifest *m, const char *path, int64_t size,
                                         int exec, const char *sha256_hex)
{
    ALLOC_GROW(m->files, m->nfiles + 1, m->files_alloc);
    struct data_file *f = &m->files[m->nfiles++];
    memset(f, 0, sizeof(*f));
    f->path = xstrdup(path);
    f->size = size;
    f->exec = exec ? 1 : 0;
    snprintf(f->sha256, sizeof(f->sha256), "%s", sha256_hex ? sha256_hex : "");
    return f;
}

void data_file_add_chunk(struct data_file *f, const char *sha256_hex)
{
    ALLOC_GROW(f->chunks, f->nchunks + 1, f->chunks_alloc);
    snprintf(f->chunks[f->nchunks++], 65, "%s", sha256_hex);
}

void data_manifest_add_dir(struct data_manifest *m, const char *path)
{
    ALLOC_GROW(m->dirs, m->ndirs + 1, m->dirs_alloc);
    m->dirs[m->ndirs++] = xstrdup(path);
}

void data_manifest_add_link(struct data_manifest *m, const char *path, const char *target)
{
    ALLOC_GROW(m->links, m->nlinks + 1, m->links_alloc);
    m->links[m->nlinks].path = xstrdup(path);
    m->links[m->nlinks].target = xstrdup(target);
    m->nlinks++;
}

/* ---------- small checks ---------- */

static int hex_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[n] == '\0';
}

int data_digest_valid(const char *s)
{
    return s && strnlen(s, DATA_DIGEST_LEN + 1) == DATA_DIGEST_LEN && hex_valid(s, DATA_DIGEST_LEN);
}

int data_pack_id_valid(const char *s)
{
    return s && strnlen(s, DATA_PACK_ID_LEN + 1) == DATA_PACK_ID_LEN &&
           hex_valid(s, DATA_PACK_ID_LEN);
}

static int hexval(char c)
{
    return c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0';
}

void data_digest_to_raw(const char hex[65], unsigned char raw[32])
{
    for (int i = 0; i < 32; i++)
        raw[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
}

void data_digest_from_raw(const unsigned char raw[32], char hex[65])
{
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = hexdig[raw[i] >> 4];
        hex[2 * i + 1] = hexdig[raw[i] & 15];
    }
    hex[64] = '\0';
}

int data_path_check(const char *path, const char *what, struct ferr *err)
{
    if (!path || !*path)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s: empty path", what);
    size_t n = strnlen(path, DATA_PATH_MAX + 1);
    if (n > DATA_PATH_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%s '%.200s...': path longer than %d bytes", what, path, DATA_PATH_MAX);
    if (!utf8_valid(path))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s: path is not valid UTF-8", what);
    if (path[0] == '/')
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s '%.500s': path is absolute", what,
                        path);
    for (const char *p = path;;) {
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "%s '%.500s': empty, '.' or '..' component in path", what, path);
        if (!p[len])
            break;
        p += len + 1;
    }
    return 0;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int link_find(const struct data_manifest *m, const char *path)
{
    size_t lo = 0, hi = m->nlinks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->links[mid].path, path);
        if (!c)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int data_link_check(const struct data_manifest *m, const char *path, const char *target,
                    struct ferr *err)
{
    if (!target || !*target)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "link '%.500s': empty target", path);
    if (strnlen(target, DATA_PATH_MAX + 1) > DATA_PATH_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "link '%.500s': target longer than %d bytes", path, DATA_PATH_MAX);
    if (!utf8_valid(target))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "link '%.500s': target is not valid UTF-8", path);
    if (target[0] == '/')
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "link '%.500s': target '%.300s' is absolute", path, target);
    /* The resolved path so far, as a string of components; starts at the
     * link's directory. */
    size_t plen = strlen(path), tlen = strlen(target);
    char *cur = xmalloc(plen + tlen + 2);
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) : 0;
    memcpy(cur, path, len);
    cur[len] = '\0';
    int rc = 0;
    for (const char *p = target; *p && !rc;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (!len) {
                rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                              "link '%.500s': target '%.300s' leaves the tree", path, target);
                break;
            }
            if (m && link_find(m, cur)) {
                rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                              "link '%.500s': target '%.300s' goes up through link '%.300s'", path,
                              target, cur);
                break;
            }
            char *up = strrchr(cur, '/');
            len = up ? (size_t)(up - cur) : 0;
            cur[len] = '\0';
        } else if (n && !(n == 1 && p[0] == '.')) {
            if (len)
                cur[len++] = '/';
            memcpy(cur + len, p, n);
            len += n;
            cur[len] = '\0';
        }
        p += n;
        if (*p == '/')
            p++;
    }
    free(cur);
    return rc;
}

/* ---------- sorting and validation ---------- */

static int file_by_path(const void *a, const void *b)
{
    return strcmp(((const struct data_file *)a)->path, ((const struct data_file *)b)->path);
}

static int link_by_path(const void *a, const void *b)
{
    return strcmp(((const struct data_link *)a)->path, ((const struct data_link *)b)->path);
}

struct entry {
    const char *path;
    enum data_entry_kind kind;
    size_t index;
};

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

/* Every entry of m in one array sorted by path: *n of them (free()). */
static struct entry *entries_of(const struct data_manifest *m, size_t *n)
{
    size_t total = m->nfiles + m->ndirs + m->nlinks, k = 0;
    struct entry *v = xmalloc((total ? total : 1) * sizeof(*v));
    for (size_t i = 0; i < m->nfiles; i++)
        v[k++] = (struct entry){m->files[i].path, DATA_KIND_FILE, i};
    for (size_t i = 0; i < m->ndirs; i++)
        v[k++] = (struct entry){m->dirs[i], DATA_KIND_DIR, i};
    for (size_t i = 0; i < m->nlinks; i++)
        v[k++] = (struct entry){m->links[i].path, DATA_KIND_LINK, i};
    if (k > 1)
        qsort(v, k, sizeof(*v), entry_cmp);
    *n = k;
    return v;
}

static const char *kind_name(enum data_entry_kind k)
{
    return k == DATA_KIND_FILE ? "file" : k == DATA_KIND_DIR ? "directory" : "link";
}

static int check_file(const struct data_file *f, struct ferr *err)
{
    if (data_path_check(f->path, "file", err))
        return -1;
    if (f->size < 0 || f->size > DATA_FILE_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "file '%.500s': bad size %lld", f->path,
                        (long long)f->size);
    if (!data_digest_valid(f->sha256))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "file '%.500s': sha256 is not 64 lowercase hex digits", f->path);
    size_t want =
        f->size > DATA_CHUNK_SIZE ? (size_t)((f->size + DATA_CHUNK_SIZE - 1) / DATA_CHUNK_SIZE) : 0;
    if (f->nchunks != want)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "file '%.500s': %zu chunk digests for %lld bytes (expected %zu)", f->path,
                        f->nchunks, (long long)f->size, want);
    for (size_t i = 0; i < f->nchunks; i++)
        if (!data_digest_valid(f->chunks[i]))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "file '%.500s': chunk %zu is not 64 lowercase hex digits", f->path, i);
    if (f->exec != 0 && f->exec != 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "file '%.500s': bad mode", f->path);
    return 0;
}

/* Entries below a file or a link, and "empty" directories that are not. */
static int check_ancestors(const struct entry *v, size_t n, struct ferr *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *path = v[i].path;
        for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
            size_t plen = (size_t)(s - path);
            /* Binary search for the prefix among entries before i. */
            size_t lo = 0, hi = i;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strncmp(v[mid].path, path, plen);
                if (!c)
                    c = v[mid].path[plen] ? 1 : 0;
                if (!c) {
                    if (v[mid].kind == DATA_KIND_DIR)
                        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                        "directory '%.500s' is listed as empty but holds "
                                        "'%.300s'",
                                        v[mid].path, path);
                    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                    "path '%.500s' lies below %s '%.300s'", path,
                                    kind_name(v[mid].kind), v[mid].path);
                }
                if (c < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
        }
    }
    return 0;
}

static int check_sorted(const struct data_manifest *m, struct ferr *err)
{
    for (size_t i = 1; i < m->nfiles; i++)
        if (strcmp(m->files[i - 1].path, m->files[i].path) >= 0)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "file '%.500s': files not sorted by path or listed twice",
                            m->files[i].path);
    for (size_t i = 1; i < m->ndirs; i++)
        if (strcmp(m->dirs[i - 1], m->dirs[i]) >= 0)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "directory '%.500s': dirs not sorted by path or listed twice",
                            m->dirs[i]);
    for (size_t i = 1; i < m->nlinks; i++)
        if (strcmp(m->links[i - 1].path, m->links[i].path) >= 0)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "link '%.500s': links not sorted by path or listed twice",
                            m->links[i].path);
    return 0;
}

int data_manifest_validate(const struct data_manifest *m, struct ferr *err)
{
    for (size_t i = 0; i < m->nfiles; i++)
        if (check_file(&m->files[i], err))
            return -1;
    for (size_t i = 0; i < m->ndirs; i++)
        if (data_path_check(m->dirs[i], "directory", err))
            return -1;
    for (size_t i = 0; i < m->nlinks; i++)
        if (data_path_check(m->links[i].path, "link", err))
            return -1;
    if (check_sorted(m, err))
        return -1;
    size_t n;
    struct entry *v = entries_of(m, &n);
    int rc = 0;
    for (size_t i = 1; i < n && !rc; i++)
        if (!strcmp(v[i - 1].path, v[i].path))
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "path '%.500s' is listed both as a %s and as a %s", v[i].path,
                          kind_name(v[i - 1].kind), kind_name(v[i].kind));
    if (!rc)
        rc = check_ancestors(v, n, err);
    free(v);
    for (size_t i = 0; i < m->nlinks && !rc; i++)
        rc = data_link_check(m, m->links[i].path, m->links[i].target, err);
    return rc;
}

int data_manifest_finish(struct data_manifest *m, struct ferr *err)
{
    if (m->nfiles > 1)
        qsort(m->files, m->nfiles, sizeof(*m->files), file_by_path);
    if (m->ndirs > 1)
        qsort(m->dirs, m->ndirs, sizeof(*m->dirs), by_str);
    if (m->nlinks > 1)
        qsort(m->links, m->nlinks, sizeof(*m->links), link_by_path);
    return data_manifest_validate(m, err);
}

/* ---------- canonical text ---------- */

void data_manifest_canonical(const struct data_manifest *m, struct sbuf *out)
{
    sbuf_addstr(out, "{\"chunk_size\":");
    fjson_add_int64(out, DATA_CHUNK_SIZE);
    sbuf_addstr(out, ",\"dirs\":[");
    for (size_t i = 0; i < m->ndirs; i++) {
        if (i)
            sbuf_addch(out, ',');
        fjson_add_string(out, m->dirs[i]);
    }
    sbuf_addstr(out, "],\"files\":[");
    for (size_t i = 0; i < m->nfiles; i++) {
        const struct data_file *f = &m->files[i];
        sbuf_addstr(out, i ? ",{" : "{");
        if (f->nchunks) {
            sbuf_addstr(out, "\"chunks\":[");
            for (size_t c = 0; c < f->nchunks; c++) {
                sbuf_addstr(out, c ? ",\"" : "\"");
                sbuf_add(out, f->chunks[c], DATA_DIGEST_LEN);
                sbuf_addch(out, '"');
            }
            sbuf_addstr(out, "],");
        }
        sbuf_addstr(out, f->exec ? "\"mode\":\"0755\",\"path\":" : "\"mode\":\"0644\",\"path\":");
        fjson_add_string(out, f->path);
        sbuf_addstr(out, ",\"sha256\":\"");
        sbuf_add(out, f->sha256, DATA_DIGEST_LEN);
        sbuf_addstr(out, "\",\"size\":");
        fjson_add_int64(out, f->size);
        sbuf_addch(out, '}');
    }
    sbuf_addstr(out, "],\"format\":\"" DATA_MANIFEST_FORMAT "\",\"links\":[");
    for (size_t i = 0; i < m->nlinks; i++) {
        sbuf_addstr(out, i ? ",{\"path\":" : "{\"path\":");
        fjson_add_string(out, m->links[i].path);
        sbuf_addstr(out, ",\"target\":");
        fjson_add_string(out, m->links[i].target);
        sbuf_addch(out, '}');
    }
    sbuf_addstr(out, "]}");
}

void data_manifest_digest(const struct data_manifest *m, char hex[65])
{
    struct sbuf sb = SBUF_INIT;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    data_manifest_canonical(m, &sb);
    if (!EVP_Digest(sb.buf, sb.len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        abort(); /* SHA-256 of memory cannot fail short of a broken OpenSSL */
    data_digest_from_raw(md, hex);
    sbuf_release(&sb);
}

json_t *data_manifest_to_json(const struct data_manifest *m)
{
    json_t *files = json_array(), *dirs = json_array(), *links = json_array();
    for (size_t i = 0; i < m->nfiles; i++) {
        const struct data_file *f = &m->files[i];
        json_t *o = json_pack("{s:s, s:I, s:s, s:s}", "path", f->path, "size", (json_int_t)f->size,
                              "mode", f->exec ? "0755" : "0644", "sha256", f->sha256);
        if (f->nchunks) {
            json_t *c = json_array();
            for (size_t k = 0; k < f->nchunks; k++)
                json_array_append_new(c, json_string(f->chunks[k]));
            json_object_set_new(o, "chunks", c);
        }
        json_array_append_new(files, o);
    }
    for (size_t i = 0; i < m->ndirs; i++)
        json_array_append_new(dirs, json_string(m->dirs[i]));
    for (size_t i = 0; i < m->nlinks; i++)
        json_array_append_new(
            links, json_pack("{s:s, s:s}", "path", m->links[i].path, "target", m->links[i].target));
    json_t *j =
        json_pack("{s:s, s:I, s:o, s:o, s:o}", "format", DATA_MANIFEST_FORMAT, "chunk_size",
                  (json_int_t)DATA_CHUNK_SIZE, "files", files, "dirs", dirs, "links", links);
    if (!j)
        abort(); /* only when memory ran out */
    return j;
}

int64_t data_manifest_size(const struct data_manifest *m)
{
    int64_t total = 0;
    for (size_t i = 0; i < m->nfiles; i++)
        total += m->files[i].size;
    return total;
}

/* ---------- parsing ---------- */

/* Refuses keys of o outside allowed (a NULL-terminated list). */
static int only_keys(json_t *o, const char *const *allowed, const char *what, struct ferr *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, key);
        if (!ok)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "manifest: unknown key '%.200s' in %s", key, what);
    }
    return 0;
}

static const char *str_field(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A string of o that must not hold NUL (jansson allows \u0000). */
static int get_string(json_t *o, const char *key, const char *what, const char **out,
                      struct ferr *err)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "manifest: %s: '%s' missing or not a string", what, key);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "manifest: %s: '%s' holds a NUL byte",
                        what, key);
    *out = json_string_value(v);
    return 0;
}

static int parse_file(json_t *o, size_t i, struct data_manifest *m, struct ferr *err)
{
    static const char *const keys[] = {"path", "size", "mode", "sha256", "chunks", NULL};
    char what[32];
    snprintf(what, sizeof(what), "files[%zu]", i);
    if (!json_is_object(o))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "manifest: %s is not an object", what);
    if (only_keys(o, keys, what, err))
        return -1;
    const char *path, *mode, *sha;
    if (get_string(o, "path", what, &path, err) || get_string(o, "mode", what, &mode, err) ||
        get_string(o, "sha256", what, &sha, err))
        return -1;
    json_t *size = json_object_get(o, "size");
    if (!json_is_integer(size))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "manifest: file '%.500s': 'size' missing or not an integer", path);
    if (strcmp(mode, "0644") && strcmp(mode, "0755"))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "manifest: file '%.500s': mode '%.20s' is not \"0644\" or \"0755\"", path,
                        mode);
    if (!data_digest_valid(sha))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "manifest: file '%.500s': sha256 is not 64 lowercase hex digits", path);
    struct data_file *f =
        data_manifest_add_file(m, path, (int64_t)json_integer_value(size), mode[1] == '7', sha);
    json_t *chunks = json_object_get(o, "chunks");
    if (!chunks)
        return 0;
    if (!json_is_array(chunks))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "manifest: file '%.500s': 'chunks' is not an array", path);
    if (!json_array_size(chunks))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "manifest: file '%.500s': 'chunks' is empty", path);
    size_t k;
    json_t *c;
    json_array_foreach(chunks, k, c)
    {
        const char *d = json_string_value(c);
        if (!data_digest_valid(d))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "manifest: file '%.500s': chunk %zu is not 64 lowercase hex digits",
                            path, k);
        data_file_add_chunk(f, d);
    }
    return 0;
}

static int parse_lists(json_t *j, struct data_manifest *m, struct ferr *err)
{
    json_t *files = json_object_get(j, "files"), *dirs = json_object_get(j, "dirs"),
           *links = json_object_get(j, "links");
    if (!json_is_array(files) || (dirs && !json_is_array(dirs)) || (links && !json_is_array(links)))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "manifest: 'files' (required), 'dirs' and 'links' must be arrays");
    size_t i;
    json_t *v;
    json_array_foreach(files, i, v)
    {
        if (parse_file(v, i, m, err))
            return -1;
    }
    json_array_foreach(dirs, i, v)
    {
        const char *d = json_string_value(v);
        if (!d || strlen(d) != json_string_length(v))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "manifest: dirs[%zu] is not a string path", i);
        data_manifest_add_dir(m, d);
    }
    json_array_foreach(links, i, v)
    {
        static const char *const keys[] = {"path", "target", NULL};
        char what[32];
        const char *path, *target;
        snprintf(what, sizeof(what), "links[%zu]", i);
        if (!json_is_object(v))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "manifest: %s is not an object",
                            what);
        if (only_keys(v, keys, what, err) || get_string(v, "path", what, &path, err) ||
            get_string(v, "target", what, &target, err))
            return -1;
        data_manifest_add_link(m, path, target);
    }
    return 0;
}

int data_manifest_from_json(json_t *j, struct data_manifest *out, struct ferr *err)
{
    static const char *const keys[] = {"format", "chunk_size", "files", "dirs", "links", NULL};
    data_manifest_init(out);
    if (!json_is_object(j))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "manifest: not a JSON object");
    if (only_keys(j, keys, "the manifest", err))
        return -1;
    const char *format = str_field(j, "format");
    if (!format || strcmp(format, DATA_MANIFEST_FORMAT))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "manifest: 'format' must be \"" DATA_MANIFEST_FORMAT "\"");
    json_t *cs = json_object_get(j, "chunk_size");
    if (!json_is_integer(cs) || json_integer_value(cs) != DATA_CHUNK_SIZE)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "manifest: 'chunk_size' must be %lld",
                        (long long)DATA_CHUNK_SIZE);
    if (parse_lists(j, out, err))
        return -1;
    return data_manifest_finish(out, err);
}

int data_manifest_parse(const char *text, size_t len, struct data_manifest *out, struct ferr *err)
{
    json_error_t je;
    data_manifest_init(out);
    json_t *j = fjson_loadb_capped(text, len, fjson_cap(len, 16), &je);
    if (!j)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "manifest: malformed JSON: %.200s",
                        je.text);
    int rc = data_manifest_from_json(j, out, err);
    json_decref(j);
    return rc;
}

/* ---------- lookups ---------- */

const struct data_file *data_manifest_find_file(const struct data_manifest *m, const char *path)
{
    size_t lo = 0, hi = m->nfiles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->files[mid].path, path);
        if (!c)
            return &m->files[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The rest of path after "prefix/", or NULL when path is not below it. */
static const char *below(const char *path, const char *prefix, size_t plen)
{
    return !strncmp(path, prefix, plen) && path[plen] == '/' ? path + plen + 1 : NULL;
}

static void copy_file(struct data_manifest *out, const struct data_file *f, const char *path)
{
    struct data_file *g = data_manifest_add_file(out, path, f->size, f->exec, f->sha256);
    for (size_t c = 0; c < f->nchunks; c++)
        data_file_add_chunk(g, f->chunks[c]);
}

int data_manifest_subtree(const struct data_manifest *m, const char *prefix,
                          struct data_manifest *out, struct ferr *err)
{
    data_manifest_init(out);
    if (data_path_check(prefix, "path", err))
        return -1;
    size_t plen = strlen(prefix);
    const struct data_file *f = data_manifest_find_file(m, prefix);
    if (f) {
        const char *slash = strrchr(prefix, '/');
        copy_file(out, f, slash ? slash + 1 : prefix);
        return 0;
    }
    for (size_t i = 0; i < m->nlinks; i++)
        if (!strcmp(m->links[i].path, prefix) ||
            below(prefix, m->links[i].path, strlen(m->links[i].path)))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "path '%.500s' is or goes through the link '%.300s' in the version",
                            prefix, m->links[i].path);
    int found = 0;
    const char *rest;
    for (size_t i = 0; i < m->nfiles; i++)
        if ((rest = below(m->files[i].path, prefix, plen))) {
            copy_file(out, &m->files[i], rest);
            found = 1;
        }
    for (size_t i = 0; i < m->ndirs; i++) {
        if (!strcmp(m->dirs[i], prefix))
            found = 1;
        else if ((rest = below(m->dirs[i], prefix, plen))) {
            data_manifest_add_dir(out, rest);
            found = 1;
        }
    }
    for (size_t i = 0; i < m->nlinks; i++)
        if ((rest = below(m->links[i].path, prefix, plen))) {
            /* A link leaving the subtree would leave the written tree. */
            struct ferr lerr = FERR_INIT;
            if (data_link_check(NULL, rest, m->links[i].target, &lerr))
                continue;
            data_manifest_add_link(out, rest, m->links[i].target);
            found = 1;
        }
    if (!found) {
        data_manifest_release(out);
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "no path '%.500s' in the version",
                        prefix);
    }
    return data_manifest_finish(out, err);
}

/* ---------- objects ---------- */

size_t data_file_nobjects(const struct data_file *f)
{
    return f->nchunks ? f->nchunks : 1;
}

const char *data_file_object(const struct data_file *f, size_t i, int64_t *size)
{
    if (!f->nchunks) {
        *size = f->size;
        return f->sha256;
    }
    int64_t off = (int64_t)i * DATA_CHUNK_SIZE;
    *size = f->size - off < DATA_CHUNK_SIZE ? f->size - off : DATA_CHUNK_SIZE;
    return f->chunks[i];
}

static int ref_cmp(const void *a, const void *b)
{
    return strcmp(((const struct data_object_ref *)a)->digest,
                  ((const struct data_object_ref *)b)->digest);
}

void data_manifest_objects(const struct data_manifest *m, struct data_object_ref **out, size_t *n)
{
    size_t total = 0, k = 0;
    for (size_t i = 0; i < m->nfiles; i++)
        total += data_file_nobjects(&m->files[i]);
    struct data_object_ref *v = xmalloc((total ? total : 1) * sizeof(*v));
    for (size_t i = 0; i < m->nfiles; i++)
        for (size_t c = 0; c < data_file_nobjects(&m->files[i]); c++) {
            const char *d = data_file_object(&m->files[i], c, &v[k].size);
            memcpy(v[k].digest, d, 65);
            k++;
        }
    if (k > 1)
        qsort(v, k, sizeof(*v), ref_cmp);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (!u || strcmp(v[u - 1].digest, v[i].digest))
            v[u++] = v[i];
    *out = v;
    *n = u;
}

/* ---------- diff ---------- */

static void diff_add(struct data_diff *d, const struct data_manifest *fm, const struct entry *a,
                     const struct data_manifest *tm, const struct entry *b)
{
    ALLOC_GROW(d->v, d->n + 1, d->alloc);
    struct data_diff_entry *e = &d->v[d->n++];
    memset(e, 0, sizeof(*e));
    e->path = xstrdup(a ? a->path : b->path);
    e->change = !a ? DATA_ADDED : !b ? DATA_REMOVED : DATA_CHANGED;
    if (a) {
        e->old_kind = a->kind;
        if (a->kind == DATA_KIND_FILE) {
            e->old_size = fm->files[a->index].size;
            e->old_exec = fm->files[a->index].exec;
        }
    }
    if (b) {
        e->new_kind = b->kind;
        if (b->kind == DATA_KIND_FILE) {
            e->new_size = tm->files[b->index].size;
            e->new_exec = tm->files[b->index].exec;
        }
    }
    if (e->change == DATA_ADDED)
        d->added++;
    else if (e->change == DATA_REMOVED)
        d->removed++;
    else
        d->changed++;
}

static int entry_same(const struct data_manifest *fm, const struct entry *a,
                      const struct data_manifest *tm, const struct entry *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind == DATA_KIND_FILE) {
        const struct data_file *x = &fm->files[a->index], *y = &tm->files[b->index];
        return x->size == y->size && x->exec == y->exec && !strcmp(x->sha256, y->sha256);
    }
    if (a->kind == DATA_KIND_LINK)
        return !strcmp(fm->links[a->index].target, tm->links[b->index].target);
    return 1;
}

void data_manifest_diff(const struct data_manifest *from, const struct data_manifest *to,
                        struct data_diff *out)
{
    memset(out, 0, sizeof(*out));
    size_t na, nb, i = 0, j = 0;
    struct entry *a = entries_of(from, &na), *b = entries_of(to, &nb);
    while (i < na || j < nb) {
        int c = i >= na ? 1 : j >= nb ? -1 : strcmp(a[i].path, b[j].path);
        if (c < 0) {
            diff_add(out, from, &a[i++], to, NULL);
        } else if (c > 0) {
            diff_add(out, from, NULL, to, &b[j++]);
        } else {
            if (!entry_same(from, &a[i], to, &b[j]))
                diff_add(out, from, &a[i], to, &b[j]);
            i++;
            j++;
        }
    }
    free(a);
    free(b);
}

void data_diff_release(struct data_diff *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].path);
    free(d->v);
    memset(d, 0, sizeof(*d));
}

/* ---------- layout ---------- */

void data_object_path(const char hex[65], char out[DATA_OBJECT_PATH_MAX])
{
    snprintf(out, DATA_OBJECT_PATH_MAX, DATA_OBJECTS_DIR "/%.2s/%.62s", hex, hex + 2);
}

void data_pack_path(const char id[DATA_PACK_ID_LEN + 1], char out[DATA_PACK_PATH_MAX])
{
    snprintf(out, DATA_PACK_PATH_MAX, DATA_PACKS_DIR "/%.32s.pack", id);
}
