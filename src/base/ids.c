/* SPDX-License-Identifier: MIT */
#include "base/ids.h"
#include "base/rng.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* Our own word lists: short, friendly, unambiguous. */
static const char *const adjectives[] = {
    "amber",  "bold",   "brisk",  "calm",    "clever", "cosmic", "crisp",   "daring",
    "eager",  "fleet",  "gentle", "golden",  "grand",  "hardy",  "humble",  "jolly",
    "keen",   "lively", "lucid",  "mellow",  "merry",  "nimble", "noble",   "placid",
    "plucky", "proud",  "quiet",  "rapid",   "silver", "steady", "stellar", "sturdy",
    "sunny",  "swift",  "tidy",   "valiant", "vivid",  "wise",   "witty",   "zesty",
};
static const char *const nouns[] = {
    "anchor", "badger", "beacon", "canoe",  "comet",   "cormorant", "delta", "dune",
    "ferret", "fjord",  "gannet", "harbor", "heron",   "island",    "jetty", "kestrel",
    "lagoon", "lark",   "marlin", "meadow", "narwhal", "orca",      "otter", "pelican",
    "pier",   "puffin", "quay",   "raft",   "reef",    "schooner",  "seal",  "skiff",
    "sloop",  "tern",   "tide",   "walrus", "wave",    "whale",     "yawl",  "zephyr",
};

static void random_bytes(unsigned char *buf, int n)
{
    if (RAND_bytes(buf, n) != 1) {
        fprintf(stderr, "ferry: OpenSSL RAND_bytes failed\n");
        abort();
    }
}

void ids_new_run_id(char out[RUN_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[RUN_ID_LEN / 2];
    random_bytes(raw, sizeof(raw));
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[RUN_ID_LEN] = '\0';
}

void ids_new_run_name(struct sbuf *sb)
{
    unsigned char r[6];
    random_bytes(r, sizeof(r));
    size_t na = sizeof(adjectives) / sizeof(*adjectives);
    size_t nn = sizeof(nouns) / sizeof(*nouns);
    unsigned a = (unsigned)(r[0] | r[1] << 8) % na;
    unsigned b = (unsigned)(r[2] | r[3] << 8) % nn;
    unsigned num = (unsigned)(r[4] | r[5] << 8) % 1000;
    sbuf_addf(sb, "%s-%s-%u", adjectives[a], nouns[b], num);
}

int ids_is_run_id(const char *s)
{
    size_t i;
    for (i = 0; s[i]; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return i == RUN_ID_LEN;
}

/* A request id needs uniqueness, not secrecy, and OpenSSL's generator
 * takes a lock per call, which every request thread of a gateway would
 * queue on: the thread's own generator (base/rng.h), seeded from it. */
static uint64_t next64(void)
{
    return rng_next(rng_thread());
}

void ids_new_request_id(char out[REQUEST_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    uint64_t r1 = next64(), r2 = next64();
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    for (int i = 6; i < 16; i++)
        b[i] = (unsigned char)((i < 14 ? r1 >> (8 * (i - 6)) : r2 >> (8 * (i - 14))) & 0xff);
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f)); /* version 7 */
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f)); /* RFC 9562 variant */
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}
