/*
 * replay_main.h - a main() that turns a libFuzzer target into a plain
 * program: every file named on the command line is read and handed to
 * LLVMFuzzerTestOneInput once.  Include it at the end of a fuzz target;
 * it compiles to nothing when the target is built for libFuzzer (which
 * brings its own main and defines AVK_LIBFUZZER through tools/fuzz.sh).
 *
 * Exit status: 0 when every input ran, 2 when a file could not be read.
 * A bug shows as a crash or a sanitizer report, as under libFuzzer.
 */
#ifndef AVK_LIBFUZZER
#include <stdio.h>

#include "buf.h"
#include "fsutil.h"

int main(int argc, char **argv)
{
    int i, status = 0;

    for (i = 1; i < argc; i++) {
        avk_buf b;
        avk_err err;

        avk_buf_init(&b);
        if (avk_read_file(argv[i], &b, &err) != 0) {
            fprintf(stderr, "replay: %s\n", err.msg);
            status = 2;
        } else {
            LLVMFuzzerTestOneInput((const uint8_t *)(b.data ? b.data : ""),
                                   b.len);
        }
        avk_buf_release(&b);
    }
    return status;
}
#endif
