/*
 * fuzz_replay_feed.c - the feed fuzz target as a plain program, for
 * tests/90-fuzz-regress.t: `fuzz_replay_feed FILE...` parses and ranks each
 * file the way the fuzzer does (main comes from tests/fuzz/replay_main.h).
 */
#include "../fuzz/fuzz_feed.c" /* NOLINT(bugprone-suspicious-include) */
