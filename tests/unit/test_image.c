/* Unit tests for lib/image: allocation, blending, scaling, PNG and JPEG
 * round trips, failure on corrupt or empty files, media probing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "fsutil.h"
#include "image.h"
#include "tap.h"

static uint8_t *px(avk_image *im, int x, int y)
{
    return im->px + (size_t)y * im->stride + 4 * (size_t)x;
}

static int near(int a, int b, int tol)
{
    return abs(a - b) <= tol;
}

static void put4(unsigned char *p, const char *tag)
{
    int i;

    for (i = 0; i < 4; i++)
        p[i] = (unsigned char)tag[i];
}

static void test_alloc_blend(void)
{
    avk_image a, b;
    uint8_t *p;

    avk_image_init(&a);
    avk_image_init(&b);
    is_int(avk_image_alloc(&a, 8, 6), 0, "alloc 8x6");
    ok(a.w == 8 && a.h == 6 && a.stride >= 32, "size and stride");
    ok(px(&a, 7, 5)[3] == 0, "alloc is transparent");
    ok(avk_image_alloc(&b, 0, 5) != 0, "zero width refused");
    ok(avk_image_alloc(&b, AVK_IMAGE_MAX_DIM + 1, 5) != 0,
       "huge width refused");

    avk_image_fill(&a, 0x0000ffffu); /* opaque blue */
    avk_image_alloc(&b, 4, 4);
    avk_image_fill(&b, 0xff000080u); /* half-transparent red */
    p = px(&b, 0, 0);
    ok(p[0] == 128 && p[3] == 128, "fill stores premultiplied colour");
    avk_image_blend(&a, &b, 6, 4, 1.0f); /* clipped at the corner */
    p = px(&a, 7, 5);
    ok(near(p[0], 128, 1) && near(p[2], 127, 1) && p[3] == 255,
       "src-over blend of half red on blue");
    p = px(&a, 5, 5);
    ok(p[0] == 0 && p[2] == 255, "pixels outside src untouched");
    avk_image_blend(&a, &b, -2, -2, 0.5f);
    p = px(&a, 0, 0);
    ok(near(p[0], 64, 1) && near(p[2], 191, 2),
       "blend with opacity 0.5 (%d,%d)", p[0], p[2]);
    avk_image_blend(&a, &b, 100, 100, 1.0f); /* fully outside: no crash */
    ok(1, "blend entirely outside is a no-op");
    avk_image_release(&a);
    avk_image_release(&b);
    avk_image_release(&b); /* twice is fine */
}

static void test_resize_cover(void)
{
    avk_image a, r;
    avk_err err;
    int x, y;

    avk_image_init(&a);
    avk_image_init(&r);
    avk_image_alloc(&a, 40, 20);
    /* left half red, right half green */
    for (y = 0; y < 20; y++)
        for (x = 0; x < 40; x++) {
            uint8_t *p = px(&a, x, y);
            p[0] = x < 20 ? 255 : 0;
            p[1] = x < 20 ? 0 : 255;
            p[2] = 0;
            p[3] = 255;
        }
    is_int(avk_image_resize(&a, 20, 10, &r, &err), 0, "resize 40x20 -> 20x10");
    ok(r.w == 20 && r.h == 10, "resized size");
    ok(near(px(&r, 2, 5)[0], 255, 3) && near(px(&r, 2, 5)[1], 0, 3),
       "resize keeps red on the left (%d,%d)", px(&r, 2, 5)[0],
       px(&r, 2, 5)[1]);
    ok(near(px(&r, 17, 5)[1], 255, 3), "resize keeps green on the right");
    is_int(avk_image_cover(&a, 10, 10, &r, &err), 0, "cover 40x20 -> 10x10");
    ok(r.w == 10 && r.h == 10, "cover size");
    /* the centre crop is x 10..30: left half red, right half green */
    ok(near(px(&r, 1, 5)[0], 255, 3) && near(px(&r, 8, 5)[1], 255, 3),
       "cover crops the centre");
    is_int(avk_image_cover(&a, 80, 10, &r, &err), 0, "cover to a wide box");
    ok(r.w == 80 && r.h == 10, "wide cover size");
    for (y = 0; y < r.h; y++)
        for (x = 0; x < r.w; x++) {
            uint8_t *p = px(&r, x, y);
            if (p[0] > p[3] || p[1] > p[3] || p[2] > p[3]) {
                ok(0, "scaled pixels stay premultiplied");
                y = r.h;
                break;
            }
        }
    avk_image_release(&a);
    avk_image_release(&r);
}

