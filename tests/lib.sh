# tests/lib.sh - tiny TAP helpers for the shell tests (sourced).
#   plan N | ok COND NAME | is GOT WANT NAME | like TEXT PATTERN NAME
#   run CMD...   (sets $out, $err, $rc)   scratch (makes $T, cleaned at exit)
_n=0
_failed=0
plan() { echo "1..$1"; }
ok() {
    _n=$((_n + 1))
    if [ "$1" = 0 ]; then echo "ok $_n - $2"; else
        echo "not ok $_n - $2"; _failed=$((_failed + 1)); fi
}
check() { # check NAME CMD...
    _name=$1; shift
    if "$@" >/dev/null 2>&1; then ok 0 "$_name"; else ok 1 "$_name"; fi
}
is() {
    if [ "$1" = "$2" ]; then ok 0 "$3"; else
        ok 1 "$3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; fi
}
like() {
    if printf '%s' "$1" | grep -q -- "$2"; then ok 0 "$3"; else
        ok 1 "$3"; echo "#   '$1'"; echo "#   does not match '$2'"; fi
}
unlike() {
    if printf '%s' "$1" | grep -q -- "$2"; then
        ok 1 "$3"; echo "#   '$1'"; echo "#   matches '$2'"; else ok 0 "$3"; fi
}
run() {
    _o=$T/.out; _e=$T/.err
    "$@" >"$_o" 2>"$_e"; rc=$?
    out=$(cat "$_o"); err=$(cat "$_e")
}
scratch() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/avt.XXXXXX")
    trap 'rm -rf "$T"' EXIT
    cd "$T" || exit 1
    unset AV_HOME
    export XDG_CONFIG_HOME="$T/xdg"
}
done_testing() {
    echo "1..$_n"
    [ "$_failed" -eq 0 ]
}
# jget JSON FILTER: extract with python3 (jq is not a dependency)
jget() {
    python3 -c 'import json,sys
d=json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    if k=="": continue
    d = d[int(k)] if isinstance(d,list) else d.get(k)
    if d is None: break
print(d if not isinstance(d,(dict,list)) else json.dumps(d))' "$1" "$2"
}
