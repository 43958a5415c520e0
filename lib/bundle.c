/*
 * bundle.c - project export/import archives (see bundle.h).
 *
 * Export streams the manifest, the document and every asset into a gzip'ed
 * pax/ustar archive written to a temporary file beside the target, hashing
 * each asset on the way; the temporary file is renamed into place only when
 * everything matched.
 *
 * Import treats the archive as hostile.  It reads entries with libarchive
 * (tar, optionally gzip'ed; nothing else), and refuses anything that is not
 * a plain regular file with a safe, canonical, content-addressed name
 * listed in the manifest (harmless directory entries for the asset tree
 * are skipped).  Every asset is extracted to a fresh temporary file in
 * W/.av/assets/tmp/ and verified there; only when the whole archive has
 * been read and checked are the files hard-linked into place (linkat never
 * replaces an existing name, so an existing asset is never clobbered).  All
 * file-system access below W/.av goes through directory descriptors opened
 * with O_NOFOLLOW, so a planted symlink cannot redirect a write.  Whatever
 * fails, cleanup() removes exactly what this import created.
 *
 * Invariants:
 *   - struct imp records every file and directory the moment it is
 *     created, before anything else can fail, so cleanup() is complete.
 *   - Nothing outside W/.av/assets is created, and nothing there that
 *     existed before is modified or removed.
 */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "buf.h"
#include "fsutil.h"
#include "hash.h"

#define MANIFEST_NAME "manifest.json"
#define DOCUMENT_NAME "document.json"
#define ASSET_PREFIX ".av/assets/"
#define ASSET_PREFIX_LEN (sizeof ASSET_PREFIX - 1)
#define MAX_EXT 10       /* characters of an asset's extension */
#define MAX_NAME 255     /* characters of any entry name */
#define CHUNK 65536

void avk_bundle_limits_default(avk_bundle_limits *lim)
{
    lim->max_entry = 2LL << 30;
    lim->max_total = 16LL << 30;
    lim->max_document = 16LL << 20;
    lim->max_manifest = 4LL << 20;
    lim->max_entries = 20000;
}

void avk_bundle_import_init(struct avk_bundle_import *imp)
{
    imp->doc_json = NULL;
    imp->asset_paths = NULL;
    imp->nassets = 0;
}

void avk_bundle_import_release(struct avk_bundle_import *imp)
{
    size_t i;

    if (!imp)
        return;
    for (i = 0; i < imp->nassets; i++)
        free(imp->asset_paths[i]);
    free(imp->asset_paths);
    free(imp->doc_json);
    avk_bundle_import_init(imp);
}

/* ------------------------------------------------------------------ */
/* Names                                                                */

static int is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/*
 * Is path exactly ".av/assets/ab/<64 hex>.<ext>" with ab the first two
 * digits and ext 1..MAX_EXT of [a-z0-9]?  Copies the digest into sha.
 */
static int asset_name_ok(const char *path, char sha[AVK_SHA256_HEX])
{
    const char *shard, *leaf, *ext;
    size_t i;

    if (strncmp(path, ASSET_PREFIX, ASSET_PREFIX_LEN) != 0)
        return 0;
    shard = path + ASSET_PREFIX_LEN;
    if (!is_lower_hex(shard[0]) || !is_lower_hex(shard[1]) || shard[2] != '/')
        return 0;
    leaf = shard + 3;
    for (i = 0; i < 64; i++)
        if (!is_lower_hex(leaf[i]))
            return 0;
    if (leaf[0] != shard[0] || leaf[1] != shard[1] || leaf[64] != '.')
        return 0;
    ext = leaf + 65;
    for (i = 0; ext[i]; i++)
        if (i >= MAX_EXT || !((ext[i] >= 'a' && ext[i] <= 'z') ||
                              (ext[i] >= '0' && ext[i] <= '9')))
            return 0;
    if (i == 0)
        return 0;
    memcpy(sha, leaf, 64);
    sha[64] = '\0';
    return 1;
}

/* A printable, bounded copy of an untrusted name for messages. */
static const char *show(const char *name, char out[160])
{
    size_t i, o = 0;

    if (!name)
        return "(unnamed)";
    for (i = 0; name[i] && o < 150; i++)
        out[o++] = (name[i] >= 0x20 && name[i] < 0x7f) ? name[i] : '?';
    if (name[i])
        out[o++] = '.', out[o++] = '.', out[o++] = '.';
    out[o] = '\0';
    return out;
}

/*
 * Generic path safety, for a clear message before the stricter name
 * checks: NULL when acceptable, else why not.  A directory entry may end
 * in one '/'.
 */
