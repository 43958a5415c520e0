/*
 * fuzz_replay_image.c - the image fuzz target as a plain program, for
 * tests/90-fuzz-regress.t (main comes from tests/fuzz/replay_main.h).
 */
#include "../fuzz/fuzz_image.c" /* NOLINT(bugprone-suspicious-include) */
