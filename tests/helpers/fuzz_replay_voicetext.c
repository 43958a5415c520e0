/*
 * fuzz_replay_voicetext.c - the voice-text fuzz target as a plain program,
 * for tests/90-fuzz-regress.t (main comes from tests/fuzz/replay_main.h).
 */
#include "../fuzz/fuzz_voicetext.c" /* NOLINT(bugprone-suspicious-include) */
