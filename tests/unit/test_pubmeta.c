/* test_pubmeta - metadata fitting per platform and the publication ledger. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "publish.h"
#include "pubmeta.h"
#include "pubtarget.h"
#include "store.h"
#include "tap.h"
#include "workspace.h"

static void test_fit(void)
{
    char *s;

    s = avk_text_fit("hello world again", 12, AVK_UNIT_CHARS);
    is_str(s, "hello world", "cut at a word boundary");
    free(s);
    s = avk_text_fit("abcdefghij", 4, AVK_UNIT_CHARS);
    is_str(s, "abcd", "no space: cut at a character");
    free(s);
    s = avk_text_fit("\xc3\xa9\xc3\xa9\xc3\xa9", 5, AVK_UNIT_BYTES);
    is_str(s, "\xc3\xa9\xc3\xa9", "bytes: never mid-character");
    free(s);
    s = avk_text_fit("a\xf0\x9f\x8e\x89", 2, AVK_UNIT_UTF16);
    is_str(s, "a", "UTF-16: an emoji counts two units");
    free(s);
    s = avk_text_fit("ok\xff\xfe bad", 100, AVK_UNIT_CHARS);
    is_str(s, "ok bad", "invalid UTF-8 dropped");
    free(s);
    is_int((int)avk_text_len("\xf0\x9f\x8e\x89x", AVK_UNIT_UTF16), 3,
           "UTF-16 length");
    is_int((int)avk_text_len("\xf0\x9f\x8e\x89x", AVK_UNIT_CHARS), 2,
           "character length");
}

static void test_platforms(void)
{
    const char *tags[40];
    char names[40][8];
    char *desc = malloc(3000 * 5 + 1);
    avk_pub_src src;
    avk_pub_meta m;
    avk_err err = {0, ""};
    size_t i, n = 0;
    const char *p;

    for (i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "#t%zu", i);
        tags[i] = names[i];
    }
    /* 3000 emoji-and-space pairs: 9000 UTF-16 units with spaces */
    desc[0] = '\0';
    for (i = 0; i < 3000; i++)
        strcat(desc, "\xf0\x9f\x8e\x89 " + (i == 2999));
    src.title = "A <title>";
    src.description = desc;
    src.hashtags = tags;
    src.nhashtags = 40;
    ok(avk_pub_meta_fit("tiktok", &src, &m, &err) == 0, "tiktok fit");
    ok(avk_text_len(m.caption, AVK_UNIT_UTF16) <= 2200,
       "tiktok caption <= 2200 UTF-16 units (%zu)",
       avk_text_len(m.caption, AVK_UNIT_UTF16));
    ok(strstr(m.caption, "#t39") != NULL, "tiktok keeps the hashtags");
    avk_pub_meta_release(&m);
    ok(avk_pub_meta_fit("instagram", &src, &m, &err) == 0, "instagram fit");
    ok(avk_text_len(m.caption, AVK_UNIT_CHARS) <= 2200,
       "instagram caption <= 2200 characters");
    for (p = m.caption; (p = strchr(p, '#')); p++)
        n++;
    is_int((int)n, 30, "instagram: at most 30 hashtags");
    avk_pub_meta_release(&m);
    ok(avk_pub_meta_fit("youtube", &src, &m, &err) == 0, "youtube fit");
    is_str(m.title, "A title", "youtube: < and > removed");
    ok(strlen(m.description) <= 5000, "youtube description <= 5000 bytes");
    is_int((int)json_array_size(m.tags), 40, "youtube: short tags all kept");
    avk_pub_meta_release(&m);
    free(desc);
}

