/* Unit tests for buf, hash and fsutil. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "hash.h"
#include "tap.h"

static void test_buf(void)
{
    avk_buf b;
    char *s;
    int i;

    avk_buf_init(&b);
    for (i = 0; i < 1000; i++)
        avk_buf_printf(&b, "%d,", i);
    ok(b.len > 3000, "buf grows past its first allocation");
    ok(strncmp(b.data, "0,1,2,", 6) == 0, "buf keeps order");
    s = avk_buf_detach(&b);
    ok(b.data == NULL && b.len == 0, "detach empties the buffer");
    free(s);
    s = avk_buf_detach(&b);
    is_str(s, "", "detach of an empty buffer gives an empty string");
    free(s);
}

static void test_hash(void)
{
    char hex[AVK_SHA256_HEX];
    unsigned char mac[32];
    char machex[65];

    avk_sha256_hex("", 0, hex);
    is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
           "sha256 of the empty string");
    avk_sha256_hex("abc", 3, hex);
    is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
           "sha256 of abc");
    ok(avk_is_sha256_hex(hex), "recognises a sha256 hex string");
    ok(!avk_is_sha256_hex("abc"), "rejects a short string");
    /* RFC 4231 test case 2 */
    avk_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    avk_hex(mac, 32, machex);
    is_str(machex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
           "hmac-sha256 RFC 4231 case 2");
}

static void test_files(void)
{
    char dir[] = "/tmp/avk-test-XXXXXX";
    char *sub, *file, *copy;
    avk_buf b;
    avk_err err;
    char hex[AVK_SHA256_HEX];
    long long bytes = 0;

    ok(mkdtemp(dir) != NULL, "temp dir");
    sub = avk_path_join(dir, "a/b/c");
    is_int(avk_mkdirs(sub, 0755, &err), 0, "mkdirs creates nested dirs");
    ok(avk_is_dir(sub), "nested dir exists");
    file = avk_path_join(sub, "f.txt");
    is_int(avk_write_file_atomic(file, "hello", 5, 0644, &err), 0,
           "atomic write");
    avk_buf_init(&b);
    is_int(avk_read_file(file, &b, &err), 0, "read back");
    is_str(b.data, "hello", "same contents");
    avk_buf_release(&b);
    copy = avk_path_join(dir, "copy.txt");
    is_int(avk_copy_file_atomic(file, copy, 0644, &err), 0, "atomic copy");
    avk_sha256_file(copy, hex, &bytes, &err);
    is_int(bytes, 5, "copy has the same size");
    is_int(avk_read_file("/nonexistent/x", &b, &err), AVK_EX_NOINPUT,
           "missing file is NOINPUT");
    ok(strstr(err.msg, "/nonexistent/x") != NULL, "error names the file");
    is_int(avk_rmtree(dir, &err), 0, "rmtree");
    ok(!avk_is_dir(dir), "tree gone");
    ok(avk_parse_iso("2026-11-25T17:30:00Z") == 1795627800LL, "parse iso");
    free(sub);
    free(file);
    free(copy);
}

int main(void)
{
    test_buf();
    test_hash();
    test_files();
    return tap_done();
}
