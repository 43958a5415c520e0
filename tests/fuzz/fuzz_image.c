/*
 * fuzz_image.c - libFuzzer target for still decoding: every input goes
 * through avk_image_load_mem; a decoded image is checked and pushed
 * through cover, blend and a PNG round trip.  Invariants: a failure says
 * why and leaves the image empty; a success is within the size limits and
 * premultiplied (no colour above its alpha); the PNG round trip keeps the
 * size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avk_image im, small, again;
    avk_err err;
    uint8_t *png;
    size_t len;
    int x, y, c;

    av_log_set_level(AV_LOG_QUIET);
    avk_image_init(&im);
    avk_image_init(&small);
    avk_image_init(&again);
    err.msg[0] = '\0';
    if (avk_image_load_mem(data, size, &im, &err) != 0) {
        if (!err.msg[0] || im.px)
            abort();
        return 0;
    }
    if (im.w < 1 || im.h < 1 || im.w > AVK_IMAGE_MAX_DIM ||
        im.h > AVK_IMAGE_MAX_DIM)
        abort();
    for (y = 0; y < im.h; y++)
        for (x = 0; x < im.w; x++)
            for (c = 0; c < 3; c++)
                if (im.px[(size_t)y * im.stride + 4 * x + c] >
                    im.px[(size_t)y * im.stride + 4 * x + 3])
                    abort();
    if (avk_image_cover(&im, 17, 11, &small, &err) == 0) {
        avk_image_blend(&small, &im, -3, -2, 0.5f);
        if (avk_image_encode_png(&small, &png, &len, &err) == 0) {
            if (avk_image_load_mem(png, len, &again, &err) != 0 ||
                again.w != 17 || again.h != 11)
                abort();
            free(png);
        }
    }
    avk_image_release(&again);
    avk_image_release(&small);
    avk_image_release(&im);
    return 0;
}

#include "replay_main.h"
