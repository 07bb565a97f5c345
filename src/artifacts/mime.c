/* SPDX-License-Identifier: MIT */
#include "artifacts/mime.h"

#include <string.h>
#include <strings.h>

#include "base/banned.h"

/* MLflow's get_text_extensions(), compared as MLflow does: exactly, so
 * "MLmodel" and "mlproject" (with no extension) count, "JSON" does not. */
static const char *const text_extensions[] = {
    "txt",  "log",   "err",  "cfg",  "conf", "cnf",     "cf",        "ini", "properties",
    "prop", "hocon", "toml", "yaml", "yml",  "xml",     "json",      "js",  "py",
    "py3",  "csv",   "tsv",  "md",   "rst",  "MLmodel", "mlproject",
};

/* Python 3.11's mimetypes defaults for the files models and runs hold;
 * matched without regard to case, as guess_type falls back to. */
static const struct {
    const char *ext, *type;
} by_extension[] = {
    /* MLflow sends these as text/html and image/svg+xml; ferry never hands a
     * browser an upload it would run as a page, attachment or not */
    {"html", "text/plain"},
    {"htm", "text/plain"},
    {"xhtml", "text/plain"},
    {"svg", "text/plain"},
    {"css", "text/css"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"bmp", "image/bmp"},
    {"ico", "image/vnd.microsoft.icon"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"tar", "application/x-tar"},
    {"gz", "application/gzip"},
    {"bz2", "application/x-bzip2"},
    {"wasm", "application/wasm"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/x-wav"},
    {"mp4", "video/mp4"},
    {"mov", "video/quicktime"},
    {"avi", "video/x-msvideo"},
    {"webm", "video/webm"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"h5", "application/x-hdf5"},
    {"bin", "application/octet-stream"},
};

const char *artifact_mime_type(const char *path)
{
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    /* os.path.splitext: the text after the last dot, unless the name
     * starts with it (".bashrc" has no extension) */
    const char *dot = strrchr(name, '.');
    const char *ext = dot && dot != name ? dot + 1 : name;
    if (dot && dot != name && !*ext)
        ext = name; /* "a." has the empty extension: MLflow then uses the name */
    for (size_t i = 0; i < sizeof(text_extensions) / sizeof(*text_extensions); i++)
        if (!strcmp(ext, text_extensions[i]))
            return "text/plain";
    if (!dot || dot == name)
        return "application/octet-stream";
    for (size_t i = 0; i < sizeof(by_extension) / sizeof(*by_extension); i++)
        if (!strcasecmp(dot + 1, by_extension[i].ext))
            return by_extension[i].type;
    return "application/octet-stream";
}
