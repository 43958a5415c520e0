/*
 * fuzz_voicetext.c - libFuzzer target for the text a voice is given:
 * flite's spoken form of any bytes.  Invariants: invalid UTF-8 is refused
 * with a message, never read past; valid input gives ASCII text with no
 * control characters other than spaces and newlines, and no longer than
 * a bounded multiple of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tts_flite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avk_buf out;
    avk_err err;
    char *text;
    size_t i;
    int rc;

    if (size > 4096 || !(text = malloc(size + 1)))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    avk_buf_init(&out);
    rc = avk_tts_flite_text(text, &out, &err);
    if (rc == 0) {
        for (i = 0; i < out.len; i++) {
            unsigned char c = (unsigned char)out.data[i];
            if (c >= 0x80 || (c < 0x20 && c != '\n' && c != ' '))
                abort();
        }
        if (out.len > 64 + size * 16)
            abort();
    } else if (!err.msg[0]) {
        abort();
    }
    avk_buf_release(&out);
    free(text);
    return 0;
}

#include "replay_main.h"
