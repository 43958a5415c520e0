/*
 * fuzz_replay_text.c - the text fuzz target as a plain program, for
 * tests/90-fuzz-regress.t (main comes from tests/fuzz/replay_main.h).
 */
#include "../fuzz/fuzz_text.c" /* NOLINT(bugprone-suspicious-include) */
