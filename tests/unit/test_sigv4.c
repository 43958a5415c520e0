/* test_sigv4 - Signature Version 4 against the published AWS S3 examples. */
#include <string.h>

#include "hash.h"
#include "sigv4.h"
#include "tap.h"

static const avk_sigv4_key K = {"AKIAIOSFODNN7EXAMPLE",
                                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                "us-east-1", "s3"};
#define DATE "20130524T000000Z"
#define HOST "examplebucket.s3.amazonaws.com"

static const char *sig_of(const avk_buf *auth)
{
    const char *p = strstr(auth->data ? auth->data : "", "Signature=");
    return p ? p + 10 : "";
}

int main(void)
{
    avk_buf a, c, u;
    avk_err err = {0, ""};
    char body_hash[65];

    /* GET object with a Range header */
    {
        avk_sigv4_hdr h[] = {{"Host", HOST},
                             {"Range", "bytes=0-9"},
                             {"x-amz-content-sha256", AVK_SHA256_EMPTY},
                             {"x-amz-date", DATE}};
        avk_buf_init(&a);
        avk_buf_init(&c);
        ok(avk_sigv4_auth(&K, "GET", "/test.txt", NULL, h, 4, AVK_SHA256_EMPTY,
                          DATE, &a, &c, &err) == 0,
           "GET object signed");
        is_str(sig_of(&a),
               "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
               "GET object: signature matches the AWS example");
        ok(strstr(a.data, "SignedHeaders=host;range;x-amz-content-sha256;"
                          "x-amz-date,") != NULL,
           "signed headers sorted and lower-case");
        ok(strstr(a.data, "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/"
                          "s3/aws4_request") != NULL,
           "credential scope");
        avk_buf_release(&a);
        avk_buf_release(&c);
    }
    /* PUT object with a $ in the key and extra signed headers */
    {
        const char *body = "Welcome to Amazon S3.";
        avk_sigv4_hdr h[] = {{"Host", HOST},
                             {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                             {"x-amz-date", DATE},
                             {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                             {"x-amz-content-sha256", NULL}};
        avk_sha256_hex(body, strlen(body), body_hash);
        h[4].value = body_hash;
        is_str(body_hash,
               "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
               "payload hash");
        avk_buf_init(&a);
        avk_buf_init(&c);
        avk_sigv4_auth(&K, "PUT", "/test$file.text", NULL, h, 5, body_hash,
                       DATE, &a, &c, &err);
        ok(strstr(c.data ? c.data : "", "\n/test%24file.text\n") != NULL,
           "the path is URI-encoded once");
        is_str(sig_of(&a),
               "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
               "PUT object: signature matches the AWS example");
        avk_buf_release(&a);
        avk_buf_release(&c);
    }
    /* GET bucket with a query */
    {
        avk_sigv4_hdr h[] = {{"Host", HOST},
                             {"x-amz-content-sha256", AVK_SHA256_EMPTY},
                             {"x-amz-date", DATE}};
        avk_buf_init(&a);
        avk_buf_init(&c);
        avk_sigv4_auth(&K, "GET", "/", "prefix=J&max-keys=2", h, 3,
                       AVK_SHA256_EMPTY, DATE, &a, &c, &err);
        ok(strstr(c.data ? c.data : "", "\nmax-keys=2&prefix=J\n") != NULL,
           "query sorted by name");
        is_str(sig_of(&a),
               "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
               "GET bucket: signature matches the AWS example");
        avk_buf_release(&a);
        avk_buf_release(&c);
    }
    /* presigned URL */
    {
        const char *p;
        avk_buf_init(&u);
        ok(avk_sigv4_presign(&K, "https://" HOST, HOST, "/test.txt", 86400,
                             DATE, &u, &err) == 0,
           "presigned");
        p = strstr(u.data ? u.data : "", "X-Amz-Signature=");
        is_str(p ? p + 16 : "",
               "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
               "presigned GET: signature matches the AWS example");
        ok(strstr(u.data ? u.data : "", "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
                          "us-east-1%2Fs3%2Faws4_request") != NULL,
           "credential encoded with %%2F");
        ok(avk_sigv4_presign(&K, "https://" HOST, HOST, "/x", 604801, DATE, &u,
                             &err) == AVK_EX_USAGE,
           "lifetime over 7 days refused");
        avk_buf_release(&u);
    }
    {
        char d[17];
        avk_sigv4_date(1369353600LL, d);
        is_str(d, DATE, "amz date format");
    }
    return tap_done();
}