/* A JPEG with an EXIF orientation is turned upright. */
static void test_orientation(void)
{
    static const unsigned char app1[] = {
        0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0,
        42,   0,    0,    0,    8, /* TIFF header, IFD at 8 */
        0,    1,                   /* one entry */
        0x01, 0x12, 0,    3,    0,   0,   0,   1,   0, 6, 0,   0, /* Orientation
                                                                     = 6 */
        0,    0,    0,    0}; /* no next IFD */
    avk_image a, b;
    avk_err err;
    uint8_t *jpg, *mod;
    size_t len;
    int x, y;

    avk_image_init(&a);
    avk_image_init(&b);
    avk_image_alloc(&a, 32, 16);
    for (y = 0; y < 16; y++)
        for (x = 0; x < 32; x++) {
            uint8_t *p = px(&a, x, y);
            p[0] = x < 16 ? 255 : 0;
            p[1] = 0;
            p[2] = x < 16 ? 0 : 255;
            p[3] = 255;
        }
    is_int(avk_image_encode_jpeg(&a, 95, &jpg, &len, &err), 0, "encode jpeg");
    mod = malloc(len + sizeof app1);
    memcpy(mod, jpg, 2);
    memcpy(mod + 2, app1, sizeof app1);
    memcpy(mod + 2 + sizeof app1, jpg + 2, len - 2);
    is_int(avk_image_load_mem(mod, len + sizeof app1, &b, &err), 0,
           "load jpeg with EXIF orientation 6");
    ok(b.w == 16 && b.h == 32, "rotated to portrait (%dx%d)", b.w, b.h);
    ok(b.w == 16 && px(&b, 8, 4)[0] > 200 && px(&b, 8, 28)[2] > 200,
       "the left half is now on top");
    free(jpg);
    free(mod);
    avk_image_release(&a);
    avk_image_release(&b);
}

