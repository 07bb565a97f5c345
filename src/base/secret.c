/* SPDX-License-Identifier: MIT */
#include "base/secret.h"
#include "base/b64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define SCRYPT_LOG2N 15
#define SCRYPT_R     8
#define SCRYPT_P     1
#define SALT_BYTES   16
#define HASH_BYTES   32
/* scrypt needs 128 * N * r bytes; OpenSSL refuses more than maxmem. */
#define SCRYPT_MAXMEM(log2n, r) ((uint64_t)128 * ((uint64_t)1 << (log2n)) * (uint64_t)(r) + 65536)

static int scrypt(const char *password, const unsigned char *salt, size_t salt_len, int log2n,
                  int r, int p, unsigned char *out, size_t out_len)
{
    return EVP_PBE_scrypt(password, strlen(password), salt, salt_len, (uint64_t)1 << log2n,
                          (uint64_t)r, (uint64_t)p, SCRYPT_MAXMEM(log2n, r), out, out_len) == 1
               ? 0
               : -1;
}

int secret_random(void *buf, size_t n, struct ferr *err)
{
    if (n > (size_t)INT32_MAX || RAND_bytes(buf, (int)n) != 1)
        return ferr_set(err, FERR_INTERNAL_ERROR, "no random bytes from OpenSSL");
    return 0;
}

int secret_hash_password(const char *password, struct sbuf *out, struct ferr *err)
{
    unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
    if (secret_random(salt, sizeof(salt), err))
        return -1;
    if (scrypt(password, salt, sizeof(salt), SCRYPT_LOG2N, SCRYPT_R, SCRYPT_P, hash, sizeof(hash)))
        return ferr_set(err, FERR_INTERNAL_ERROR, "scrypt failed in OpenSSL");
    sbuf_addf(out, "scrypt$%d$%d$%d$", SCRYPT_LOG2N, SCRYPT_R, SCRYPT_P);
    b64_encode(out, salt, sizeof(salt));
    sbuf_addch(out, '$');
    b64_encode(out, hash, sizeof(hash));
    OPENSSL_cleanse(hash, sizeof(hash));
    return 0;
}

int secret_check_password(const char *password, const char *stored)
{
    int log2n, r, p, used = 0;
    if (!stored || sscanf(stored, "scrypt$%d$%d$%d$%n", &log2n, &r, &p, &used) != 3 || !used ||
        log2n < 10 || log2n > 20 || r < 1 || r > 32 || p < 1 || p > 16)
        return 0;
    const char *salt64 = stored + used, *dollar = strchr(salt64, '$');
    if (!dollar)
        return 0;
    struct sbuf s64 = SBUF_INIT, salt = SBUF_INIT, want = SBUF_INIT;
    unsigned char got[HASH_BYTES];
    int ok = 0;
    sbuf_add(&s64, salt64, (size_t)(dollar - salt64));
    if (!b64_decode(&salt, s64.buf) && !b64_decode(&want, dollar + 1) && want.len == HASH_BYTES &&
        !scrypt(password, (const unsigned char *)salt.buf, salt.len, log2n, r, p, got, sizeof(got)))
        ok = secret_equal(got, want.buf, HASH_BYTES);
    OPENSSL_cleanse(got, sizeof(got));
    sbuf_release(&s64);
    sbuf_release(&salt);
    sbuf_release(&want);
    return ok;
}

int secret_new_token(struct sbuf *out, struct ferr *err)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[43];
    if (secret_random(raw, sizeof(raw), err))
        return -1;
    sbuf_addstr(out, "ferry_");
    /* 43 characters of 6 bits: 258 bits, each from a byte's low 6 bits */
    for (size_t i = 0; i < sizeof(raw); i++)
        sbuf_addch(out, alphabet[raw[i] & 63]);
    OPENSSL_cleanse(raw, sizeof(raw));
    return 0;
}

void secret_sha256_hex(const void *data, size_t n, char hex[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, n, md);
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

struct secret_mac {
    EVP_MAC *mac;
    EVP_MAC_CTX *keyed; /* copied for each computation */
};

struct secret_mac *secret_mac_new(const unsigned char key[32], struct ferr *err)
{
    struct secret_mac *m = calloc(1, sizeof(*m));
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (!m || !(m->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) ||
        !(m->keyed = EVP_MAC_CTX_new(m->mac)) || !EVP_MAC_init(m->keyed, key, 32, params)) {
        secret_mac_free(m);
        ferr_set(err, FERR_INTERNAL_ERROR, "HMAC-SHA256 is not available from OpenSSL");
        return NULL;
    }
    return m;
}

int secret_mac_compute(const struct secret_mac *m, const void *data, size_t n,
                       unsigned char mac[32])
{
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(m->keyed);
    size_t len = 0;
    int ok = c && EVP_MAC_update(c, data, n) && EVP_MAC_final(c, mac, &len, 32) && len == 32;
    EVP_MAC_CTX_free(c);
    return ok ? 0 : -1;
}

void secret_mac_free(struct secret_mac *m)
{
    if (!m)
        return;
    EVP_MAC_CTX_free(m->keyed);
    EVP_MAC_free(m->mac);
    free(m);
}

int secret_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}
