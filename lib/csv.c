/*
 * csv.c - a small RFC 4180 reader (see csv.h).
 */
#include "csv.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

static int push_field(avk_csv_row *row, avk_buf *field)
{
    char **nf = realloc(row->f, (row->n + 1) * sizeof *row->f);
    char *s;

    if (!nf)
        return AVK_EX_OSERR;
    row->f = nf;
    s = avk_buf_detach(field);
    if (!s)
        return AVK_EX_OSERR;
    row->f[row->n++] = s;
    return 0;
}

int avk_csv_next(const char *text, size_t len, size_t *pos, avk_csv_row *row,
                 avk_err *err)
{
    avk_buf field;
    size_t i = *pos;
    int quoted = 0, rc = 0;

    row->f = NULL;
    row->n = 0;
    if (i >= len)
        return 1;
    avk_buf_init(&field);
    while (i < len) {
        char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < len && text[i + 1] == '"') {
                rc = avk_buf_addc(&field, '"');
                i += 2;
            } else if (c == '"') {
                quoted = 0;
                i++;
            } else {
                rc = avk_buf_addc(&field, c);
                i++;
            }
        } else if (c == '"' && field.len == 0) {
            quoted = 1;
            i++;
        } else if (c == ',') {
            rc = push_field(row, &field);
            i++;
        } else if (c == '\n' || c == '\r') {
            i += (c == '\r' && i + 1 < len && text[i + 1] == '\n') ? 2 : 1;
            break;
        } else {
            rc = avk_buf_addc(&field, c);
            i++;
        }
        if (rc)
            break;
    }
    if (rc == 0 && quoted)
        rc = avk_fail(err, AVK_EX_DATAERR, "unterminated quoted field");
    else if (rc == 0)
        rc = push_field(row, &field);
    else
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    avk_buf_release(&field);
    if (rc) {
        avk_csv_row_release(row);
        return rc;
    }
    *pos = i;
    return 0;
}

void avk_csv_row_release(avk_csv_row *row)
{
    size_t i;

    for (i = 0; i < row->n; i++)
        free(row->f[i]);
    free(row->f);
    row->f = NULL;
    row->n = 0;
}