static const char *path_problem(const char *p, int is_dir)
{
    size_t len, i, start = 0;

    if (!p || !*p)
        return "empty name";
    len = strlen(p);
    if (len > MAX_NAME)
        return "name too long";
    if (p[0] == '/')
        return "absolute path";
    for (i = 0; i < len; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
            return "control character or backslash in name";
    if (is_dir && len > 1 && p[len - 1] == '/')
        len--;
    for (i = 0; i <= len; i++) {
        if (i < len && p[i] != '/')
            continue;
        if (i == start)
            return "empty path component";
        if (i - start == 2 && p[start] == '.' && p[start + 1] == '.')
            return "'..' path component";
        if (i - start == 1 && p[start] == '.')
            return "'.' path component";
        start = i + 1;
    }
    return NULL;
}

/* Asset-tree directories a bundle may carry: .av .av/assets .av/assets/ab */
static int allowed_dir(const char *p)
{
    size_t len = strlen(p);

    if (len && p[len - 1] == '/')
        len--;
    if ((len == 3 && !strncmp(p, ".av", 3)) ||
        (len == ASSET_PREFIX_LEN - 1 &&
         !strncmp(p, ASSET_PREFIX, ASSET_PREFIX_LEN - 1)))
        return 1;
    return len == ASSET_PREFIX_LEN + 2 &&
           !strncmp(p, ASSET_PREFIX, ASSET_PREFIX_LEN) &&
           is_lower_hex(p[ASSET_PREFIX_LEN]) &&
           is_lower_hex(p[ASSET_PREFIX_LEN + 1]);
}

static int random_name(const char *prefix, char out[40])
{
    unsigned char rnd[8];
    char hex[17];

    if (avk_random_bytes(rnd, sizeof rnd))
        return -1;
    avk_hex(rnd, sizeof rnd, hex);
    snprintf(out, 40, "%s%s", prefix, hex);
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Open dir/name as a directory without following a symlink there.  Fails
 * with errno ELOOP when name is a symlink (Linux says ENOTDIR for a
 * symlink to a directory).
 */
static int open_dir_at(int dirfd, const char *name)
{
    struct stat st;
    int fd = openat(dirfd, name,
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 && errno == ENOTDIR) {
        int link = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                   S_ISLNK(st.st_mode);
        errno = link ? ELOOP : ENOTDIR;
    }
    return fd;
}

/* Is text one JSON object?  (The document module does the real checks.) */
static int is_json_object(const char *text, size_t len)
{
    json_t *j;
    int ok;

    if (memchr(text, '\0', len))
        return 0;
    j = json_loadb(text, len, 0, NULL);
    ok = json_is_object(j);
    json_decref(j);
    return ok;
}

/* ------------------------------------------------------------------ */
/* Export                                                               */

struct ex_item {
    const avk_bundle_asset *a;
    size_t index;
    int skip; /* a repeat of an earlier item */
};

static int ex_item_cmp(const void *x, const void *y)
{
    const struct ex_item *a = x, *b = y;
    int c = strcmp(a->a->path, b->a->path);

    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Check every asset's name and hash, and mark repeats to be skipped. */
static int ex_check_assets(const avk_bundle_asset *assets, size_t n,
                           struct ex_item **itemsp, avk_err *err)
{
    struct ex_item *items, *sorted;
    char sha[AVK_SHA256_HEX], q[160];
    size_t i;

    *itemsp = NULL;
    if (n == 0)
        return 0;
    items = calloc(n, sizeof *items);
    sorted = calloc(n, sizeof *sorted);
    if (!items || !sorted) {
        free(items);
        free(sorted);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    for (i = 0; i < n; i++) {
        const avk_bundle_asset *a = &assets[i];

        if (!a->path || !a->sha256 || !asset_name_ok(a->path, sha) ||
            strcmp(sha, a->sha256) != 0 || a->bytes < 0) {
            free(items);
            free(sorted);
            return avk_fail(err, AVK_EX_DATAERR,
                            "asset '%s': not a content-addressed asset path "
                            "with a matching sha256 and size",
                            show(a->path, q));
        }
        items[i].a = a;
        items[i].index = i;
    }
    memcpy(sorted, items, n * sizeof *items);
    qsort(sorted, n, sizeof *sorted, ex_item_cmp);
    for (i = 1; i < n; i++) {
        if (strcmp(sorted[i].a->path, sorted[i - 1].a->path) != 0)
            continue;
        if (sorted[i].a->bytes != sorted[i - 1].a->bytes) {
            int rc = avk_fail(err, AVK_EX_DATAERR,
                              "asset '%s' listed twice with different sizes",
                              sorted[i].a->path);
            free(items);
            free(sorted);
            return rc;
        }
        items[sorted[i].index].skip = 1;
    }
    free(sorted);
    *itemsp = items;
    return 0;
}

static char *ex_manifest(const struct ex_item *items, size_t n,
                         const char *created)
{
    json_t *m = json_object(), *arr = json_array();
    char *text = NULL;
    size_t i;
    int bad = !m || !arr;

    if (!bad)
        bad = json_object_set_new(m, "bundle", json_integer(1)) ||
              json_object_set_new(m, "created", json_string(created)) ||
              json_object_set_new(m, "document", json_string(DOCUMENT_NAME));
    for (i = 0; !bad && i < n; i++) {
        json_t *o;

        if (items[i].skip)
            continue;
        o = json_pack("{s:s,s:s,s:I}", "path", items[i].a->path, "sha256",
                      items[i].a->sha256, "bytes",
                      (json_int_t)items[i].a->bytes);
        bad = !o || json_array_append_new(arr, o);
    }
    if (!bad) {
        bad = json_object_set(m, "assets", arr) != 0;
        if (!bad)
            text = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    json_decref(arr);
    json_decref(m);
    return text;
}

static int ex_arc_fail(struct archive *a, const char *out_path, avk_err *err)
{
    const char *msg = archive_error_string(a);

    return avk_fail(err, AVK_EX_IOERR, "cannot write bundle '%s': %s",
                    out_path, msg ? msg : "archive error");
}

static int ex_header(struct archive *a, const char *name, long long size,
                     time_t mtime, const char *out_path, avk_err *err)
{
    struct archive_entry *e = archive_entry_new();
    int r;

    if (!e)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, mtime, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    r = archive_write_header(a, e);
    archive_entry_free(e);
    return r == ARCHIVE_OK ? 0 : ex_arc_fail(a, out_path, err);
}

static int ex_text(struct archive *a, const char *name, const char *text,
                   time_t mtime, const char *out_path, avk_err *err)
{
    size_t len = strlen(text);
    int rc = ex_header(a, name, (long long)len, mtime, out_path, err);

    if (rc)
        return rc;
    if (archive_write_data(a, text, len) != (la_ssize_t)len)
        return ex_arc_fail(a, out_path, err);
    return 0;
}

/* Stream one asset from the workspace into the archive, verifying it. */
static int ex_asset(struct archive *a, int assetsfd, const avk_bundle_asset *as,
                    time_t mtime, const char *ws_root, const char *out_path,
                    char *chunk, avk_err *err)
{
    const char *rel = as->path + ASSET_PREFIX_LEN; /* "ab/<leaf>" */
    char shard[3] = {rel[0], rel[1], '\0'};
    char hex[AVK_SHA256_HEX];
    struct stat st;
    avk_sha256 *h = NULL;
    long long left = as->bytes;
    int sfd, fd, rc = 0;

    sfd = open_dir_at(assetsfd, shard);
    fd = sfd < 0 ? -1
                 : openat(sfd, rel + 3,
                          O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (sfd >= 0)
            close(sfd);
        return avk_fail(err, e == ENOENT ? AVK_EX_NOINPUT : AVK_EX_DATAERR,
                        "cannot open asset '%s/%s': %s", ws_root, as->path,
                        e == ELOOP ? "is a symbolic link" : strerror(e));
    }
    close(sfd);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return avk_fail(err, AVK_EX_DATAERR,
                        "asset '%s/%s' is not a regular file", ws_root,
                        as->path);
    }
    if ((long long)st.st_size != as->bytes) {
        close(fd);
        return avk_fail(err, AVK_EX_DATAERR,
                        "asset '%s/%s' has changed: %lld bytes, expected %lld",
                        ws_root, as->path, (long long)st.st_size, as->bytes);
    }
    h = avk_sha256_new();
    if (!h) {
        close(fd);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    rc = ex_header(a, as->path, as->bytes, mtime, out_path, err);
    while (!rc && left > 0) {
        size_t want = left < CHUNK ? (size_t)left : CHUNK;
        ssize_t got = read(fd, chunk, want);

        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = avk_fail(err, AVK_EX_IOERR, "cannot read asset '%s/%s': %s",
                          ws_root, as->path, strerror(errno));
        else if (got == 0)
            rc = avk_fail(err, AVK_EX_DATAERR,
                          "asset '%s/%s' shrank while being exported",
                          ws_root, as->path);
        else if (avk_sha256_update(h, chunk, (size_t)got))
            rc = avk_fail(err, AVK_EX_SOFTWARE, "sha256 failed");
        else if (archive_write_data(a, chunk, (size_t)got) != got)
            rc = ex_arc_fail(a, out_path, err);
        else
            left -= got;
    }
    close(fd);
    if (rc) {
        avk_sha256_free(h);
        return rc;
    }
    if (avk_sha256_final(h, hex))
        return avk_fail(err, AVK_EX_SOFTWARE, "sha256 failed");
    if (strcmp(hex, as->sha256) != 0)
        return avk_fail(err, AVK_EX_DATAERR,
                        "asset '%s/%s' has changed: its content no longer "
                        "matches its sha256",
                        ws_root, as->path);
    return 0;
}

static int ex_open_assets_dir(const char *ws_root, int *assetsfd,
                              avk_err *err)
{
    int wsfd, avfd, e;

    *assetsfd = -1;
    wsfd = open(ws_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (wsfd < 0)
        return avk_fail(err, AVK_EX_NOINPUT, "cannot open workspace '%s': %s",
                        ws_root, strerror(errno));
    avfd = open_dir_at(wsfd, ".av");
    e = errno;
    close(wsfd);
    if (avfd < 0)
        return avk_fail(err, AVK_EX_NOINPUT, "cannot open '%s/.av': %s",
                        ws_root,
                        e == ELOOP ? "is a symbolic link" : strerror(e));
    *assetsfd = open_dir_at(avfd, "assets");
    e = errno;
    close(avfd);
    if (*assetsfd < 0)
        return avk_fail(err, AVK_EX_NOINPUT, "cannot open '%s/.av/assets': %s",
                        ws_root,
                        e == ELOOP ? "is a symbolic link" : strerror(e));
    return 0;
}

int avk_bundle_export(const char *ws_root, const char *doc_json,
                      const avk_bundle_asset *assets, size_t n,
                      const char *out_path, avk_err *err)
{
    struct ex_item *items = NULL;
    struct archive *a = NULL;
    char created[32], *manifest = NULL, *chunk = NULL, *dir;
    avk_buf tmp;
    time_t now = time(NULL);
    int fd = -1, assetsfd = -1, rc;
    size_t i, tries;

    if (!ws_root || !doc_json || !out_path || (n && !assets))
        return avk_fail(err, AVK_EX_SOFTWARE, "bundle export: bad arguments");
    if (!is_json_object(doc_json, strlen(doc_json)))
        return avk_fail(err, AVK_EX_DATAERR,
                        "bundle '%s': the document is not a JSON object",
                        out_path);
    rc = ex_check_assets(assets, n, &items, err);
    if (rc)
        return rc;
    avk_buf_init(&tmp);
    avk_time_iso((long long)now, created);
    manifest = ex_manifest(items, n, created);
    chunk = malloc(CHUNK);
    if (!manifest || !chunk) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    if (n) {
        rc = ex_open_assets_dir(ws_root, &assetsfd, err);
        if (rc)
            goto out;
    }
    for (tries = 0; fd < 0 && tries < 16; tries++) {
        char rnd[40];

        avk_buf_reset(&tmp);
        if (random_name(".tmp-", rnd) ||
            avk_buf_printf(&tmp, "%s%s", out_path, rnd)) {
            avk_buf_reset(&tmp);
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            goto out;
        }
        fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        rc = avk_fail(err, AVK_EX_CANTCREAT, "cannot create '%s': %s",
                      out_path, strerror(errno));
        avk_buf_reset(&tmp); /* not ours: must not be removed */
        goto out;
    }
    a = archive_write_new();
    if (!a) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(a, fd) != ARCHIVE_OK) {
        rc = ex_arc_fail(a, out_path, err);
        goto out;
    }
    rc = ex_text(a, MANIFEST_NAME, manifest, now, out_path, err);
    if (!rc)
        rc = ex_text(a, DOCUMENT_NAME, doc_json, now, out_path, err);
    for (i = 0; !rc && i < n; i++)
        if (!items[i].skip)
            rc = ex_asset(a, assetsfd, items[i].a, now, ws_root, out_path,
                          chunk, err);
    if (rc)
        goto out;
    if (archive_write_close(a) != ARCHIVE_OK) {
        rc = ex_arc_fail(a, out_path, err);
        goto out;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        rc = avk_fail(err, AVK_EX_IOERR, "cannot write '%s': %s", out_path,
                      strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp.data, out_path) != 0) {
        rc = avk_fail(err, AVK_EX_CANTCREAT, "cannot create '%s': %s",
                      out_path, strerror(errno));
        goto out;
    }
    avk_buf_reset(&tmp); /* renamed: nothing to remove any more */
    dir = avk_dirname(out_path);
    if (dir) {
        avk_fsync_dir(dir);
        free(dir);
    }
out:
    if (a)
        archive_write_free(a);
    if (fd >= 0)
        close(fd);
    if (tmp.len)
        unlink(tmp.data);
    if (assetsfd >= 0)
        close(assetsfd);
    avk_buf_release(&tmp);
    free(chunk);
    free(manifest);
    free(items);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Import                                                               */

struct slot {
    char *path;              /* from the manifest */
    char sha[AVK_SHA256_HEX];
    long long bytes;
    int seen;                /* its entry was read and verified */
    char tmpname[40];        /* its file in tmp/, "" when none */
    int placed;              /* we created its final name */
};

struct imp {
    const avk_bundle_limits *lim;
    const char *label; /* the archive, for messages */
    const char *ws;
    avk_err *err;
    int avfd, assetsfd, tmpfd;
    int made_assets, made_tmp;
    unsigned char made_shard[256];
    struct slot *slots;
    struct slot **sorted; /* by path, for lookups */
    size_t nslots;
    int have_manifest;
    avk_buf doc;
    int have_doc;
    long long total;
    size_t nentries;
    char *chunk;
};

static int refuse(struct imp *im, const char *entry, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fail with "bundle 'A': entry 'E': <why>" (AVK_EX_DATAERR). */
static int refuse(struct imp *im, const char *entry, const char *fmt, ...)
{
    char why[512], q[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (entry)
        return avk_fail(im->err, AVK_EX_DATAERR, "bundle '%s': entry '%s': %s",
                        im->label, show(entry, q), why);
    return avk_fail(im->err, AVK_EX_DATAERR, "bundle '%s': %s", im->label,
                    why);
}

static int arc_refuse(struct imp *im, struct archive *a, const char *entry)
{
    const char *msg = archive_error_string(a);

    return refuse(im, entry, "%s", msg ? msg : "truncated or corrupt archive");
}

static int slot_cmp(const void *x, const void *y)
{
    const struct slot *const *a = x, *const *b = y;

    return strcmp((*a)->path, (*b)->path);
}

static struct slot *find_slot(struct imp *im, const char *path)
{
    struct slot key, *kp = &key, **hit;

    if (!im->nslots)
        return NULL;
    key.path = (char *)path;
    hit = bsearch(&kp, im->sorted, im->nslots, sizeof *im->sorted, slot_cmp);
    return hit ? *hit : NULL;
}

/* Read the current entry's data into b, which must not exceed size bytes. */
static int read_small(struct imp *im, struct archive *a, const char *name,
                      long long size, avk_buf *b)
{
    for (;;) {
        la_ssize_t got = archive_read_data(a, im->chunk, CHUNK);

        if (got < 0)
            return arc_refuse(im, a, name);
        if (got == 0)
            break;
        if (b->len + (size_t)got > (size_t)size) /* size >= 0 */
            return refuse(im, name, "more data than its header declares");
        if (avk_buf_add(b, im->chunk, (size_t)got))
            return avk_fail(im->err, AVK_EX_OSERR, "out of memory");
    }
    if ((long long)b->len != size)
        return refuse(im, name, "truncated");
    return 0;
}

static int parse_manifest(struct imp *im, const char *text, size_t len)
{
    json_error_t je;
    json_t *m, *assets, *v;
    size_t i, n;
    int rc = 0;

    m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!m)
        return refuse(im, MANIFEST_NAME, "not valid JSON: %s (line %d)",
                      je.text, je.line);
    v = json_object_get(m, "bundle");
    assets = json_object_get(m, "assets");
    if (!json_is_object(m))
        rc = refuse(im, MANIFEST_NAME, "not a JSON object");
    else if (!json_is_integer(v) || json_integer_value(v) != 1)
        rc = refuse(im, MANIFEST_NAME, "unsupported bundle version");
    else if (!json_is_string(json_object_get(m, "document")) ||
             strcmp(json_string_value(json_object_get(m, "document")),
                    DOCUMENT_NAME) != 0)
        rc = refuse(im, MANIFEST_NAME, "\"document\" must be \"%s\"",
                    DOCUMENT_NAME);
    else if ((v = json_object_get(m, "created")) && !json_is_string(v))
        rc = refuse(im, MANIFEST_NAME, "\"created\" is not a string");
    else if (!json_is_array(assets))
        rc = refuse(im, MANIFEST_NAME, "\"assets\" is not an array");
    else if (json_array_size(assets) > im->lim->max_entries)
        rc = refuse(im, MANIFEST_NAME, "too many assets (more than %zu)",
                    im->lim->max_entries);
    if (rc) {
        json_decref(m);
        return rc;
    }
    n = json_array_size(assets);
    if (n) {
        im->slots = calloc(n, sizeof *im->slots);
        im->sorted = calloc(n, sizeof *im->sorted);
        if (!im->slots || !im->sorted) {
            json_decref(m);
            return avk_fail(im->err, AVK_EX_OSERR, "out of memory");
        }
    }
    for (i = 0; i < n && !rc; i++) {
        json_t *o = json_array_get(assets, i);
        json_t *p = json_object_get(o, "path");
        json_t *s = json_object_get(o, "sha256");
        json_t *b = json_object_get(o, "bytes");
        struct slot *sl = &im->slots[i];
        char q[160];

        if (!json_is_object(o) || !json_is_string(p) || !json_is_string(s) ||
            !json_is_integer(b)) {
            rc = refuse(im, MANIFEST_NAME,
                        "asset %zu needs \"path\", \"sha256\" and \"bytes\"",
                        i);
            break;
        }
        if (path_problem(json_string_value(p), 0) ||
            !asset_name_ok(json_string_value(p), sl->sha)) {
            rc = refuse(im, MANIFEST_NAME,
                        "asset path '%s' is not a content-addressed asset "
                        "name",
                        show(json_string_value(p), q));
            break;
        }
        if (strcmp(sl->sha, json_string_value(s)) != 0) {
            rc = refuse(im, MANIFEST_NAME,
                        "asset '%s': sha256 does not match its name",
                        json_string_value(p));
            break;
        }
        if (json_integer_value(b) < 0 ||
            json_integer_value(b) > im->lim->max_entry) {
            rc = refuse(im, MANIFEST_NAME,
                        "asset '%s': %lld bytes is over the size limit of "
                        "%lld",
                        json_string_value(p),
                        (long long)json_integer_value(b), im->lim->max_entry);
            break;
        }
        sl->path = strdup(json_string_value(p));
        if (!sl->path) {
            rc = avk_fail(im->err, AVK_EX_OSERR, "out of memory");
            break;
        }
        sl->bytes = (long long)json_integer_value(b);
        im->sorted[i] = sl;
        im->nslots = i + 1;
    }
    json_decref(m);
    if (rc)
        return rc;
    if (im->nslots > 1)
        qsort(im->sorted, im->nslots, sizeof *im->sorted, slot_cmp);
    for (i = 1; i < im->nslots; i++)
        if (!strcmp(im->sorted[i]->path, im->sorted[i - 1]->path))
            return refuse(im, MANIFEST_NAME, "asset '%s' listed twice",
                          im->sorted[i]->path);
    return 0;
}

/* Create (if needed) and open W/.av/assets and W/.av/assets/tmp. */
static int ensure_tmp(struct imp *im)
{
    static const char *const names[2] = {"assets", "tmp"};
    int *fds[2] = {&im->assetsfd, &im->tmpfd};
    int *made[2] = {&im->made_assets, &im->made_tmp};
    int i;

    for (i = 0; i < 2; i++) {
        int parent = i ? im->assetsfd : im->avfd;

        if (*fds[i] >= 0)
            continue;
        *fds[i] = open_dir_at(parent, names[i]);
        if (*fds[i] < 0 && errno == ENOENT) {
            if (mkdirat(parent, names[i], 0755) == 0)
                *made[i] = 1;
            else if (errno != EEXIST)
                return avk_fail(im->err, AVK_EX_CANTCREAT,
                                "cannot create directory '%s/.av/%s%s': %s",
                                im->ws, i ? "assets/" : "", names[i],
                                strerror(errno));
            *fds[i] = open_dir_at(parent, names[i]);
        }
        if (*fds[i] < 0)
            return avk_fail(im->err, AVK_EX_CANTCREAT,
                            "cannot open directory '%s/.av/%s%s': %s", im->ws,
                            i ? "assets/" : "", names[i],
                            errno == ELOOP ? "is a symbolic link"
                                           : strerror(errno));
    }
    return 0;
}

/* Extract the current entry (an asset listed as sl) to a verified temp. */
static int extract_asset(struct imp *im, struct archive *a, struct slot *sl)
{
    char hex[AVK_SHA256_HEX];
    avk_sha256 *h;
    long long got_total = 0;
    int fd = -1, rc, tries;

    rc = ensure_tmp(im);
    if (rc)
        return rc;
    for (tries = 0; fd < 0 && tries < 16; tries++) {
        if (random_name("import-", sl->tmpname))
            return avk_fail(im->err, AVK_EX_OSERR, "no random numbers");
        fd = openat(im->tmpfd, sl->tmpname,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        sl->tmpname[0] = '\0';
        return avk_fail(im->err, AVK_EX_CANTCREAT,
                        "cannot create a file in '%s/.av/assets/tmp': %s",
                        im->ws, strerror(errno));
    }
    h = avk_sha256_new();
    if (!h) {
        close(fd);
        return avk_fail(im->err, AVK_EX_OSERR, "out of memory");
    }
    for (;;) {
        la_ssize_t got = archive_read_data(a, im->chunk, CHUNK);

        if (got < 0) {
            rc = arc_refuse(im, a, sl->path);
            break;
        }
        if (got == 0)
            break;
        got_total += got;
        if (got_total > sl->bytes) {
            rc = refuse(im, sl->path, "more data than its header declares");
            break;
        }
        if (avk_sha256_update(h, im->chunk, (size_t)got)) {
            rc = avk_fail(im->err, AVK_EX_SOFTWARE, "sha256 failed");
            break;
        }
        if (write_all(fd, im->chunk, (size_t)got) != 0) {
            rc = avk_fail(im->err, AVK_EX_IOERR,
                          "cannot write to '%s/.av/assets/tmp': %s", im->ws,
                          strerror(errno));
            break;
        }
    }
    if (!rc && got_total != sl->bytes)
        rc = refuse(im, sl->path, "truncated");
    if (!rc && fsync(fd) != 0)
        rc = avk_fail(im->err, AVK_EX_IOERR,
                      "cannot sync '%s/.av/assets/tmp': %s", im->ws,
                      strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = avk_fail(im->err, AVK_EX_IOERR,
                      "cannot write to '%s/.av/assets/tmp': %s", im->ws,
                      strerror(errno));
    if (rc) {
        avk_sha256_free(h);
        return rc;
    }
    if (avk_sha256_final(h, hex))
        return avk_fail(im->err, AVK_EX_SOFTWARE, "sha256 failed");
    if (strcmp(hex, sl->sha) != 0)
        return refuse(im, sl->path, "content does not match its sha256 "
                                    "(it hashes to %s)",
                      hex);
    sl->seen = 1;
    return 0;
}

/* Check one header; sets *kind to 'm'anifest, 'd'ocument, 'a'sset or
 * 'D'irectory (skipped). */
static int check_header(struct imp *im, struct archive_entry *e, char *kind)
{
    const char *name = archive_entry_pathname(e);
    mode_t type = archive_entry_filetype(e);
    mode_t perm = archive_entry_perm(e);
    long long size = archive_entry_size(e);
    const char *why;

    if (archive_entry_hardlink(e))
        return refuse(im, name, "hard links are not allowed");
    if (archive_entry_symlink(e) || type == AE_IFLNK)
        return refuse(im, name, "symbolic links are not allowed");
    if (type == AE_IFCHR || type == AE_IFBLK)
        return refuse(im, name, "device files are not allowed");
    if (type == AE_IFIFO)
        return refuse(im, name, "FIFOs are not allowed");
    if (type != AE_IFREG && type != AE_IFDIR)
        return refuse(im, name, "only regular files are allowed");
    why = path_problem(name, type == AE_IFDIR);
    if (why)
        return refuse(im, name, "unsafe name: %s", why);
    if (perm & (S_ISUID | S_ISGID | S_ISVTX))
        return refuse(im, name, "odd mode %04o", (unsigned)perm);
    if (type == AE_IFDIR) {
        if (!allowed_dir(name))
            return refuse(im, name, "unexpected directory");
        if (perm & (S_IWGRP | S_IWOTH))
            return refuse(im, name, "odd directory mode %04o", (unsigned)perm);
        *kind = 'D';
        return 0;
    }
    if (archive_entry_sparse_count(e) > 0)
        return refuse(im, name, "sparse files are not allowed");
    if (!archive_entry_size_is_set(e) || size < 0)
        return refuse(im, name, "no size");
    if (!strcmp(name, MANIFEST_NAME))
        *kind = 'm';
    else if (!strcmp(name, DOCUMENT_NAME))
        *kind = 'd';
    else if (!strncmp(name, ASSET_PREFIX, ASSET_PREFIX_LEN))
        *kind = 'a';
    else
        return refuse(im, name, "not below '%s' and not a bundle file",
                      ASSET_PREFIX);
    if (*kind == 'm' ? size > im->lim->max_manifest
        : *kind == 'd' ? size > im->lim->max_document
                       : size > im->lim->max_entry)
        return refuse(im, name, "%lld bytes is over the size limit", size);
    im->total += size;
    if (im->total > im->lim->max_total)
        return refuse(im, name, "the archive's contents exceed %lld bytes",
                      im->lim->max_total);
    return 0;
}

/* Is the archive tar, plain or gzip'ed once? */
static int check_format(struct imp *im, struct archive *a)
{
    int i, nf = archive_filter_count(a), gz = 0;

    if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_TAR)
        return refuse(im, NULL, "not a tar archive");
    for (i = 0; i < nf; i++) {
        int code = archive_filter_code(a, i);

        if (code == ARCHIVE_FILTER_GZIP)
            gz++;
        else if (code != ARCHIVE_FILTER_NONE)
            return refuse(im, NULL, "unsupported compression");
    }
    if (gz > 1)
        return refuse(im, NULL, "nested compression is not allowed");
    return 0;
}

static int read_entries(struct imp *im, struct archive *a)
{
    struct archive_entry *e;
    avk_buf mbuf;
    int r, rc = 0;

    avk_buf_init(&mbuf);
    while (!rc) {
        const char *name;
        char kind = 0;
        struct slot *sl;

        r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK) {
            if (im->nentries == 0)
                rc = refuse(im, NULL, "not a tar or tar.gz archive: %s",
                            archive_error_string(a)
                                ? archive_error_string(a)
                                : "unreadable");
            else
                rc = arc_refuse(im, a, NULL);
            break;
        }
        if (++im->nentries == 1 && (rc = check_format(im, a)) != 0)
            break;
        if (im->nentries > im->lim->max_entries) {
            rc = refuse(im, NULL, "too many entries (more than %zu)",
                        im->lim->max_entries);
            break;
        }
        rc = check_header(im, e, &kind);
        if (rc)
            break;
        name = archive_entry_pathname(e);
        if (im->nentries == 1 && kind != 'm') {
            rc = refuse(im, name, "'%s' must be the first entry",
                        MANIFEST_NAME);
            break;
        }
        switch (kind) {
        case 'D':
            break;
        case 'm':
            if (im->have_manifest) {
                rc = refuse(im, name, "duplicate entry");
                break;
            }
            im->have_manifest = 1;
            rc = read_small(im, a, name, archive_entry_size(e), &mbuf);
            if (!rc)
                rc = parse_manifest(im, mbuf.data ? mbuf.data : "", mbuf.len);
            break;
        case 'd':
            if (im->have_doc) {
                rc = refuse(im, name, "duplicate entry");
                break;
            }
            im->have_doc = 1;
            rc = read_small(im, a, name, archive_entry_size(e), &im->doc);
            if (!rc && !is_json_object(im->doc.data ? im->doc.data : "",
                                       im->doc.len))
                rc = refuse(im, name, "not a JSON object");
            break;
        default:
            sl = find_slot(im, name);
            if (!sl) {
                char sha[AVK_SHA256_HEX];
                rc = refuse(im, name, asset_name_ok(name, sha)
                                          ? "not listed in the manifest"
                                          : "not a content-addressed asset "
                                            "name");
            } else if (sl->seen || sl->tmpname[0])
                rc = refuse(im, name, "duplicate entry");
            else if (archive_entry_size(e) != sl->bytes)
                rc = refuse(im, name,
                            "size %lld does not match the manifest's %lld",
                            (long long)archive_entry_size(e), sl->bytes);
            else
                rc = extract_asset(im, a, sl);
            break;
        }
    }
    avk_buf_release(&mbuf);
    if (rc)
        return rc;
    if (!im->have_manifest)
        return refuse(im, NULL, "empty archive: no '%s'", MANIFEST_NAME);
    if (!im->have_doc)
        return refuse(im, NULL, "no '%s'", DOCUMENT_NAME);
    {
        size_t i;
        for (i = 0; i < im->nslots; i++)
            if (!im->slots[i].seen)
                return refuse(im, im->slots[i].path,
                              "listed in the manifest but missing from the "
                              "archive");
    }
    return 0;
}

/* Hash an existing regular file at dirfd/name: is it exactly sl? */
static int existing_matches(struct imp *im, int dirfd, const char *name,
                            const struct slot *sl)
{
    char hex[AVK_SHA256_HEX];
    struct stat st;
    avk_sha256 *h;
    int fd, ok = 0;

    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (long long)st.st_size != sl->bytes || !(h = avk_sha256_new())) {
        close(fd);
        return 0;
    }
    for (;;) {
        ssize_t got = read(fd, im->chunk, CHUNK);

        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            ok = got == 0;
            break;
        }
        if (avk_sha256_update(h, im->chunk, (size_t)got))
            break;
    }
    close(fd);
    if (!ok) {
        avk_sha256_free(h);
        return 0;
    }
    return avk_sha256_final(h, hex) == 0 && !strcmp(hex, sl->sha);
}

static int shard_index(const struct slot *sl)
{
    static const char digits[] = "0123456789abcdef";
    const char *s = sl->path + ASSET_PREFIX_LEN;

    return (int)((strchr(digits, s[0]) - digits) * 16 +
                 (strchr(digits, s[1]) - digits));
}

/* Move every verified temp file to its content-addressed name. */
static int place_assets(struct imp *im)
{
    size_t i;

    for (i = 0; i < im->nslots; i++) {
        struct slot *sl = &im->slots[i];
        const char *rel = sl->path + ASSET_PREFIX_LEN;
        char shard[3] = {rel[0], rel[1], '\0'};
        int sfd, rc = 0;

        sfd = open_dir_at(im->assetsfd, shard);
        if (sfd < 0 && errno == ENOENT) {
            if (mkdirat(im->assetsfd, shard, 0755) == 0)
                im->made_shard[shard_index(sl)] = 1;
            else if (errno != EEXIST)
                return avk_fail(im->err, AVK_EX_CANTCREAT,
                                "cannot create directory '%s/.av/assets/%s': "
                                "%s",
                                im->ws, shard, strerror(errno));
            sfd = open_dir_at(im->assetsfd, shard);
        }
        if (sfd < 0)
            return avk_fail(im->err, AVK_EX_CANTCREAT,
                            "cannot open directory '%s/.av/assets/%s': %s",
                            im->ws, shard,
                            errno == ELOOP ? "is a symbolic link"
                                           : strerror(errno));
        if (linkat(im->tmpfd, sl->tmpname, sfd, rel + 3, 0) == 0) {
            sl->placed = 1;
            fsync(sfd);
        } else if (errno != EEXIST) {
            rc = avk_fail(im->err, AVK_EX_CANTCREAT,
                          "cannot create '%s/%s': %s", im->ws, sl->path,
                          strerror(errno));
        } else if (!existing_matches(im, sfd, rel + 3, sl)) {
            rc = avk_fail(im->err, AVK_EX_DATAERR,
                          "existing asset '%s/%s' is not a regular file with "
                          "the content its name promises; remove it and "
                          "import again",
                          im->ws, sl->path);
        }
        close(sfd);
        if (rc)
            return rc;
        if (unlinkat(im->tmpfd, sl->tmpname, 0) == 0)
            sl->tmpname[0] = '\0';
    }
    /* Make new directories durable too (best effort, as avk_fsync_dir). */
    fsync(im->assetsfd);
    if (im->made_assets)
        fsync(im->avfd);
    return 0;
}

/* Remove what this import created; on success only the scratch files. */
static void cleanup(struct imp *im, int failed)
{
    size_t i;
    int s;

    for (i = 0; i < im->nslots; i++) {
        struct slot *sl = &im->slots[i];

        if (sl->tmpname[0] && im->tmpfd >= 0)
            unlinkat(im->tmpfd, sl->tmpname, 0);
        if (failed && sl->placed) {
            const char *rel = sl->path + ASSET_PREFIX_LEN;
            char shard[3] = {rel[0], rel[1], '\0'};
            int sfd = open_dir_at(im->assetsfd, shard);

            if (sfd >= 0) {
                unlinkat(sfd, rel + 3, 0);
                close(sfd);
            }
        }
    }
    if (failed)
        for (s = 0; s < 256; s++)
            if (im->made_shard[s]) {
                char shard[3];
                snprintf(shard, sizeof shard, "%02x", (unsigned)s);
                unlinkat(im->assetsfd, shard, AT_REMOVEDIR);
            }
    if (im->made_tmp)
        unlinkat(im->assetsfd, "tmp", AT_REMOVEDIR);
    if (failed && im->made_assets)
        unlinkat(im->avfd, "assets", AT_REMOVEDIR);
}

static int fill_result(struct imp *im, struct avk_bundle_import *out)
{
    size_t i;

    if (im->nslots) {
        out->asset_paths = calloc(im->nslots, sizeof *out->asset_paths);
        if (!out->asset_paths)
            return avk_fail(im->err, AVK_EX_OSERR, "out of memory");
    }
    for (i = 0; i < im->nslots; i++) {
        out->asset_paths[i] = strdup(im->slots[i].path);
        if (!out->asset_paths[i]) {
            avk_bundle_import_release(out);
            return avk_fail(im->err, AVK_EX_OSERR, "out of memory");
        }
        out->nassets = i + 1;
    }
    out->doc_json = avk_buf_detach(&im->doc);
    if (!out->doc_json) {
        avk_bundle_import_release(out);
        return avk_fail(im->err, AVK_EX_OSERR, "out of memory");
    }
    return 0;
}

static int open_workspace(struct imp *im)
{
    int wsfd = open(im->ws, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e;

    if (wsfd < 0)
        return avk_fail(im->err, AVK_EX_NOINPUT,
                        "cannot open workspace '%s': %s", im->ws,
                        strerror(errno));
    im->avfd = open_dir_at(wsfd, ".av");
    e = errno;
    close(wsfd);
    if (im->avfd < 0)
        return avk_fail(im->err,
                        e == ENOENT ? AVK_EX_NOINPUT : AVK_EX_CANTCREAT,
                        "cannot open '%s/.av': %s", im->ws,
                        e == ELOOP ? "is a symbolic link" : strerror(e));
    return 0;
}

int avk_bundle_import_ex(const char *archive_path, const void *data,
                         size_t len, const char *ws_root,
                         const avk_bundle_limits *lim,
                         struct avk_bundle_import *out, avk_err *err)
{
    avk_bundle_limits deflim;
    struct archive *a = NULL;
    struct imp im;
    int rc, fd = -1;
    size_t i;

    if (out)
        avk_bundle_import_init(out);
    if (!ws_root || !out || (!archive_path && !data && len))
        return avk_fail(err, AVK_EX_SOFTWARE, "bundle import: bad arguments");
    if (!lim) {
        avk_bundle_limits_default(&deflim);
        lim = &deflim;
    }
    memset(&im, 0, sizeof im);
    im.lim = lim;
    im.label = archive_path ? archive_path : "<memory>";
    im.ws = ws_root;
    im.err = err;
    im.avfd = im.assetsfd = im.tmpfd = -1;
    avk_buf_init(&im.doc);
    im.chunk = malloc(CHUNK);
    if (!im.chunk) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    rc = open_workspace(&im);
    if (rc)
        goto out;
    if (archive_path) {
        fd = open(archive_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = avk_fail(err, errno == ENOENT ? AVK_EX_NOINPUT : AVK_EX_IOERR,
                          "cannot open '%s': %s", archive_path,
                          strerror(errno));
            goto out;
        }
    }
    a = archive_read_new();
    if (!a) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
        archive_read_support_format_tar(a) != ARCHIVE_OK) {
        rc = arc_refuse(&im, a, NULL);
        goto out;
    }
    if ((archive_path ? archive_read_open_fd(a, fd, CHUNK)
                      : archive_read_open_memory(a, data ? data : "", len)) !=
        ARCHIVE_OK) {
        const char *msg = archive_error_string(a);
        rc = refuse(&im, NULL, "not a tar or tar.gz archive: %s",
                    msg ? msg : "unreadable");
        goto out;
    }
    rc = read_entries(&im, a);
    if (!rc)
        rc = fill_result(&im, out);
    if (!rc && im.nslots) {
        rc = place_assets(&im);
        if (rc)
            avk_bundle_import_release(out);
    }
out:
    if (a)
        archive_read_free(a);
    if (fd >= 0)
        close(fd);
    cleanup(&im, rc != 0);
    for (i = 0; i < im.nslots; i++)
        free(im.slots[i].path);
    free(im.slots);
    free(im.sorted);
    if (im.tmpfd >= 0)
        close(im.tmpfd);
    if (im.assetsfd >= 0)
        close(im.assetsfd);
    if (im.avfd >= 0)
        close(im.avfd);
    avk_buf_release(&im.doc);
    free(im.chunk);
    return rc;
}

int avk_bundle_import(const char *archive_path, const char *ws_root,
                      struct avk_bundle_import *out, avk_err *err)
{
    if (!archive_path) {
        if (out)
            avk_bundle_import_init(out);
        return avk_fail(err, AVK_EX_SOFTWARE, "bundle import: no archive");
    }
    return avk_bundle_import_ex(archive_path, NULL, 0, ws_root, NULL, out,
                                err);
}

int avk_bundle_import_mem(const void *data, size_t len, const char *ws_root,
                          struct avk_bundle_import *out, avk_err *err)
{
    return avk_bundle_import_ex(NULL, data, len, ws_root, NULL, out, err);
}
