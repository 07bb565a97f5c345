/* SPDX-License-Identifier: MIT
 * libFuzzer target: dataset profiles, both ways. The bytes are a CSV file
 * profiled by data_profile_csv (what `ferry data add` does to the user's
 * files): whatever it makes must pass data_profile_validate, the server's
 * check, wrapped as a version's profile. The same bytes are also a profile
 * as a client sends it (JSON): validation either passes or fails with
 * INVALID_PARAMETER_VALUE and a message, and a valid profile's files diff
 * against each other and give a colspec without trouble. Nothing may crash,
 * leak or trip UBSan. */
#include "fuzz_input.h"
#include "base/ferr.h"
#include "data/profile.h"
#include "domain/data_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void profile_csv(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/ferry-fuzz-profile-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    int ok = write(fd, data, size) == (ssize_t)size;
    close(fd);
    json_t *file = NULL;
    struct ferr err = FERR_INIT;
    if (ok && data_profile_csv(path, 1, &file, &err) == 0) {
        json_t *p = json_object();
        json_object_set_new(p, "format", json_string(DATA_PROFILE_FORMAT));
        json_object_set_new(p, "files", json_object());
        json_object_set_new(json_object_get(p, "files"), "f.csv", file);
        if (data_profile_validate(p, &err))
            abort();
        json_decref(p);
    }
    unlink(path);
}

static void validate_json(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!j)
        return;
    struct ferr err = FERR_INIT;
    if (data_profile_validate(j, &err) == 0) {
        const char *path, *prev = NULL;
        json_t *f;
        json_object_foreach(json_object_get(j, "files"), path, f)
        {
            json_decref(data_profile_diff_file(prev ? data_profile_file(j, prev) : NULL, f));
            json_decref(data_profile_colspec(f));
            prev = path;
        }
    } else if (err.code != FERR_INVALID_PARAMETER_VALUE || !err.msg[0]) {
        abort();
    }
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    profile_csv(data, size);
    validate_json(data, size);
    return 0;
}
