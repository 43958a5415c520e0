/*
 * hash.c - SHA-256 and HMAC through OpenSSL's EVP interface.
 */
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

struct avk_sha256 {
    EVP_MD_CTX *ctx;
};

avk_sha256 *avk_sha256_new(void)
{
    avk_sha256 *h = OPENSSL_zalloc(sizeof *h);

    if (!h)
        return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        avk_sha256_free(h);
        return NULL;
    }
    return h;
}

int avk_sha256_update(avk_sha256 *h, const void *data, size_t len)
{
    return EVP_DigestUpdate(h->ctx, data, len) == 1 ? 0 : AVK_EX_SOFTWARE;
}

void avk_hex(const unsigned char *raw, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 15];
    }
    out[2 * n] = '\0';
}

int avk_sha256_final(avk_sha256 *h, char hex[AVK_SHA256_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = EVP_DigestFinal_ex(h->ctx, md, &n) == 1 && n == 32;

    avk_sha256_free(h);
    if (!ok)
        return AVK_EX_SOFTWARE;
    avk_hex(md, 32, hex);
    return 0;
}

void avk_sha256_free(avk_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    OPENSSL_free(h);
}

int avk_sha256_hex(const void *data, size_t len, char hex[AVK_SHA256_HEX])
{
    avk_sha256 *h = avk_sha256_new();

    if (!h)
        return AVK_EX_OSERR;
    if (avk_sha256_update(h, data, len)) {
        avk_sha256_free(h);
        return AVK_EX_SOFTWARE;
    }
    return avk_sha256_final(h, hex);
}

int avk_sha256_file(const char *path, char hex[AVK_SHA256_HEX],
                    long long *bytes, avk_err *err)
{
    unsigned char chunk[65536];
    long long total = 0;
    avk_sha256 *h;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return avk_fail(err, errno == ENOENT ? AVK_EX_NOINPUT : AVK_EX_IOERR,
                        "cannot open '%s': %s", path, strerror(errno));
    h = avk_sha256_new();
    if (!h) {
        close(fd);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            avk_sha256_free(h);
            return avk_fail(err, AVK_EX_IOERR, "cannot read '%s': %s", path,
                            strerror(e));
        }
        if (n == 0)
            break;
        avk_sha256_update(h, chunk, (size_t)n);
        total += n;
    }
    close(fd);
    if (bytes)
        *bytes = total;
    if (avk_sha256_final(h, hex))
        return avk_fail(err, AVK_EX_SOFTWARE, "sha256 failed");
    return 0;
}

int avk_hmac_sha256(const void *key, size_t keylen, const void *msg,
                    size_t msglen, unsigned char out[32])
{
    unsigned int n = 0;

    if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &n) || n != 32)
        return AVK_EX_SOFTWARE;
    return 0;
}

int avk_is_sha256_hex(const char *s)
{
    size_t i;

    for (i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}
