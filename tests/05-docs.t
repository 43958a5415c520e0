#!/bin/sh
# Documentation stays true: every man page is mandoc-lint clean; each
# binary has a page whose option list matches its option table both ways
# (`--list-options`), and --help/--version behave; the committed shell
# completions are what tools/gen-completions.sh makes from today's
# binaries; the example document in av-document(5) parses and passes the
# real validation of the stage driver.
. "$AVK_TOP/tests/lib.sh"
scratch
MAN=$AVK_TOP/man

lint() { # lint PAGE: no output from mandoc -Tlint -Wwarning
    _l=$(mandoc -Tlint -Wwarning "$1" 2>&1)
    if [ -z "$_l" ]; then ok 0 "$(basename "$1"): mandoc lint clean"; else
        ok 1 "$(basename "$1"): mandoc lint clean"
        printf '%s\n' "$_l" | sed 's/^/#   /'; fi
}

# ---- every binary: a page, --help, --version, options both ways ----
for bin in "$AVK_BUILD"/bin/av-*; do
    [ -x "$bin" ] || continue
    prog=$(basename "$bin")
    page=$MAN/$prog.1
    if [ ! -f "$page" ]; then
        ok 1 "$prog has a man page"; echo "#   write man/$prog.1 (see man/av-project.1)"
        continue
    fi
    ok 0 "$prog has a man page"
    lint "$page"
    run "$bin" --help
    is "$rc" 0 "$prog --help exits 0"
    like "$out" "usage: $prog" "$prog --help prints the usage on stdout"
    run "$bin" --version
    is "$rc" 0 "$prog --version exits 0"
    like "$out" "^$prog [0-9]" "$prog --version prints name and version"
    "$bin" --list-options > opts.txt 2>/dev/null
    cut -f1 opts.txt | sort -u > listed.txt
    ok "$([ -s listed.txt ]; echo $?)" "$prog --list-options lists options"
    # binary -> page: every listed long option is documented somewhere
    missing=""
    while IFS= read -r name; do
        grep -Eq "Fl -$name([^a-zA-Z0-9-]|\$)" "$page" || missing="$missing --$name"
    done < listed.txt
    is "$missing" "" "$prog: every option of the binary is in $prog.1"
    # page -> binary: every option the OPTIONS section documents exists
    sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$page" |
        grep -Eo 'Fl -[a-zA-Z0-9][a-zA-Z0-9-]*' | sed 's/^Fl -//' |
        sort -u > documented.txt
    extra=$(comm -23 documented.txt listed.txt | sed 's/^/--/' | tr '\n' ' ')
    is "$extra" "" "$prog: every option in $prog.1's OPTIONS exists in the binary"
    syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$page")
    like "$syn" '^\.Nm' "$prog.1: the SYNOPSIS shows the command"
    like "$(sed -n '/^\.Sh NAME/,/^\.Sh /p' "$page")" "^\.Nm $prog\$" "$prog.1: NAME is $prog"
    for sec in DESCRIPTION OPTIONS "EXIT STATUS" "SEE ALSO"; do
        like "$(cat "$page")" "^\.Sh $sec\$" "$prog.1 has $sec"
    done
done

# ---- pages without a binary: sections 5 and 7, lint only ----
for page in "$MAN"/*.5 "$MAN"/*.7; do
    [ -f "$page" ] || continue
    lint "$page"
done
for page in "$MAN"/*.1; do
    [ -f "$page" ] || continue
    prog=$(basename "$page" .1)
    [ -x "$AVK_BUILD/bin/$prog" ] && continue
    lint "$page" # a page written ahead of its tool
done

# ---- completions up to date ----
if sh "$AVK_TOP/tools/gen-completions.sh" "$AVK_BUILD/bin" "$T/comp" 2>gen.err; then
    ok 0 "gen-completions.sh runs"
else
    ok 1 "gen-completions.sh runs"; sed 's/^/#   /' gen.err
fi
stale=$(diff -r "$AVK_TOP/completions" "$T/comp" 2>&1 | grep -v '^[<>-]' | head -20)
if [ -z "$stale" ]; then ok 0 "completions/ is up to date"; else
    ok 1 "completions/ is up to date"
    echo "#   the committed completions differ from the binaries' option tables;"
    echo "#   run 'make completions' and commit completions/"
    printf '%s\n' "$stale" | sed 's/^/#   /'
fi
for f in "$T"/comp/bash/*; do
    [ -f "$f" ] || continue
    check "bash -n $(basename "$f")" bash -n "$f"
done
if command -v zsh >/dev/null 2>&1; then
    for f in "$T"/comp/zsh/_*; do
        [ -f "$f" ] && check "zsh -n $(basename "$f")" zsh -n "$f"
    done
fi
if command -v fish >/dev/null 2>&1; then
    for f in "$T"/comp/fish/*.fish; do
        [ -f "$f" ] && check "fish -n $(basename "$f")" fish -n "$f"
    done
fi

# bash completion works: commands, project ids from the store, choices
av-project init ws >/dev/null 2>&1
pid=$(jget "$(av-project --store ws new "completion topic" 2>/dev/null)" id)
comp() { # comp WORD... : what bash would offer for the last word
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
             _av_project; printf "%s\n" "${COMPREPLY[@]}"' sh \
        "$T/comp/bash/av-project" "$@" | LC_ALL=C sort | tr '\n' ' '
}
if [ -f "$T/comp/bash/av-project" ]; then
    like "$(comp av-project "")" "^doctor export gc import init ls new rm show stats $" \
        "bash: av-project completes its commands"
    is "$(comp av-project --store ws show "")" "$pid " "bash: show completes project ids"
    is "$(comp av-project --aspect 1)" "16:9 1:1 " "bash: --aspect completes its choices"
    is "$(comp av-project --dry)" "--dry-run " "bash: options complete"
fi

# ---- the example document of av-document(5) ----
sed -n '/^\.\\" BEGIN EXAMPLE DOCUMENT/,/^\.\\" END EXAMPLE DOCUMENT/p' \
    "$MAN/av-document.5" | grep -v '^\.' > example.json
ok "$([ -s example.json ]; echo $?)" "av-document.5 has a marked example document"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert isinstance(d, dict)
print(json.dumps(d, separators=(",", ":")))' example.json > example.jsonl 2>py.err; then
    ok 0 "the example document is JSON"
else
    ok 1 "the example document is JSON"; sed 's/^/#   /' py.err
fi
run "$AVK_BUILD/tests/stage_echo" --store ws < example.jsonl
is "$rc" 0 "the example document passes the stage driver's validation"
if [ "$rc" = 0 ]; then
    is "$(jget "$out" id)" "$(jget "$(cat example.jsonl)" id)" "its id is kept"
    is "$(jget "$out" render.template)" \
        "$(jget "$(cat example.jsonl)" render.template)" "sections pass through untouched"
else
    printf '%s\n' "$err" | sed 's/^/#   /'
fi
done_testing
