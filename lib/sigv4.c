/*
 * sigv4.c - AWS Signature Version 4 (see sigv4.h).
 *
 * Always holds: the canonical request follows the S3 rules exactly (path
 * segments encoded once, query names and values encoded with '/' as %2F
 * and sorted, header names lower-cased and sorted, values trimmed); the
 * signing key is wiped after use.
 */
#include "sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"

int avk_sigv4_encode(avk_buf *out, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;
    int rc = 0;

    for (p = (const unsigned char *)s; *p && !rc; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
            *p == '.' || *p == '~' || (keep_slash && *p == '/'))
            rc = avk_buf_addc(out, (char)*p);
        else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = avk_buf_add(out, e, 3);
        }
    }
    return rc ? AVK_EX_OSERR : 0;
}

typedef struct pair {
    char *k, *v;
} pair;

static int cmp_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

static int canon_query(avk_buf *out, const char *query)
{
    pair *v = NULL;
    size_t n = 0, cap = 0, i;
    char *copy, *save = NULL, *t;
    int rc = 0;

    if (!query || !*query)
        return 0;
    if (!(copy = strdup(query)))
        return AVK_EX_OSERR;
    for (t = strtok_r(copy, "&", &save); t; t = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(t, '=');
        avk_buf k, val;
        if (n == cap) {
            pair *nv = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof *nv);
            if (!nv) {
                rc = AVK_EX_OSERR;
                break;
            }
            v = nv;
        }
        if (eq)
            *eq = '\0';
        avk_buf_init(&k);
        avk_buf_init(&val);
        rc = avk_buf_adds(&k, "") || avk_buf_adds(&val, "") ||
             avk_sigv4_encode(&k, t, 0) ||
             avk_sigv4_encode(&val, eq ? eq + 1 : "", 0);
        v[n].k = avk_buf_detach(&k);
        v[n].v = avk_buf_detach(&val);
        n++;
        if (rc || !v[n - 1].k || !v[n - 1].v) {
            rc = AVK_EX_OSERR;
            break;
        }
    }
    if (!rc && n) {
        qsort(v, n, sizeof *v, cmp_pair);
        for (i = 0; i < n && !rc; i++)
            rc = avk_buf_printf(out, "%s%s=%s", i ? "&" : "", v[i].k, v[i].v);
    }
    for (i = 0; i < n; i++) {
        free(v[i].k);
        free(v[i].v);
    }
    free(v);
    free(copy);
    return rc ? AVK_EX_OSERR : 0;
}

typedef struct hdr {
    char *name;
    const char *value;
    size_t vlen;
} hdr;

static int cmp_hdr(const void *a, const void *b)
{
    return strcmp(((const hdr *)a)->name, ((const hdr *)b)->name);
}

static void hmac(const void *key, size_t klen, const char *msg,
                 unsigned char out[32])
{
    avk_hmac_sha256(key, klen, msg, strlen(msg), out);
}

