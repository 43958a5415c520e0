/*
 * bundle.h - project export/import archives (.tar.gz through libarchive).
 *
 * A bundle holds one project: its document and the content-addressed assets
 * it references.  Entries, in this order:
 *
 *   manifest.json   {"bundle":1,"created":"<ISO time>","document":
 *                    "document.json","assets":[{"path":P,"sha256":H,
 *                    "bytes":N},...]}
 *   document.json   the project's document (one JSON object)
 *   P...            each asset under its workspace-relative path
 *                   .av/assets/ab/<sha256>.<ext> (ab = first two digits)
 *
 * What always holds:
 *   - Export writes out_path atomically: the complete bundle or nothing.
 *   - Import is all-or-nothing.  It writes only below W/.av/assets/, never
 *     follows a symlink inside W/.av, and either places every asset of a
 *     fully verified bundle or leaves the workspace exactly as it was.
 *   - A bundle that imports is one whose manifest lists exactly the assets
 *     present, each with a matching name, size and SHA-256.
 */
#ifndef AVK_BUNDLE_H
#define AVK_BUNDLE_H

#include <stddef.h>

#include "err.h"

/* One asset to export; all fields borrowed. */
typedef struct avk_bundle_asset {
    const char *path;   /* workspace-relative: .av/assets/ab/<sha256>.<ext> */
    const char *sha256; /* 64 lower-case hex digits, equal to the name's */
    long long bytes;
} avk_bundle_asset;

/*
 * Write the bundle of doc_json (one JSON object, text) and its n assets,
 * read from below ws_root, to out_path (gzip-compressed tar).  Each asset
 * is hashed while it is streamed; one whose size or hash no longer matches
 * is an error.  The same path listed twice with the same hash is exported
 * once.  On failure returns AVK_EX_DATAERR (bad arguments, changed or
 * unsafe asset), AVK_EX_NOINPUT (missing asset), AVK_EX_CANTCREAT or
 * AVK_EX_IOERR (cannot write), AVK_EX_OSERR (memory), and nothing is left
 * at out_path (an existing file there is kept unchanged).
 */
int avk_bundle_export(const char *ws_root, const char *doc_json,
                      const avk_bundle_asset *assets, size_t n,
                      const char *out_path, avk_err *err);

/*
 * What an import hands back; caller-owned, free with _release.  (Only a
 * struct tag, no typedef: the name avk_bundle_import is the function.)
 */
struct avk_bundle_import {
    char *doc_json;     /* the document text, NUL-terminated */
    char **asset_paths; /* workspace-relative paths, in manifest order */
    size_t nassets;
};

void avk_bundle_import_init(struct avk_bundle_import *imp);
void avk_bundle_import_release(struct avk_bundle_import *imp);

/* Limits an import enforces (a bundle over any of them is refused). */
typedef struct avk_bundle_limits {
    long long max_entry;    /* bytes of one asset */
    long long max_total;    /* bytes of all entries together */
    long long max_document; /* bytes of document.json */
    long long max_manifest; /* bytes of manifest.json */
    size_t max_entries;     /* entries in the archive, directories included */
} avk_bundle_limits;

/* The defaults: 2 GiB per asset, 16 GiB in all, 16 MiB document, 4 MiB
 * manifest, 20000 entries. */
void avk_bundle_limits_default(avk_bundle_limits *lim);

/*
 * Import the bundle at archive_path into the workspace ws_root (which must
 * contain .av/).  Assets go to their content-addressed places (an existing
 * identical asset is kept); the document is only returned in out->doc_json,
 * for the caller to store.  out is overwritten (it need not be
 * initialised); on failure it is left empty, every file and directory the
 * import created is removed, and the return value is AVK_EX_DATAERR (bad
 * or unsafe archive: the message names the entry), AVK_EX_NOINPUT (no such
 * archive or workspace), AVK_EX_CANTCREAT/AVK_EX_IOERR (file-system
 * trouble) or AVK_EX_OSERR (memory).
 */
int avk_bundle_import(const char *archive_path, const char *ws_root,
                      struct avk_bundle_import *out, avk_err *err);
/* The same for a bundle held in memory (data borrowed). */
int avk_bundle_import_mem(const void *data, size_t len, const char *ws_root,
                          struct avk_bundle_import *out, avk_err *err);
/* Either source, with explicit limits (lim NULL: the defaults).  Exactly
 * one of archive_path and data is used: data when archive_path is NULL. */
int avk_bundle_import_ex(const char *archive_path, const void *data,
                         size_t len, const char *ws_root,
                         const avk_bundle_limits *lim,
                         struct avk_bundle_import *out, avk_err *err);

#endif
