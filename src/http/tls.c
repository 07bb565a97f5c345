/* SPDX-License-Identifier: MIT */
#include "http/tls.h"
#include "base/sbuf.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "base/banned.h"

/* A certificate and key are a few KiB; a chain a few more. */
#define TLS_FILE_MAX (1024 * 1024)

static int read_pem(const char *option, const char *path, struct sbuf *sb, struct ferr *err)
{
    if (sbuf_read_file(sb, path, TLS_FILE_MAX))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot read %s '%.300s': %s", option,
                        path, errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
    if (strlen(sb->buf) != sb->len)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%s '%.300s' is not a PEM file (it holds a NUL byte)", option, path);
    return 0;
}

/* The PEM key never asks for a passphrase: an encrypted one fails. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static int check_pair(const struct sbuf *cert, const struct sbuf *key, const char *cert_path,
                      const char *key_path, struct ferr *err)
{
    BIO *cb = BIO_new_mem_buf(cert->buf, (int)cert->len);
    BIO *kb = BIO_new_mem_buf(key->buf, (int)key->len);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, no_passphrase, NULL) : NULL;
    EVP_PKEY *k = x && kb ? PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL) : NULL;
    int rc = 0;
    if (!cb || !kb)
        rc = ferr_set(err, FERR_INTERNAL_ERROR, "out of memory reading TLS files");
    else if (!x)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "--tls-cert '%.300s' holds no PEM certificate", cert_path);
    else if (!k)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "--tls-key '%.300s' holds no PEM private key (or an encrypted one, which "
                      "is not supported)",
                      key_path);
    else if (X509_check_private_key(x, k) != 1)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "--tls-key '%.300s' is not the key of the certificate in --tls-cert "
                      "'%.300s'",
                      key_path, cert_path);
    ERR_clear_error();
    EVP_PKEY_free(k);
    X509_free(x);
    BIO_free(kb);
    BIO_free(cb);
    return rc;
}

int http_tls_load(const char *cert_path, const char *key_path, char **cert_pem, char **key_pem,
                  struct ferr *err)
{
    struct sbuf cert = SBUF_INIT, key = SBUF_INIT;
    if (read_pem("--tls-cert", cert_path, &cert, err) ||
        read_pem("--tls-key", key_path, &key, err) ||
        check_pair(&cert, &key, cert_path, key_path, err)) {
        sbuf_release(&cert);
        sbuf_release(&key);
        return -1;
    }
    *cert_pem = sbuf_detach(&cert, NULL);
    *key_pem = sbuf_detach(&key, NULL);
    return 0;
}
