/*
 * wav16k - convert any audio file to 16 kHz mono 16-bit WAV, the input
 * speech recognisers expect: wav16k IN OUT.wav.  Decoding and
 * resampling are lib/audio.c's (libavformat + libswresample).  Exits 0,
 * or the library's exit code with its message on stderr.
 */
#include <stdio.h>

#include "audio.h"

int main(int argc, char **argv)
{
    avk_pcm p;
    avk_err err = {0, ""};
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: wav16k IN OUT.wav\n");
        return AVK_EX_USAGE;
    }
    avk_pcm_init(&p);
    rc = avk_audio_decode(argv[1], 16000, 1, &p, &err);
    if (!rc)
        rc = avk_audio_write_wav(argv[2], &p, &err);
    if (rc)
        fprintf(stderr, "wav16k: %s\n", err.msg);
    avk_pcm_release(&p);
    return rc;
}
