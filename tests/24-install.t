#!/bin/sh
# make install: binaries, man pages, completions and share/ land under
# DESTDIR/PREFIX, and installed binaries find their templates there.
. "$AVK_TOP/tests/lib.sh"
scratch
san=0
case $AVK_BUILD in *san*) san=1 ;; esac
run make -s -C "$AVK_TOP" install BUILD="$AVK_BUILD" SAN=$san DESTDIR="$T/root" PREFIX=/usr
is "$rc" 0 "make install"
ok "$([ -x root/usr/bin/av-project ]; echo $?)" "binary installed"
ok "$([ -f root/usr/share/man/man1/av-project.1 ] || [ ! -f "$AVK_TOP/man/av-project.1" ]; echo $?)" "man page installed"
ok "$([ -d root/usr/share/av/templates ]; echo $?)" "templates installed"
ok "$([ -f root/usr/share/av/feeds/news-daily.rss ] && [ ! -L root/usr/share/av/feeds ]; echo $?)" "sample feeds installed as files"
mkdir w && cd w
"$T/root/usr/bin/av-project" init 2>/dev/null
run env -u AV_DATADIR "$T/root/usr/bin/av-project" doctor
like "$out" "data .*root/usr/bin/../share/av" "installed binary finds its data relative to its prefix"
done_testing
