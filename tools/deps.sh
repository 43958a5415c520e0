#!/bin/sh
# deps.sh - install the Debian packages av needs to build, test and run.
#
#   tools/deps.sh --install   install them (apt-get as root, or through sudo)
#   tools/deps.sh --ensure    install only if something is missing
#   tools/deps.sh --list      print the package names
#   tools/deps.sh --npm       optional: install the npm test tools (s3rver, an
#                             S3-compatible server that checks signatures, for
#                             tests/36-publish-s3.t) into $AV_NPM_PREFIX
#                             (default build/npm); needs npm and the registry
set -eu

PACKAGES="build-essential pkg-config perl python3 ca-certificates
libcurl4-openssl-dev libjansson-dev libsqlite3-dev sqlite3 libyaml-dev libssl-dev
libarchive-dev libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev
libswscale-dev libswresample-dev libespeak-ng-dev espeak-ng-data flite1-dev
libfreetype-dev libharfbuzz-dev libfribidi-dev libfontconfig-dev libexpat1-dev
fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji fonts-dejavu-core
mandoc clang libclang-rt-14-dev llvm cppcheck clang-tidy clang-format
parallel"

PKGCONFIG="libcurl jansson sqlite3 yaml-0.1 libcrypto libarchive libavformat
libavcodec libavfilter libavutil libswscale libswresample espeak-ng freetype2
harfbuzz fribidi fontconfig expat"

missing() {
    command -v pkg-config >/dev/null 2>&1 || return 0
    # shellcheck disable=SC2086
    pkg-config --exists $PKGCONFIG || return 0
    for c in cc prove python3 mandoc clang sqlite3 parallel cppcheck clang-tidy; do
        command -v "$c" >/dev/null 2>&1 || return 0
    done
    [ -d /usr/share/fonts/truetype/noto ] || return 0
    [ -f /usr/include/flite/flite.h ] || return 0
    [ -d /usr/lib/x86_64-linux-gnu/espeak-ng-data ] ||
        [ -d /usr/share/espeak-ng-data ] ||
        ls -d /usr/lib/*/espeak-ng-data >/dev/null 2>&1 || return 0
    return 1
}

install_all() {
    if [ "$(id -u)" -eq 0 ]; then
        run=""
    elif command -v sudo >/dev/null 2>&1; then
        run="sudo"
    else
        echo "deps.sh: need root to install packages; run as root:" >&2
        echo "  apt-get update && apt-get install -y" $PACKAGES >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "deps.sh: apt-get not found; install these packages (Debian names):" >&2
        echo "  " $PACKAGES >&2
        exit 1
    fi
    echo "deps.sh: installing build and runtime packages" >&2
    $run env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    $run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends $PACKAGES >/dev/null
}

install_npm() {
    if ! command -v npm >/dev/null 2>&1; then
        echo "deps.sh: npm not found; the S3 end-to-end test will be skipped" >&2
        exit 1
    fi
    prefix=${AV_NPM_PREFIX:-build/npm}
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --silent s3rver@3
}

case "${1:---ensure}" in
--install) install_all ;;
--ensure) if missing; then install_all; fi ;;
--list) echo $PACKAGES ;;
--npm) install_npm ;;
*) echo "usage: deps.sh --install|--ensure|--list|--npm" >&2; exit 64 ;;
esac
