#!/bin/sh
# av-project export/import: same document and asset hashes in a new
# workspace; crafted archives refused with nothing left behind.
. "$AVK_TOP/tests/lib.sh"
scratch
E=$AVK_BUILD/tests/stage_echo
mkdir a b
(cd a && av-project init 2>/dev/null && av-project new "bundle me ✓" | $E > ../doc.jsonl)
id=$(jget "$(cat doc.jsonl)" id)
apath=$(jget "$(cat doc.jsonl)" echo.asset.path)

run av-project --store a export "$id" -o p.tar.gz
is "$rc" 0 "export"
ok "$([ -s p.tar.gz ]; echo $?)" "bundle written"
run av-project --store a export "$id"
is "$rc" 64 "export without -o: usage error"

(cd b && av-project init 2>/dev/null)
run av-project --store b import p.tar.gz
is "$rc" 0 "import into a new workspace"
is "$out" "$id" "import prints the project id"
is "$(av-project --store b show "$id")" "$(av-project --store a show "$id")" "same document"
is "$(sha256sum < "b/$apath")" "$(sha256sum < "a/$apath")" "same asset bytes"
run av-project --store b import p.tar.gz
is "$rc" 0 "importing again updates in place"

# crafted archives
python3 - <<'PY'
import tarfile, io, json, hashlib
def make(name, entries, manifest=None):
    with tarfile.open(name, "w:gz") as t:
        if manifest is not None:
            data = json.dumps(manifest).encode()
            ti = tarfile.TarInfo("manifest.json"); ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        for e in entries:
            t.addfile(*e)
def f(path, data=b"x"):
    ti = tarfile.TarInfo(path); ti.size = len(data); return (ti, io.BytesIO(data))
doc = b'{"version":1,"id":"evil","topic":"t"}'
man = {"bundle":1,"created":"2026-01-01T00:00:00Z","document":"document.json","assets":[]}
make("dotdot.tar.gz", [f("document.json", doc), f("../x")], man)
make("abs.tar.gz", [f("document.json", doc), f("/tmp/avk-abs-x")], man)
ln = tarfile.TarInfo(".av/assets/ab/link"); ln.type = tarfile.SYMTYPE; ln.linkname = "/etc/passwd"
make("symlink.tar.gz", [f("document.json", doc), (ln, None)], man)
good = b"hello"
h = hashlib.sha256(good).hexdigest()
man2 = dict(man, assets=[{"path":".av/assets/%s/%s.txt" % (h[:2], h), "sha256": h, "bytes": 5}])
make("mismatch.tar.gz", [f("document.json", doc), f(".av/assets/%s/%s.txt" % (h[:2], h), b"HELLO")], man2)
PY
snap() { (cd b && find . -path ./.av/store.db-wal -prune -o -path ./.av/store.db-shm -prune -o -print | sort; sqlite3 .av/store.db 'select id from projects order by id'); }
before=$(snap)
for bad in dotdot abs symlink mismatch; do
    run av-project --store b import "$bad.tar.gz"
    is "$rc" 65 "$bad archive refused (65)"
    ok "$([ -n "$err" ]; echo $?)" "$bad: a message says why"
    is "$(snap)" "$before" "$bad: nothing left behind"
done
ok "$([ ! -e x ] && [ ! -e /tmp/avk-abs-x ]; echo $?)" "nothing written outside the workspace"
run av-project --store b import missing.tar.gz
is "$rc" 66 "missing bundle: 66"
done_testing
