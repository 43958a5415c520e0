/*
 * assets.c - content-addressed asset files (see assets.h).
 */
#include "assets.h"
#include "doc.h"
#include "fsutil.h"
#include "hash.h"
#include "workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *type, *ext;
} types[] = {
    {"audio/wav", "wav"},   {"audio/flac", "flac"},     {"audio/mpeg", "mp3"},
    {"audio/ogg", "ogg"},   {"audio/aac", "aac"},       {"image/png", "png"},
    {"image/jpeg", "jpg"},  {"image/webp", "webp"},     {"image/gif", "gif"},
    {"video/mp4", "mp4"},   {"video/quicktime", "mov"}, {"video/webm", "webm"},
    {"text/vtt", "vtt"},    {"application/x-subrip", "srt"},
    {"application/json", "json"}, {"text/plain", "txt"},
};

const char *avk_asset_ext(const char *type)
{
    size_t i;

    for (i = 0; i < sizeof types / sizeof *types; i++)
        if (!strcmp(types[i].type, type))
            return types[i].ext;
    return "bin";
}

const char *avk_asset_type_for(const char *filename)
{
    const char *dot = strrchr(filename, '.');
    size_t i;

    if (dot) {
        dot++;
        if (!strcasecmp(dot, "jpeg"))
            return "image/jpeg";
        for (i = 0; i < sizeof types / sizeof *types; i++)
            if (!strcasecmp(types[i].ext, dot))
                return types[i].type;
    }
    return "application/octet-stream";
}

static int fill(avk_asset *a, const char *sha, long long bytes,
                const char *type)
{
    memset(a, 0, sizeof *a);
    snprintf(a->sha256, sizeof a->sha256, "%s", sha);
    snprintf(a->type, sizeof a->type, "%s", type);
    a->bytes = bytes;
    snprintf(a->path, sizeof a->path, ".av/assets/%.2s/%s.%s", sha, sha,
             avk_asset_ext(type));
    return 0;
}

char *avk_asset_abspath(const char *ws_root, const avk_asset *a)
{
    return avk_path_join(ws_root, a->path);
}

int avk_asset_tmp_path(const char *ws_root, const char *ext, char **path,
                       avk_err *err)
{
    char *dir = avk_ws_path(ws_root, "assets/tmp");
    unsigned char rnd[8];
    char name[64];
    char hex[17];
    int rc;

    *path = NULL;
    if (!dir)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if ((rc = avk_mkdirs(dir, 0755, err))) {
        free(dir);
        return rc;
    }
    if (avk_random_bytes(rnd, sizeof rnd)) {
        free(dir);
        return avk_fail(err, AVK_EX_OSERR, "no randomness");
    }
    avk_hex(rnd, sizeof rnd, hex);
    snprintf(name, sizeof name, "%d-%s%s%s", (int)getpid(), hex,
             ext ? "." : "", ext ? ext : "");
    *path = avk_path_join(dir, name);
    free(dir);
    return *path ? 0 : avk_fail(err, AVK_EX_OSERR, "out of memory");
}

int avk_asset_adopt(const char *ws_root, const char *tmp_path,
                    const char *type, avk_asset *out, avk_err *err)
{
    char sha[AVK_SHA256_HEX];
    long long bytes = 0;
    char *dst, *dir;
    int rc;

    if (!tmp_path)
        return avk_fail(err, AVK_EX_SOFTWARE, "no temporary file");
    if ((rc = avk_sha256_file(tmp_path, sha, &bytes, err)))
        return rc;
    fill(out, sha, bytes, type);
    dst = avk_asset_abspath(ws_root, out);
    dir = dst ? avk_dirname(dst) : NULL;
    if (!dst || !dir) {
        free(dst);
        free(dir);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    rc = avk_mkdirs(dir, 0755, err);
    if (rc == 0) {
        chmod(tmp_path, 0644);
        if (avk_is_file(dst)) {
            unlink(tmp_path); /* identical content already there */
        } else if (rename(tmp_path, dst) != 0) {
            rc = avk_fail(err, AVK_EX_CANTCREAT, "cannot store asset '%s'",
                          out->path);
        } else {
            avk_fsync_dir(dir);
        }
    }
    free(dst);
    free(dir);
    return rc;
}

int avk_asset_import_file(const char *ws_root, const char *src,
                          const char *type, avk_asset *out, avk_err *err)
{
    char *tmp = NULL;
    int rc;

    if ((rc = avk_asset_tmp_path(ws_root, NULL, &tmp, err)))
        return rc;
    if (!tmp)
        return avk_fail(err, AVK_EX_SOFTWARE, "no temporary file");
    rc = avk_copy_file_atomic(src, tmp, 0644, err);
    if (rc == 0)
        rc = avk_asset_adopt(ws_root, tmp, type, out, err);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

int avk_asset_import_mem(const char *ws_root, const void *data, size_t len,
                         const char *type, avk_asset *out, avk_err *err)
{
    char *tmp = NULL;
    int rc;

    if ((rc = avk_asset_tmp_path(ws_root, NULL, &tmp, err)))
        return rc;
    if (!tmp)
        return avk_fail(err, AVK_EX_SOFTWARE, "no temporary file");
    rc = avk_write_file_atomic(tmp, data, len, 0644, err);
    if (rc == 0)
        rc = avk_asset_adopt(ws_root, tmp, type, out, err);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

int avk_asset_verify(const char *ws_root, const avk_asset *a, int full,
                     avk_err *err)
{
    char *p = avk_asset_abspath(ws_root, a);
    struct stat st;
    int rc = 0;

    if (!p)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = avk_fail(err, AVK_EX_NOINPUT, "asset '%s' is missing", a->path);
    } else if ((long long)st.st_size != a->bytes) {
        rc = avk_fail(err, AVK_EX_DATAERR,
                      "asset '%s' has %lld bytes, expected %lld", a->path,
                      (long long)st.st_size, a->bytes);
    } else if (full) {
        char sha[AVK_SHA256_HEX];
        rc = avk_sha256_file(p, sha, NULL, err);
        if (rc == 0 && strcmp(sha, a->sha256) != 0)
            rc = avk_fail(err, AVK_EX_DATAERR, "asset '%s' is corrupt",
                          a->path);
    }
    free(p);
    return rc;
}

json_t *avk_asset_to_json(const avk_asset *a)
{
    return json_pack("{s:s, s:s, s:I, s:s}", "path", a->path, "sha256",
                     a->sha256, "bytes", (json_int_t)a->bytes, "type",
                     a->type);
}

int avk_asset_from_json(const json_t *v, const char *path, avk_asset *out,
                        avk_err *err)
{
    const char *p, *sha, *type;
    double bytes;
    int rc;

    memset(out, 0, sizeof *out);
    if (!json_is_object(v))
        return avk_fail(err, AVK_EX_DATAERR, "%s: expected an asset object",
                        path);
    if ((rc = avk_get_string(v, path, "path", &p, err)) ||
        (rc = avk_get_string(v, path, "sha256", &sha, err)) ||
        (rc = avk_get_number(v, path, "bytes", &bytes, err)) ||
        (rc = avk_get_string(v, path, "type", &type, err)))
        return rc;
    if (!avk_is_sha256_hex(sha))
        return avk_fail(err, AVK_EX_DATAERR, "%s.sha256: not a sha256", path);
    fill(out, sha, (long long)bytes, type);
    if (strcmp(out->path, p) != 0)
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s.path: '%s' does not match its sha256 and type",
                        path, p);
    return 0;
}
