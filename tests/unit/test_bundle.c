/*
 * Unit tests for bundle: an export/import round trip, and hostile archives
 * (crafted here with libarchive's writer) that must each be refused with a
 * clear message while leaving the workspace exactly as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "buf.h"
#include "bundle.h"
#include "fsutil.h"
#include "hash.h"
#include "tap.h"

static char top[64]; /* scratch directory of this test run */

/* ---- helpers ------------------------------------------------------ */

static char *path2(const char *a, const char *b)
{
    char *p = avk_path_join(a, b);

    if (!p)
        abort();
    return p;
}

/* A fresh workspace top/NAME with .av/ (and .av/assets/ when assets). */
static char *new_ws(const char *name, int assets)
{
    char *ws = path2(top, name), *av = path2(ws, ".av/assets");

    if (avk_mkdirs(assets ? av : ws, 0755, NULL) != 0)
        abort();
    if (!assets) {
        free(av);
        av = path2(ws, ".av");
        if (avk_mkdirs(av, 0755, NULL) != 0)
            abort();
    }
    free(av);
    return ws;
}

/* Store data as an asset of ws; fills the asset's path and sha. */
static void put_asset(const char *ws, const void *data, size_t len,
                      const char *ext, char path[128],
                      char sha[AVK_SHA256_HEX])
{
    char *full, *dir;

    avk_sha256_hex(data, len, sha);
    snprintf(path, 128, ".av/assets/%.2s/%s.%s", sha, sha, ext);
    full = path2(ws, path);
    dir = avk_dirname(full);
    if (avk_mkdirs(dir, 0755, NULL) ||
        avk_write_file_atomic(full, data, len, 0644, NULL))
        abort();
    free(dir);
    free(full);
}

struct list {
    char **v;
    size_t n;
};

static void list_add(struct list *l, const char *s)
{
    char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);

    if (!nv || !(nv[l->n] = strdup(s)))
        abort();
    l->v = nv;
    l->n++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_into(const char *root, const char *rel, struct list *l)
{
    char *dirpath = rel[0] ? path2(root, rel) : strdup(root);
    DIR *d = opendir(dirpath);
    struct dirent *de;

    if (!d)
        abort();
    while ((de = readdir(d)) != NULL) {
        char *r, *full, line[512], hex[AVK_SHA256_HEX] = "-";
        struct stat st;

        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        r = rel[0] ? path2(rel, de->d_name) : strdup(de->d_name);
        full = path2(root, r);
        if (lstat(full, &st) != 0)
            abort();
        if (S_ISREG(st.st_mode))
            avk_sha256_file(full, hex, NULL, NULL);
        if (S_ISLNK(st.st_mode)) {
            ssize_t k = readlink(full, hex, sizeof hex - 1);
            hex[k < 0 ? 0 : k] = '\0';
        }
        snprintf(line, sizeof line, "%s %o %lld %s", r, (unsigned)st.st_mode,
                 S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size, hex);
        list_add(l, line);
        if (S_ISDIR(st.st_mode))
            walk_into(root, r, l);
        free(full);
        free(r);
    }
    closedir(d);
    free(dirpath);
}

/* Everything below root, one sorted line per file: path mode size hash. */
static char *walk(const char *root)
{
    struct list l = {NULL, 0};
    avk_buf b;
    size_t i;

    walk_into(root, "", &l);
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, cmp_str);
    avk_buf_init(&b);
    avk_buf_adds(&b, "");
    for (i = 0; i < l.n; i++) {
        avk_buf_printf(&b, "%s\n", l.v[i]);
        free(l.v[i]);
    }
    free(l.v);
    return avk_buf_detach(&b);
}

/* ---- crafting archives ---------------------------------------------- */

struct ent {
    const char *name;
    long type;        /* f file, d dir, l symlink, h hard link, c chr dev,
                         p fifo */
    const void *data; /* NULL: a string in text */
    const char *text;
    size_t len;
    long long size;   /* header size; -1: the data's length */
    long mode;        /* 0: 0644 / 0755 */
};

