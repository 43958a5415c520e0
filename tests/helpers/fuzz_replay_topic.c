/*
 * fuzz_replay_topic.c - the script-writer fuzz target as a plain program,
 * for tests/90-fuzz-regress.t (main comes from tests/fuzz/replay_main.h).
 */
#include "../fuzz/fuzz_topic.c" /* NOLINT(bugprone-suspicious-include) */
