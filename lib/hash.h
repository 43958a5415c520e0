/*
 * hash.h - SHA-256 (OpenSSL EVP) as lower-case hex, of memory or files.
 */
#ifndef AVK_HASH_H
#define AVK_HASH_H

#include <stddef.h>

#include "err.h"

#define AVK_SHA256_HEX 65 /* 64 hex digits and a NUL */

typedef struct avk_sha256 avk_sha256; /* incremental hashing */

avk_sha256 *avk_sha256_new(void);
int avk_sha256_update(avk_sha256 *h, const void *data, size_t len);
/* Finish into hex and free h. */
int avk_sha256_final(avk_sha256 *h, char hex[AVK_SHA256_HEX]);
void avk_sha256_free(avk_sha256 *h);

int avk_sha256_hex(const void *data, size_t len, char hex[AVK_SHA256_HEX]);
/* Hash a file; bytes (may be NULL) receives its size. */
int avk_sha256_file(const char *path, char hex[AVK_SHA256_HEX],
                    long long *bytes, avk_err *err);
/* Raw HMAC-SHA256 into out[32]. */
int avk_hmac_sha256(const void *key, size_t keylen, const void *msg,
                    size_t msglen, unsigned char out[32]);
void avk_hex(const unsigned char *raw, size_t n, char *out);
int avk_is_sha256_hex(const char *s);

#endif
