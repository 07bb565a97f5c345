/* SPDX-License-Identifier: MIT
 * The certificate and key a server speaks TLS with (--tls-cert, --tls-key),
 * read and checked with OpenSSL before libmicrohttpd (GnuTLS) is handed
 * them, so that a wrong file is said in words at start rather than as a
 * server that will not start. */
#ifndef FERRY_HTTP_TLS_H
#define FERRY_HTTP_TLS_H

#include "base/ferr.h"

/* Reads the PEM files at cert_path (a certificate, then any chain) and
 * key_path (an unencrypted private key) into NUL-terminated buffers the
 * caller frees. INVALID_PARAMETER_VALUE, naming the option and the file,
 * when a file cannot be read, holds no certificate or key, or the key is
 * not the certificate's. */
int http_tls_load(const char *cert_path, const char *key_path, char **cert_pem, char **key_pem,
                  struct ferr *err) WARN_UNUSED;

#endif