void avk_sigv4_date(long long t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* Signature hex of string-to-sign sts with the key chain for date8. */
static int sign(const avk_sigv4_key *k, const char *date8, const char *sts,
                char sig[65])
{
    unsigned char kd[32], kr[32], ks[32], kk[32], s[32];
    size_t sl = strlen(k->secret_key);
    char *ks0 = malloc(sl + 5);

    if (!ks0)
        return AVK_EX_OSERR;
    snprintf(ks0, sl + 5, "AWS4%s", k->secret_key);
    hmac(ks0, sl + 4, date8, kd);
    memset(ks0, 0, sl + 4);
    free(ks0);
    hmac(kd, 32, k->region, kr);
    hmac(kr, 32, k->service ? k->service : "s3", ks);
    hmac(ks, 32, "aws4_request", kk);
    hmac(kk, 32, sts, s);
    avk_hex(s, 32, sig);
    memset(kd, 0, 32);
    memset(kr, 0, 32);
    memset(ks, 0, 32);
    memset(kk, 0, 32);
    return 0;
}

/* Canonical request, then string to sign, then signature. */
static int core(const avk_sigv4_key *k, const char *method, const char *path,
                const char *query, const avk_sigv4_hdr *headers, size_t n,
                const char *payload_hash, const char *amz_date,
                avk_buf *signed_names, char sig[65], avk_buf *canonical)
{
    avk_buf c, sts;
    hdr *h = calloc(n ? n : 1, sizeof *h);
    char date8[9], creq_hash[65];
    size_t i, j;
    int rc = 0;

    if (!h)
        return AVK_EX_OSERR;
    for (i = 0; i < n; i++) {
        const char *v = headers[i].value;
        size_t len;
        h[i].name = strdup(headers[i].name);
        if (!h[i].name) {
            rc = AVK_EX_OSERR;
            break;
        }
        for (j = 0; h[i].name[j]; j++)
            if (h[i].name[j] >= 'A' && h[i].name[j] <= 'Z')
                h[i].name[j] = (char)(h[i].name[j] - 'A' + 'a');
        while (*v == ' ' || *v == '\t')
            v++;
        len = strlen(v);
        while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
            len--;
        h[i].value = v;
        h[i].vlen = len;
    }
    avk_buf_init(&c);
    avk_buf_init(&sts);
    if (!rc) {
        qsort(h, n, sizeof *h, cmp_hdr);
        rc = avk_buf_printf(&c, "%s\n", method) ||
             avk_sigv4_encode(&c, path && *path ? path : "/", 1) ||
             avk_buf_addc(&c, '\n') || canon_query(&c, query) ||
             avk_buf_addc(&c, '\n');
        for (i = 0; i < n && !rc; i++)
            rc = avk_buf_printf(&c, "%s:%.*s\n", h[i].name, (int)h[i].vlen,
                                h[i].value);
        rc = rc || avk_buf_addc(&c, '\n');
        for (i = 0; i < n && !rc; i++)
            rc = avk_buf_printf(signed_names, "%s%s", i ? ";" : "",
                                h[i].name);
        rc = rc || avk_buf_printf(&c, "%s\n%s", signed_names->data,
                                  payload_hash);
    }
    if (!rc && !avk_sha256_hex(c.data, c.len, creq_hash)) {
        memcpy(date8, amz_date, 8);
        date8[8] = '\0';
        rc = avk_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
                            amz_date, date8, k->region,
                            k->service ? k->service : "s3", creq_hash) ||
             sign(k, date8, sts.data, sig);
    } else if (!rc) {
        rc = AVK_EX_OSERR;
    }
    if (!rc && canonical)
        rc = avk_buf_adds(canonical, c.data);
    for (i = 0; i < n; i++)
        free(h[i].name);
    free(h);
    avk_buf_release(&c);
    avk_buf_release(&sts);
    return rc ? AVK_EX_OSERR : 0;
}

int avk_sigv4_auth(const avk_sigv4_key *k, const char *method,
                   const char *path, const char *query,
                   const avk_sigv4_hdr *headers, size_t n,
                   const char *payload_hash, const char *amz_date,
                   avk_buf *auth, avk_buf *canonical, avk_err *err)
{
    avk_buf names;
    char sig[65], date8[9];
    int rc;

    avk_buf_init(&names);
    if (avk_buf_adds(&names, ""))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    rc = core(k, method, path, query, headers, n, payload_hash, amz_date,
              &names, sig, canonical);
    memcpy(date8, amz_date, 8);
    date8[8] = '\0';
    if (!rc)
        rc = avk_buf_printf(auth,
                            "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/"
                            "aws4_request, SignedHeaders=%s, Signature=%s",
                            k->access_key, date8, k->region,
                            k->service ? k->service : "s3", names.data, sig)
                 ? AVK_EX_OSERR
                 : 0;
    avk_buf_release(&names);
    return rc ? avk_fail(err, AVK_EX_OSERR, "out of memory") : 0;
}

int avk_sigv4_presign(const avk_sigv4_key *k, const char *base,
                      const char *host, const char *path, long expires,
                      const char *amz_date, avk_buf *url, avk_err *err)
{
    avk_buf q, names;
    avk_sigv4_hdr h = {"host", host};
    char sig[65], date8[9];
    int rc;

    if (expires < 1 || expires > 604800)
        return avk_fail(err, AVK_EX_USAGE,
                        "presigned URL lifetime %ld s is outside 1-604800",
                        expires);
    memcpy(date8, amz_date, 8);
    date8[8] = '\0';
    avk_buf_init(&q);
    avk_buf_init(&names);
    rc = avk_buf_printf(&q,
                        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                        "%s/%s/%s/%s/aws4_request&X-Amz-Date=%s&X-Amz-"
                        "Expires=%ld&X-Amz-SignedHeaders=host",
                        k->access_key, date8, k->region,
                        k->service ? k->service : "s3", amz_date, expires) ||
         avk_buf_adds(&names, "");
    if (!rc)
        rc = core(k, "GET", path, q.data, &h, 1, "UNSIGNED-PAYLOAD", amz_date,
                  &names, sig, NULL);
    if (!rc) {
        avk_buf cq;
        avk_buf_init(&cq);
        rc = avk_buf_adds(&cq, "") || canon_query(&cq, q.data) ||
             avk_buf_adds(url, base) || avk_sigv4_encode(url, path, 1) ||
             avk_buf_printf(url, "?%s&X-Amz-Signature=%s", cq.data, sig);
        avk_buf_release(&cq);
    }
    avk_buf_release(&q);
    avk_buf_release(&names);
    return rc ? avk_fail(err, AVK_EX_OSERR, "out of memory") : 0;
}
