/*
 * fuzz_replay_bundle.c - the bundle fuzz target as a plain program, for
 * tests/90-fuzz-regress.t: `fuzz_replay_bundle FILE...` imports each file
 * the way the fuzzer does (main comes from tests/fuzz/replay_main.h).
 */
#include "../fuzz/fuzz_bundle.c" /* NOLINT(bugprone-suspicious-include) */
