/*
 * csv.h - RFC 4180 CSV rows (quoted fields, doubled quotes, CRLF), for
 * the batch input users keep in a spreadsheet.
 */
#ifndef AVK_CSV_H
#define AVK_CSV_H

#include <stddef.h>

#include "err.h"

typedef struct avk_csv_row {
    char **f;
    size_t n;
} avk_csv_row;

/* Parse the next row starting at *pos in text (len bytes); advances *pos.
 * Returns 0 with row filled, AVK_STMT-like 1 at end of input, or an error
 * (unterminated quote).  Free the row with avk_csv_row_release. */
int avk_csv_next(const char *text, size_t len, size_t *pos, avk_csv_row *row,
                 avk_err *err);
void avk_csv_row_release(avk_csv_row *row);

#endif