enum { PLAIN = 0, GZIP = 1, ZIP = 2 };

static void craft(const char *out, int how, const struct ent *es, size_t n)
{
    struct archive *a = archive_write_new();
    size_t i;

    if (how == ZIP)
        archive_write_set_format_zip(a);
    else
        archive_write_set_format_pax_restricted(a);
    if (how == GZIP)
        archive_write_add_filter_gzip(a);
    archive_write_set_bytes_in_last_block(a, 1);
    if (archive_write_open_filename(a, out) != ARCHIVE_OK)
        abort();
    for (i = 0; i < n; i++) {
        const struct ent *e = &es[i];
        struct archive_entry *ae = archive_entry_new();
        const void *data = e->data ? e->data : e->text;
        size_t len = e->data ? e->len : e->text ? strlen(e->text) : 0;

        archive_entry_set_pathname(ae, e->name);
        archive_entry_set_mtime(ae, 1700000000, 0);
        switch (e->type) {
        case 'd':
            archive_entry_set_filetype(ae, AE_IFDIR);
            archive_entry_set_perm(ae, e->mode ? e->mode : 0755);
            len = 0;
            break;
        case 'l':
            archive_entry_set_filetype(ae, AE_IFLNK);
            archive_entry_set_perm(ae, 0777);
            archive_entry_set_symlink(ae, e->text);
            len = 0;
            break;
        case 'h':
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_perm(ae, 0644);
            archive_entry_set_hardlink(ae, e->text);
            len = 0;
            break;
        case 'c':
            archive_entry_set_filetype(ae, AE_IFCHR);
            archive_entry_set_perm(ae, 0666);
            archive_entry_set_rdevmajor(ae, 1);
            archive_entry_set_rdevminor(ae, 3);
            len = 0;
            break;
        case 'p':
            archive_entry_set_filetype(ae, AE_IFIFO);
            archive_entry_set_perm(ae, 0644);
            len = 0;
            break;
        default:
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_perm(ae, e->mode ? e->mode : 0644);
            archive_entry_set_size(ae, e->size >= 0 ? e->size
                                                    : (long long)len);
            break;
        }
        if (archive_write_header(a, ae) != ARCHIVE_OK)
            abort();
        if (len)
            archive_write_data(a, data, len);
        archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static char *manifest_of(const char *const *paths, const char *const *shas,
                         const long long *bytes, size_t n)
{
    avk_buf b;
    size_t i;

    avk_buf_init(&b);
    avk_buf_adds(&b, "{\"bundle\":1,\"created\":\"2026-11-25T17:00:00Z\","
                     "\"document\":\"document.json\",\"assets\":[");
    for (i = 0; i < n; i++)
        avk_buf_printf(&b,
                       "%s{\"path\":\"%s\",\"sha256\":\"%s\","
                       "\"bytes\":%lld}",
                       i ? "," : "", paths[i], shas[i], bytes[i]);
    avk_buf_adds(&b, "]}");
    return avk_buf_detach(&b);
}

static const char doc[] = "{\"version\":1,\"id\":\"k3v9x2ab\",\"topic\":\"t\"}";

/* ---- round trip ---------------------------------------------------- */

static unsigned char big[150000]; /* pseudo-random, poorly compressible */

static void fill_big(void)
{
    unsigned x = 12345;
    size_t i;

    for (i = 0; i < sizeof big; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = (unsigned char)(x >> 16);
    }
}

static char *bundle_path;  /* a valid export with two assets */
static char a1[128], s1[AVK_SHA256_HEX], a2[128], s2[AVK_SHA256_HEX];

static void test_roundtrip(void)
{
    char *ws = new_ws("src", 1), *dst = new_ws("dst", 0), *before, *after;
    char *f1, *f2, *g1, *g2, *outdir = path2(top, "out");
    avk_bundle_asset as[3];
    struct avk_bundle_import imp;
    avk_buf x, y;
    avk_err err;
    int rc;

    put_asset(ws, "hello\n", 6, "txt", a1, s1);
    put_asset(ws, big, sizeof big, "wav", a2, s2);
    as[0] = (avk_bundle_asset){a1, s1, 6};
    as[1] = (avk_bundle_asset){a2, s2, (long long)sizeof big};
    as[2] = as[0]; /* referenced twice: exported once */
    avk_mkdirs(outdir, 0755, NULL);
    bundle_path = path2(outdir, "p.tar.gz");
    rc = avk_bundle_export(ws, doc, as, 3, bundle_path, &err);
    is_int(rc, 0, "export succeeds");
    if (rc)
        printf("# %s\n", err.msg);
    before = walk(outdir);
    ok(strstr(before, "p.tar.gz") && !strstr(before, "tmp"),
       "export leaves only the bundle");
    free(before);

    rc = avk_bundle_import(bundle_path, dst, &imp, &err);
    is_int(rc, 0, "import into a fresh workspace succeeds");
    if (rc)
        printf("# %s\n", err.msg);
    is_str(imp.doc_json, doc, "the document comes back unchanged");
    is_int(imp.nassets, 2, "two assets (the repeat was exported once)");
    if (imp.nassets == 2) {
        is_str(imp.asset_paths[0], a1, "first asset path");
        is_str(imp.asset_paths[1], a2, "second asset path");
    }
    avk_bundle_import_release(&imp);
    ok(imp.doc_json == NULL && imp.nassets == 0, "release empties the result");

    f1 = path2(ws, a1);
    f2 = path2(ws, a2);
    g1 = path2(dst, a1);
    g2 = path2(dst, a2);
    avk_buf_init(&x);
    avk_buf_init(&y);
    avk_read_file(f2, &x, NULL);
    avk_read_file(g2, &y, NULL);
    ok(x.len == y.len && x.len == sizeof big &&
           memcmp(x.data, y.data, x.len) == 0,
       "asset bytes are identical after import");
    avk_buf_reset(&x);
    avk_buf_reset(&y);
    avk_read_file(f1, &x, NULL);
    avk_read_file(g1, &y, NULL);
    ok(x.len == 6 && y.len == 6 && !memcmp(x.data, y.data, 6),
       "small asset identical too");
    {
        char h[AVK_SHA256_HEX];
        long long n = 0;
        avk_sha256_file(g2, h, &n, NULL);
        is_str(h, s2, "imported asset hashes to its name");
    }
    before = walk(dst);
    ok(!strstr(before, "tmp"), "no scratch directory left after import");

    /* Importing again keeps the identical existing assets. */
    rc = avk_bundle_import(bundle_path, dst, &imp, &err);
    is_int(rc, 0, "re-import over identical assets succeeds");
    avk_bundle_import_release(&imp);
    after = walk(dst);
    is_str(after, before, "re-import leaves the workspace as it was");
    free(after);
    free(before);

    /* The same from memory. */
    avk_buf_reset(&x);
    avk_read_file(bundle_path, &x, NULL);
    rc = avk_bundle_import_mem(x.data, x.len, dst, &imp, &err);
    is_int(rc, 0, "import from memory succeeds");
    is_str(imp.doc_json, doc, "document from memory");
    avk_bundle_import_release(&imp);

    /* A project without assets. */
    {
        char *b0 = path2(outdir, "empty.tar.gz"), *w0 = new_ws("noassets", 0);

        rc = avk_bundle_export(w0, doc, NULL, 0, b0, &err);
        is_int(rc, 0, "export without assets succeeds");
        rc = avk_bundle_import(b0, w0, &imp, &err);
        is_int(rc, 0, "import without assets succeeds");
        is_int(imp.nassets, 0, "no assets");
        is_str(imp.doc_json, doc, "document of an asset-less bundle");
        avk_bundle_import_release(&imp);
        before = walk(w0);
        is_str(before, ".av 40755 0 -\n", "no asset directories created");
        free(before);
        free(w0);
        free(b0);
    }

    avk_buf_release(&x);
    avk_buf_release(&y);
    free(f1);
    free(f2);
    free(g1);
    free(g2);
    free(outdir);
    free(ws);
    free(dst);
}

/* ---- export failures --------------------------------------------------- */

static void test_export_failures(void)
{
    char *ws = new_ws("exsrc", 1), *outdir = path2(top, "exout");
    char *out, *before, *after, *f;
    char p[128], s[AVK_SHA256_HEX];
    avk_bundle_asset as[1];
    avk_err err;
    int rc;

    avk_mkdirs(outdir, 0755, NULL);
    out = path2(outdir, "b.tar.gz");
    put_asset(ws, "original", 8, "txt", p, s);
    as[0] = (avk_bundle_asset){p, s, 8};
    f = path2(ws, p);
    avk_write_file_atomic(f, "modified", 8, 0644, NULL);
    before = walk(outdir);
    rc = avk_bundle_export(ws, doc, as, 1, out, &err);
    is_int(rc, AVK_EX_DATAERR, "a changed asset fails the export");
    ok(strstr(err.msg, "has changed") != NULL, "message: %s", err.msg);
    after = walk(outdir);
    is_str(after, before, "nothing left at the output path");
    free(after);

    avk_write_file_atomic(out, "keep me", 7, 0644, NULL);
    free(before);
    before = walk(outdir);
    rc = avk_bundle_export(ws, doc, as, 1, out, &err);
    ok(rc != 0, "fails again over an existing file");
    after = walk(outdir);
    is_str(after, before, "an existing output file is kept unchanged");
    free(after);
    free(before);
    unlink(out);

    avk_write_file_atomic(f, "origin", 6, 0644, NULL);
    rc = avk_bundle_export(ws, doc, as, 1, out, &err);
    is_int(rc, AVK_EX_DATAERR, "a resized asset fails the export");
    ok(strstr(err.msg, "has changed") != NULL, "message: %s", err.msg);

    unlink(f);
    rc = avk_bundle_export(ws, doc, as, 1, out, &err);
    is_int(rc, AVK_EX_NOINPUT, "a missing asset fails the export");

    if (symlink("/etc/passwd", f) != 0)
        abort();
    rc = avk_bundle_export(ws, doc, as, 1, out, &err);
    is_int(rc, AVK_EX_DATAERR, "a symlinked asset is refused");
    ok(strstr(err.msg, "symbolic link") != NULL, "message: %s", err.msg);
    ok(!avk_is_file(out), "no bundle written");

    as[0].path = "../../etc/passwd";
    rc = avk_bundle_export(ws, doc, as, 1, out, &err);
    is_int(rc, AVK_EX_DATAERR, "a non-asset path is refused");
    rc = avk_bundle_export(ws, "[1]", NULL, 0, out, &err);
    is_int(rc, AVK_EX_DATAERR, "a document that is not an object is refused");

    free(f);
    free(out);
    free(outdir);
    free(ws);
}

/* ---- hostile archives ------------------------------------------------ */

static int ncase;

/* Craft es into an archive, import it into ws, expect refusal with msg,
 * and check the workspace is unchanged. */
static void refused(const char *ws, const char *what, int how,
                    const struct ent *es, size_t n,
                    const avk_bundle_limits *lim, const char *msg)
{
    char name[64], *arc, *before, *after;
    struct avk_bundle_import imp;
    avk_err err;
    int rc;

    snprintf(name, sizeof name, "case%d.tar", ++ncase);
    arc = path2(top, name);
    craft(arc, how, es, n);
    before = walk(ws);
    err.msg[0] = '\0';
    rc = avk_bundle_import_ex(arc, NULL, 0, ws, lim, &imp, &err);
    ok(rc == AVK_EX_DATAERR && strstr(err.msg, msg) != NULL,
       "%s is refused: %s", what, err.msg);
    if (rc != AVK_EX_DATAERR || !strstr(err.msg, msg))
        printf("#   rc %d, wanted a message with '%s'\n", rc, msg);
    ok(imp.doc_json == NULL && imp.nassets == 0, "%s: result empty", what);
    avk_bundle_import_release(&imp);
    after = walk(ws);
    is_str(after, before, "workspace unchanged");
    free(after);
    free(before);
    unlink(arc);
    free(arc);
}

static void test_hostile(void)
{
    char *ws = new_ws("victim", 0), *ws2 = new_ws("victim2", 1);
    char *outside = path2(top, "outside"), *before, *after, *m, *m2, *mbad;
    const char *paths[2] = {a1, a2}, *shas[2] = {s1, s2};
    long long bytes[2] = {6, (long long)sizeof big};
    char other[128], osha[AVK_SHA256_HEX];
    avk_bundle_limits lim;
    avk_buf x;
    avk_err err;
    struct avk_bundle_import imp;
    int rc;

    m = manifest_of(paths, shas, bytes, 1);
    m2 = manifest_of(paths, shas, bytes, 2);
    avk_mkdirs(outside, 0755, NULL);
    /* Name of an asset (hash of "world\n") that the manifest lacks. */
    avk_sha256_hex("world\n", 6, osha);
    snprintf(other, sizeof other, ".av/assets/%.2s/%s.txt", osha, osha);

    {
        struct ent e[] = {{"manifest.json", 'f', NULL, m, 0, -1, 0},
                          {"document.json", 'f', NULL, doc, 0, -1, 0},
                          {a1, 'f', NULL, "hello\n", 0, -1, 0},
                          {"../x", 'f', NULL, "pwned", 0, -1, 0}};
        refused(ws, "'../x'", GZIP, e, 4, NULL, "'..' path component");
        e[3].name = ".av/assets/../../x";
        refused(ws, "'.av/assets/../../x'", PLAIN, e, 4, NULL,
                "'..' path component");
        e[3].name = "/abs";
        refused(ws, "'/abs'", GZIP, e, 4, NULL, "absolute path");
        e[3].name = ".av//assets/x";
        refused(ws, "an empty component", GZIP, e, 4, NULL,
                "empty path component");
        e[3].name = "notes.txt";
        refused(ws, "a file outside the asset tree", GZIP, e, 4, NULL,
                "not below '.av/assets/'");
        e[3].name = ".av/store.db";
        refused(ws, "'.av/store.db'", GZIP, e, 4, NULL,
                "not below '.av/assets/'");
        e[3].name = ".av/assets/ab/evil.sh";
        refused(ws, "a badly named asset", GZIP, e, 4, NULL,
                "not a content-addressed asset name");
        e[3].name = other;
        e[3].text = "world\n";
        refused(ws, "an extra unlisted asset", GZIP, e, 4, NULL,
                "not listed in the manifest");
        e[3] = e[2];
        refused(ws, "a duplicate entry", GZIP, e, 4, NULL, "duplicate entry");
        e[3] = e[0];
        refused(ws, "a second manifest", GZIP, e, 4, NULL, "duplicate entry");
        e[3] = e[1];
        refused(ws, "a second document", GZIP, e, 4, NULL, "duplicate entry");

        e[3] = (struct ent){".av/assets/x", 'l', NULL, "/etc/passwd", 0, -1, 0};
        refused(ws, "a symlink entry", GZIP, e, 4, NULL,
                "symbolic links are not allowed");
        e[3] = (struct ent){a1, 'h', NULL, "document.json", 0, -1, 0};
        refused(ws, "a hard link entry", GZIP, e, 4, NULL,
                "hard links are not allowed");
        e[3] = (struct ent){".av/assets/null", 'c', NULL, NULL, 0, -1, 0};
        refused(ws, "a device node entry", GZIP, e, 4, NULL,
                "device files are not allowed");
        e[3] = (struct ent){".av/assets/fifo", 'p', NULL, NULL, 0, -1, 0};
        refused(ws, "a FIFO entry", GZIP, e, 4, NULL, "FIFOs are not allowed");
        e[3] = (struct ent){".av/assets/", 'd', NULL, NULL, 0, -1, 0777};
        refused(ws, "a world-writable directory", GZIP, e, 4, NULL,
                "odd directory mode");
        e[3] = (struct ent){".av/hooks/", 'd', NULL, NULL, 0, -1, 0};
        refused(ws, "an unexpected directory", GZIP, e, 4, NULL,
                "unexpected directory");

        /* Swap: the asset arrives first. */
        {
            struct ent t = e[0];
            e[0] = e[2];
            e[2] = t;
            refused(ws, "an archive whose manifest is not first", GZIP, e, 3,
                    NULL, "must be the first entry");
            e[2] = e[0];
            e[0] = t;
        }
        e[2].mode = 04755;
        refused(ws, "a setuid file", GZIP, e, 3, NULL, "odd mode");
        e[2].mode = 0;

        e[2].text = "HELLO\n"; /* same size, other content */
        refused(ws, "a hash mismatch", GZIP, e, 3, NULL,
                "content does not match its sha256");
        e[2].text = "hello\n";
        e[2].size = 7;
        refused(ws, "a size mismatch", GZIP, e, 3, NULL,
                "does not match the manifest");
        e[2].size = -1;

        refused(ws, "a missing document", GZIP, (struct ent[]){e[0], e[2]},
                2, NULL, "no 'document.json'");
        e[1].text = "[1,2]";
        refused(ws, "a document that is not an object", GZIP, e, 3, NULL,
                "not a JSON object");
        e[1].text = doc;

        avk_bundle_limits_default(&lim);
        lim.max_entry = 5;
        refused(ws, "an oversize entry", GZIP, e, 3, &lim,
                "over the size limit");
        avk_bundle_limits_default(&lim);
        lim.max_entries = 2;
        refused(ws, "too many entries", GZIP, e, 3, &lim, "too many entries");
        avk_bundle_limits_default(&lim);
        lim.max_total = 10;
        refused(ws, "too much data in all", GZIP, e, 3, &lim, "exceed");
        avk_bundle_limits_default(&lim);
        lim.max_document = 8;
        refused(ws, "an oversize document", GZIP, e, 3, &lim,
                "over the size limit");
    }
    {
        /* The manifest names two assets; only one is present. */
        struct ent e[] = {{"manifest.json", 'f', NULL, m2, 0, -1, 0},
                          {"document.json", 'f', NULL, doc, 0, -1, 0},
                          {a1, 'f', NULL, "hello\n", 0, -1, 0}};
        refused(ws, "a manifest listing a missing asset", GZIP, e, 3, NULL,
                "missing from the archive");
    }
    {
        /* Manifests that lie. */
        const char *bs[1] = {s2};
        struct ent e[] = {{"manifest.json", 'f', NULL, NULL, 0, -1, 0},
                          {"document.json", 'f', NULL, doc, 0, -1, 0}};

        mbad = manifest_of(paths, bs, bytes, 1);
        e[0].text = mbad;
        refused(ws, "a manifest hash that differs from the name", GZIP, e, 2,
                NULL, "does not match its name");
        free(mbad);
        e[0].text = "{\"bundle\":2,\"document\":\"document.json\","
                    "\"assets\":[]}";
        refused(ws, "a future bundle version", GZIP, e, 2, NULL,
                "unsupported bundle version");
        e[0].text = "{\"bundle\":1,\"bundle\":1}";
        refused(ws, "a manifest with duplicate keys", GZIP, e, 2, NULL,
                "not valid JSON");
        e[0].text = "{\"bundle\":1,\"document\":\"../../etc/passwd\","
                    "\"assets\":[]}";
        refused(ws, "a manifest naming another document", GZIP, e, 2, NULL,
                "\"document\" must be");
        e[0].text = "{\"bundle\":1,\"document\":\"document.json\","
                    "\"assets\":[{\"path\":\"/etc/passwd\",\"sha256\":\"x\","
                    "\"bytes\":1}]}";
        refused(ws, "a manifest listing an absolute path", GZIP, e, 2, NULL,
                "not a content-addressed asset name");
    }
    {
        struct ent e[] = {{"manifest.json", 'f', NULL, m, 0, -1, 0}};
        refused(ws, "a zip archive", ZIP, e, 1, NULL, "not a tar");
    }

    /* Not an archive at all, and a truncated gzip stream. */
    avk_buf_init(&x);
    before = walk(ws);
    rc = avk_bundle_import_mem("hello, world\n", 13, ws, &imp, &err);
    ok(rc == AVK_EX_DATAERR && strstr(err.msg, "not a tar"),
       "a text file is refused: %s", err.msg);
    rc = avk_bundle_import_mem("", 0, ws, &imp, &err);
    ok(rc == AVK_EX_DATAERR, "an empty input is refused: %s", err.msg);
    avk_read_file(bundle_path, &x, NULL);
    rc = avk_bundle_import_mem(x.data, x.len * 2 / 3, ws, &imp, &err);
    ok(rc == AVK_EX_DATAERR, "a truncated gzip is refused: %s", err.msg);
    rc = avk_bundle_import_mem(x.data, x.len - 8, ws, &imp, &err);
    ok(rc == AVK_EX_DATAERR, "a gzip missing its trailer is refused: %s",
       err.msg);
    after = walk(ws);
    is_str(after, before, "workspace unchanged");
    free(after);
    free(before);

    /* Attacks on the target tree: planted symlinks are never followed. */
    {
        char *assets = path2(ws2, ".av/assets"), *shard, *tmpd, *dot;
        char sh[3] = {s1[0], s1[1], '\0'};

        shard = path2(assets, sh);
        if (symlink(outside, shard) != 0)
            abort();
        before = walk(ws2);
        rc = avk_bundle_import(bundle_path, ws2, &imp, &err);
        ok(rc != 0 && strstr(err.msg, "symbolic link"),
           "a symlinked shard directory is refused: %s", err.msg);
        after = walk(ws2);
        is_str(after, before, "workspace unchanged");
        free(after);
        free(before);
        before = walk(outside);
        is_str(before, "", "nothing written through the symlink");
        free(before);
        unlink(shard);

        tmpd = path2(assets, "tmp");
        if (symlink(outside, tmpd) != 0)
            abort();
        before = walk(ws2);
        rc = avk_bundle_import(bundle_path, ws2, &imp, &err);
        ok(rc != 0 && strstr(err.msg, "symbolic link"),
           "a symlinked tmp directory is refused: %s", err.msg);
        after = walk(ws2);
        is_str(after, before, "workspace unchanged");
        free(after);
        free(before);
        before = walk(outside);
        is_str(before, "", "nothing written through the symlink");
        free(before);
        unlink(tmpd);

        {
            char *moved = path2(ws2, ".av/assets-real");

            if (rename(assets, moved) != 0 || symlink(outside, assets) != 0)
                abort();
            before = walk(ws2);
            rc = avk_bundle_import(bundle_path, ws2, &imp, &err);
            ok(rc != 0 && strstr(err.msg, "symbolic link"),
               "a symlinked .av/assets is refused: %s", err.msg);
            after = walk(ws2);
            is_str(after, before, "workspace unchanged");
            free(after);
            free(before);
            before = walk(outside);
            is_str(before, "", "nothing written through the symlink");
            free(before);
            unlink(assets);
            if (rename(moved, assets) != 0)
                abort();
            free(moved);
        }

        /* A symlink planted at an asset's final name is not followed. */
        {
            char *f = path2(ws2, a1), *dir = avk_dirname(f);
            char *target = path2(outside, "planted");

            avk_mkdirs(dir, 0755, NULL);
            if (symlink(target, f) != 0)
                abort();
            before = walk(ws2);
            rc = avk_bundle_import(bundle_path, ws2, &imp, &err);
            ok(rc == AVK_EX_DATAERR && strstr(err.msg, "existing asset"),
               "a symlink at an asset's name is refused: %s", err.msg);
            after = walk(ws2);
            is_str(after, before, "workspace unchanged");
            free(after);
            free(before);
            ok(!avk_is_file(target), "nothing written through the symlink");
            unlink(f);
            rmdir(dir);
            free(target);
            free(dir);
            free(f);
        }

        /* The second asset's name is taken by a corrupt file: the first,
         * already placed, must be rolled back. */
        {
            char *f = path2(ws2, a2), *dir = avk_dirname(f);

            avk_mkdirs(dir, 0755, NULL);
            avk_write_file_atomic(f, "corrupt", 7, 0644, NULL);
            before = walk(ws2);
            rc = avk_bundle_import(bundle_path, ws2, &imp, &err);
            ok(rc == AVK_EX_DATAERR && strstr(err.msg, "existing asset"),
               "a corrupt existing asset is reported: %s", err.msg);
            after = walk(ws2);
            is_str(after, before,
                   "workspace unchanged (placed asset rolled back)");
            free(after);
            free(before);
            unlink(f);
            rmdir(dir);
            free(dir);
            free(f);
        }

        dot = path2(top, "victim3");
        avk_mkdirs(dot, 0755, NULL);
        {
            char *av = path2(dot, ".av");
            if (symlink(outside, av) != 0)
                abort();
            rc = avk_bundle_import(bundle_path, dot, &imp, &err);
            ok(rc != 0 && strstr(err.msg, "symbolic link"),
               "a symlinked .av is refused: %s", err.msg);
            free(av);
        }
        before = walk(outside);
        is_str(before, "", "nothing written through the symlink");
        free(before);
        free(dot);
        free(tmpd);
        free(shard);
        free(assets);
    }

    /* Harmless directory entries of the asset tree are accepted. */
    {
        char dshard[32];
        char *d3 = new_ws("dirs", 0);
        struct ent e[] = {{"manifest.json", 'f', NULL, m, 0, -1, 0},
                          {"document.json", 'f', NULL, doc, 0, -1, 0},
                          {".av/", 'd', NULL, NULL, 0, -1, 0},
                          {".av/assets/", 'd', NULL, NULL, 0, -1, 0},
                          {dshard, 'd', NULL, NULL, 0, -1, 0},
                          {a1, 'f', NULL, "hello\n", 0, -1, 0}};
        char *arc = path2(top, "dirs.tar");

        snprintf(dshard, sizeof dshard, ".av/assets/%.2s/", s1);
        craft(arc, PLAIN, e, 6);
        rc = avk_bundle_import(arc, d3, &imp, &err);
        is_int(rc, 0, "a plain tar with directory entries imports");
        if (rc)
            printf("# %s\n", err.msg);
        is_int(imp.nassets, 1, "one asset");
        avk_bundle_import_release(&imp);
        free(arc);
        free(d3);
    }

    rc = avk_bundle_import("/nonexistent/b.tar.gz", ws, &imp, &err);
    is_int(rc, AVK_EX_NOINPUT, "a missing archive is NOINPUT");
    rc = avk_bundle_import(bundle_path, top, &imp, &err);
    is_int(rc, AVK_EX_NOINPUT, "a directory without .av is NOINPUT");

    avk_buf_release(&x);
    free(m);
    free(m2);
    free(outside);
    free(ws);
    free(ws2);
}

int main(void)
{
    strcpy(top, "/tmp/avk-bundle-XXXXXX");
    if (!mkdtemp(top))
        return 1;
    fill_big();
    test_roundtrip();
    test_export_failures();
    test_hostile();
    free(bundle_path);
    avk_rmtree(top, NULL);
    return tap_done();
}