static void test_files(void)
{
    char dir[] = "/tmp/avk-image-XXXXXX";
    char path[256], jpath[256], bad[256], empty[256], odd[256];
    avk_image a, b;
    avk_media_info mi;
    avk_err err;
    int x, y, same = 1;

    avk_image_init(&a);
    avk_image_init(&b);
    ok(mkdtemp(dir) != NULL, "temp dir");
    avk_image_alloc(&a, 33, 17);
    for (y = 0; y < a.h; y++)
        for (x = 0; x < a.w; x++) {
            uint8_t *p = px(&a, x, y);
            p[3] = (uint8_t)(x * 7);
            p[0] = (uint8_t)(p[3] * y / 17);
            p[1] = (uint8_t)(p[3] / 2);
            p[2] = p[3];
        }
    snprintf(path, sizeof path, "%s/a%%d.png", dir); /* '%' stays literal */
    is_int(avk_image_save_png(path, &a, &err), 0, "save png");
    is_int(avk_image_load(path, &b, &err), 0, "load png back");
    ok(b.w == 33 && b.h == 17, "png size survives");
    for (y = 0; y < a.h && same; y++)
        for (x = 0; x < a.w; x++)
            if (!near(px(&a, x, y)[0], px(&b, x, y)[0], 1) ||
                px(&a, x, y)[3] != px(&b, x, y)[3]) {
                same = 0;
                break;
            }
    ok(same, "png round trip keeps pixels (premultiplied, alpha exact)");
    is_int(avk_media_probe(path, &mi, &err), 0, "probe png");
    is_str(avk_media_kind_name(mi.kind), "image", "png is an image");
    ok(mi.width == 33 && mi.height == 17, "probe size");
    is_str(mi.vcodec, "png", "probe codec name");

    avk_image_fill(&a, 0x3080c0ffu);
    snprintf(jpath, sizeof jpath, "%s/b.jpg", dir);
    is_int(avk_image_save_jpeg(jpath, &a, 90, &err), 0, "save jpeg");
    is_int(avk_image_load(jpath, &b, &err), 0, "load jpeg back");
    ok(b.w == 33 && b.h == 17, "jpeg size survives");
    ok(near(px(&b, 16, 8)[0], 0x30, 4) && near(px(&b, 16, 8)[1], 0x80, 4) &&
           near(px(&b, 16, 8)[2], 0xc0, 4) && px(&b, 16, 8)[3] == 255,
       "jpeg colour close (%d,%d,%d)", px(&b, 16, 8)[0], px(&b, 16, 8)[1],
       px(&b, 16, 8)[2]);
    is_int(avk_media_probe(jpath, &mi, &err), 0, "probe jpeg");
    ok(mi.kind == AVK_MEDIA_IMAGE && strcmp(mi.vcodec, "mjpeg") == 0,
       "jpeg probed as an mjpeg image");

    {
        /* 0.5 s of 8 kHz mono 16-bit silence as a WAV file */
        unsigned char wav[44 + 8000];
        unsigned data = 8000;
        memset(wav, 0, sizeof wav);
        put4(wav, "RIFF");
        wav[4] = (uint8_t)((36 + data) & 255);
        wav[5] = (uint8_t)((36 + data) >> 8);
        put4(wav + 8, "WAVE");
        put4(wav + 12, "fmt ");
        wav[16] = 16;
        wav[20] = 1;    /* PCM */
        wav[22] = 1;    /* mono */
        wav[24] = 0x40; /* 8000 Hz */
        wav[25] = 0x1f;
        wav[28] = 0x80; /* 16000 bytes/s */
        wav[29] = 0x3e;
        wav[32] = 2;
        wav[34] = 16;
        put4(wav + 36, "data");
        wav[40] = (uint8_t)(data & 255);
        wav[41] = (uint8_t)(data >> 8);
        snprintf(odd, sizeof odd, "%s/tone.wav", dir);
        avk_write_file_atomic(odd, wav, sizeof wav, 0644, NULL);
        is_int(avk_media_probe(odd, &mi, &err), 0, "probe wav");
        is_str(avk_media_kind_name(mi.kind), "audio", "wav is audio");
        ok(mi.duration > 0.45 && mi.duration < 0.55, "wav duration %.3f",
           mi.duration);
        is_str(mi.acodec, "pcm_s16le", "audio codec name");
        ok(mi.vcodec[0] == 0 && mi.width == 0, "no video in a wav");
        ok(avk_image_load(odd, &b, &err) == AVK_EX_DATAERR,
           "a wav is not an image");
    }
    snprintf(bad, sizeof bad, "%s/bad.png", dir);
    avk_write_file_atomic(bad, "\x89PNG\r\n\x1a\ngarbage garbage garbage", 31,
                          0644, NULL);
    err.msg[0] = 0;
    is_int(avk_image_load(bad, &b, &err), AVK_EX_DATAERR, "corrupt png fails");
    ok(strstr(err.msg, "bad.png") != NULL, "message names the file: %s",
       err.msg);
    ok(b.px == NULL && b.w == 0, "failed load leaves the image empty");
    snprintf(empty, sizeof empty, "%s/empty.jpg", dir);
    avk_write_file_atomic(empty, "", 0, 0644, NULL);
    is_int(avk_image_load(empty, &b, &err), AVK_EX_DATAERR,
           "zero-byte file fails");
    ok(strstr(err.msg, "empty") != NULL, "says empty: %s", err.msg);
    is_int(avk_media_probe(empty, &mi, &err), AVK_EX_DATAERR,
           "probe of empty fails");
    snprintf(odd, sizeof odd, "%s/text.txt", dir);
    avk_write_file_atomic(odd, "just some words\n", 16, 0644, NULL);
    ok(avk_image_load(odd, &b, &err) == AVK_EX_DATAERR,
       "text file is not an image");
    ok(avk_media_probe(odd, &mi, &err) == AVK_EX_DATAERR,
       "text file is not media");
    snprintf(odd, sizeof odd, "%s/missing.png", dir);
    is_int(avk_image_load(odd, &b, &err), AVK_EX_NOINPUT, "missing file");
    is_int(avk_image_load_mem("", 0, &b, &err), AVK_EX_DATAERR, "empty memory");

    avk_image_release(&a);
    avk_image_release(&b);
    avk_rmtree(dir, NULL);
}

int main(void)
{
    av_log_set_level(AV_LOG_QUIET); /* corrupt files are expected here */
    test_alloc_blend();
    test_resize_cover();
    test_files();
    test_orientation();
    return tap_done();
}