static void test_ledger(void)
{
    char dir[] = "/tmp/avk-pubXXXXXX", a[96], b[96];
    avk_store *s = NULL;
    avk_err err = {0, ""};
    avk_pub_rec r1, r2;
    long long wait = 0;
    int out = 0, rc, i, okc;

    memset(&r1, 0, sizeof r1);
    memset(&r2, 0, sizeof r2);

    ok(mkdtemp(dir) != NULL, "temp dir");
    ok(avk_ws_init(dir, &out, &err) == 0, "workspace");
    ok(avk_store_open(dir, 1, &s, &err) == 0, "store opened: %s", err.msg);
    avk_pub_owner(a);
    avk_pub_owner(b);
    ok(strcmp(a, b) != 0, "owners differ");
    rc = avk_pub_claim(s, "p1", "youtube", "abc", a, 60000, 0, &r1, &out, &err);
    ok(rc == 0 && out == AVK_PUB_OWNED, "first claim owns the row");
    is_str(r1.state, "queued", "intent recorded as queued");
    rc = avk_pub_claim(s, "p1", "youtube", "abc", b, 60000, 300, &r2, &out, &err);
    is_int(rc, AVK_EX_TEMPFAIL, "second owner waits, then gives up");
    snprintf(r1.session, sizeof r1.session, "http://x/upload?upload_id=1");
    r1.offset = 42;
    snprintf(r1.state, sizeof r1.state, "uploading");
    ok(avk_pub_save(s, &r1, a, 60000, &err) == 0, "progress saved");
    ok(avk_pub_save(s, &r1, b, 60000, &err) == AVK_EX_TEMPFAIL,
       "a non-owner cannot save");
    ok(avk_pub_release(s, &r1, a, &err) == 0, "lease released");
    rc = avk_pub_claim(s, "p1", "youtube", "abc", b, 60000, 0, &r2, &out, &err);
    ok(rc == 0 && out == AVK_PUB_OWNED, "released row taken over");
    is_int((int)r2.offset, 42, "offset resumes");
    is_int(r2.attempts, 2, "attempts counted");
    snprintf(r2.state, sizeof r2.state, "published");
    ok(avk_pub_release(s, &r2, b, &err) == 0, "published");
    rc = avk_pub_claim(s, "p1", "youtube", "abc", a, 60000, 0, &r1, &out, &err);
    ok(rc == 0 && out == AVK_PUB_DONE, "published row is done");

    /* An owner that died but was never reaped (a zombie) is dead: its
       row is taken over at once, not after the lease. */
    {
        char host[48] = "", z[96];
        pid_t child = fork();
        if (child == 0)
            _exit(0);
        usleep(100000); /* let it exit; not reaped yet */
        gethostname(host, sizeof host - 1);
        snprintf(z, sizeof z, "%s:%ld:dead", host, (long)child);
        rc = avk_pub_claim(s, "p2", "youtube", "abc", z, 600000, 0, &r1,
                           &out, &err);
        ok(rc == 0 && out == AVK_PUB_OWNED, "a soon-dead owner claims p2");
        rc = avk_pub_claim(s, "p2", "youtube", "abc", b, 600000, 0, &r2,
                           &out, &err);
        ok(rc == 0 && out == AVK_PUB_OWNED,
           "its zombie's row is taken over at once (rc %d)", rc);
        waitpid(child, NULL, 0);
    }

    ok(avk_quota_take(s, "youtube", "2026-11-25", 1600, 3200, &okc, &err) == 0 &&
           okc, "quota taken");
    ok(avk_quota_take(s, "youtube", "2026-11-25", 1600, 3200, &okc, &err) == 0 &&
           okc, "quota taken again");
    ok(avk_quota_take(s, "youtube", "2026-11-25", 1, 3200, &okc, &err) == 0 &&
           !okc, "quota exhausted");
    for (i = 0; i < 6; i++)
        avk_rate_try(s, "tiktok", "init", 6, 60000, &wait, &err);
    is_int((int)wait, 0, "six inits fit a minute");
    avk_rate_try(s, "tiktok", "init", 6, 60000, &wait, &err);
    ok(wait > 50000 && wait <= 60000, "seventh waits for the window (%lld)",
       wait);
    avk_store_close(s);
    avk_rmtree(dir, NULL);
}

static void test_tiktok_chunks(void)
{
    long long chunk, count;

    avk_tiktok_chunks(50000123LL, 10000000LL, 5000000LL, &chunk, &count);
    ok(chunk == 10000000LL && count == 5,
       "50,000,123 bytes in 10 MB chunks: 5 chunks");
    is_int((int)(50000123LL - chunk * (count - 1)), 10000123,
           "the last chunk absorbs the remainder");
    avk_tiktok_chunks(4000000LL, 10000000LL, 5000000LL, &chunk, &count);
    ok(chunk == 4000000LL && count == 1, "under 5 MB: one chunk of the file");
    avk_tiktok_chunks(300000000LL, 100000000LL, 5000000LL, &chunk, &count);
    ok(chunk == 64000000LL && count == 4, "chunks capped at 64 MB");
    ok(300000000LL - chunk * (count - 1) <= 128000000LL,
       "last chunk at most 128 MB");
}

int main(void)
{
    test_tiktok_chunks();
    test_fit();
    test_platforms();
    test_ledger();
    return tap_done();
}
