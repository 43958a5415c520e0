/*
 * sigv4.h - AWS Signature Version 4 for S3-compatible stores (HMAC-SHA256
 * through OpenSSL, via lib/hash).
 *
 * Pure functions: no I/O, no clock (the caller passes the time), so the
 * published AWS test vectors check them exactly.  The secret key never
 * appears in any output except as the derived signature.
 */
#ifndef AVK_SIGV4_H
#define AVK_SIGV4_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

typedef struct avk_sigv4_key {
    const char *access_key, *secret_key, *region, *service; /* service "s3" */
} avk_sigv4_key;

typedef struct avk_sigv4_hdr {
    const char *name, *value; /* any case; values are trimmed */
} avk_sigv4_hdr;

#define AVK_SHA256_EMPTY \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* URI-encode s (RFC 3986 unreserved kept; '/' kept when keep_slash). */
int avk_sigv4_encode(avk_buf *out, const char *s, int keep_slash);

/*
 * The Authorization header value for a request.  path is the raw
 * (unencoded) path ("/bucket/test$file.text"); query is raw "k=v&k2=v2"
 * pairs (or NULL/""), encoded and sorted here; headers must include host
 * and every x-amz-* header sent; payload_hash is the hex SHA-256 of the
 * body or "UNSIGNED-PAYLOAD"; amz_date is "YYYYMMDDTHHMMSSZ".  When
 * canonical is not NULL it receives the canonical request (for tests and
 * SignatureDoesNotMatch debugging).  Fails with AVK_EX_OSERR.
 */
int avk_sigv4_auth(const avk_sigv4_key *k, const char *method,
                   const char *path, const char *query,
                   const avk_sigv4_hdr *headers, size_t n,
                   const char *payload_hash, const char *amz_date,
                   avk_buf *auth, avk_buf *canonical, avk_err *err);

/* A presigned GET URL: base (scheme://host[:port]) + path + the
 * X-Amz-* query with X-Amz-Signature, valid expires seconds (1-604800).
 * host is the Host header value signed (with any non-default port). */
int avk_sigv4_presign(const avk_sigv4_key *k, const char *base,
                      const char *host, const char *path, long expires,
                      const char *amz_date, avk_buf *url, avk_err *err);

/* "YYYYMMDDTHHMMSSZ" of unix time t into out[17]. */
void avk_sigv4_date(long long t, char out[17]);

#endif
