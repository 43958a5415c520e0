/*
 * fuzz_replay_http.c - the http fuzz target as a plain program, for
 * tests/90-fuzz-regress.t (main comes from tests/fuzz/replay_main.h).
 */
#include "../fuzz/fuzz_http.c" /* NOLINT(bugprone-suspicious-include) */
