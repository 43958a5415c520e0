/*
 * fuzz_replay_doc.c - the document fuzz target as a plain program, for
 * tests/90-fuzz-regress.t (main comes from tests/fuzz/replay_main.h).
 */
#include "../fuzz/fuzz_doc.c" /* NOLINT(bugprone-suspicious-include) */
