#!/usr/bin/env python3
"""Generate a realistic account-name corpus for impostor: one name per line.

    python benchmarks/corpus.py --n 1000000 --out /tmp/corpus.txt [--seed 7] [--impostor-share 0.01]

About 1% of the names are impostors drawn from the same generator as benchmarks/eval/impostors.tsv (every
technique, plus the source-document examples); the rest are ordinary names from the same generators as
benchmarks/eval/benign.tsv (word, person, shop, hobby, Latin handle, trap). Names repeat the way account names
do: benign names are drawn from a pool of about n/3 distinct names with Zipf-like weights (the most common
name appears about 0.1% of the time), so the corpus has fewer distinct names than rows.

With --distinct every name is distinct, as in an account table whose platform keeps nicknames unique (and as a
registration service sees them): the same impostors, and benign names of which DECORATED_SHARE are handles made
the way real ones are, from jieba's word list (lexicons/words/jieba.tsv, by frequency) and the registry's own region
names, titles and keywords with the decorations handles carry (的小店, 官方, 工作室, a year, a number ...); at least
5 % of all names carry a region name, a title, an organ word or 官方.

Deterministic for a given seed (and registry / word-list versions). 1M names take well under a minute.
"""
from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_eval as me  # noqa: E402

DEFAULT_SEED = 7
# Share of each benign kind in the corpus.
KIND_MIX = {"person": 0.30, "word": 0.22, "latin": 0.22, "shop": 0.08, "hobby": 0.10, "trap": 0.08}
ZIPF_OFFSET, ZIPF_EXPONENT = 50, 0.9


def impostor_pool(k: int, rng: random.Random) -> list[str]:
    """About k distinct impostor names, spread over all techniques and the source-document examples."""
    names = [r[0] for r in me.source_document_rows()]
    seen = set(names)
    per = math.ceil(k / len(me.TECHNIQUES))
    for t in me.TECHNIQUES:
        names += [r[0] for r in me.generate_variants(t, per, random.Random(rng.random()), seen)]
    return names


def benign_pool(k: int, rng: random.Random, skip: set) -> list[str]:
    """k distinct benign names (fewer if a generator runs dry), kinds mixed by KIND_MIX, in random order."""
    gen = me.BenignGen(rng)
    kinds = list(KIND_MIX)
    weights = list(itertools.accumulate(KIND_MIX.values()))
    seen = set(skip)
    out: list[str] = []
    tries = 0
    while len(out) < k and tries < k * 20:
        tries += 1
        kind = rng.choices(kinds, cum_weights=weights)[0]
        name = gen.make(kind)
        if name in seen or not me.benign_ok(name, kind):
            continue
        seen.add(name)
        out.append(name)
    return out


DECORATED_SHARE = 0.35  # of the benign names with --distinct
# What handles put around their words (shop and studio endings, claims, years, numbers, separators).
DECORATIONS_AFTER = ["的小店", "小店", "工作室", "旗舰店", "日记", "生活", "官方", "本地", "的日常", "分享", "同城", "2024",
                     "2025", "88", "666", "_", "呀", "酱", "君", "家", "优选", "严选", "说"]
DECORATIONS_BEFORE = ["小", "大", "老", "阿", "我是", "爱", "@", "每日", "官方"]


def handle_pool(k: int, rng: random.Random, skip: set) -> list[str]:
    """k distinct handles from jieba's words (weighted by frequency), about a third of them with a region name, a
    title, a keyword or 官方 of the registry (四川美食分享, 张律师说法, 成都本地生活), the rest plain words with decorations."""
    from impostor import Detector
    from impostor.lexicon import read_table

    detector = Detector()
    table = read_table(detector.lexicon_dir / "words" / "jieba.tsv", required=("word", "freq"))
    ranked = sorted(((int(row["freq"]), row["word"]) for _, row in table.rows
                     if 2 <= len(row["word"]) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in row["word"])),
                    reverse=True)[:120_000]
    words = [w for _, w in ranked]
    weights = list(itertools.accumulate(math.log(f + 1) for f, _ in ranked))
    regions = sorted(r for r in detector.registry.regions if 2 <= len(r) <= 4)
    titles = sorted(t for t in detector.registry.titles if len(t) <= 4)
    keywords = sorted(w for w in detector.registry.keywords if 2 <= len(w) <= 3)
    surnames = me.SURNAMES
    seen, out, tries = set(skip), [], 0
    while len(out) < k and tries < k * 20:
        tries += 1
        word = rng.choices(words, cum_weights=weights)[0]
        r = rng.random()
        if r < 0.12:
            name = rng.choice(regions) + word + rng.choice(["", "", rng.choice(DECORATIONS_AFTER)])
        elif r < 0.18:
            name = rng.choice(surnames) + rng.choice(titles) + rng.choice(["", "说法", "工作室", "在线", word])
        elif r < 0.24:
            name = word + rng.choice(keywords) + rng.choice(["", rng.choice(DECORATIONS_AFTER)])
        elif r < 0.32:
            name = rng.choice([word + "官方", "官方" + word, word + "官方号"])
        elif r < 0.7:
            name = word + rng.choice(DECORATIONS_AFTER)
        elif r < 0.85:
            name = rng.choice(DECORATIONS_BEFORE) + word
        else:
            name = word + rng.choices(words, cum_weights=weights)[0]
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def generate_corpus(n: int = 1_000_000, seed: int = DEFAULT_SEED, impostor_share: float = 0.01,
                    distinct: bool = False) -> tuple[list[str], list[bool]]:
    """n names and, for each, whether it was planted as an impostor (all distinct with ``distinct``)."""
    rng = random.Random(seed)
    n_imp = round(n * impostor_share)
    imp = impostor_pool(max(1, n_imp), random.Random(rng.random())) if n_imp else []
    if distinct:
        imps = imp[:n_imp]
        handles = handle_pool(round((n - len(imps)) * DECORATED_SHARE), random.Random(rng.random()), set(imps))
        benign = benign_pool(n - len(imps) - len(handles), random.Random(rng.random()), set(imps) | set(handles))
        rows = [(x, False) for x in benign + handles] + [(x, True) for x in imps]
        rng.shuffle(rows)
        return [r[0] for r in rows], [r[1] for r in rows]
    pool = benign_pool(max(1, n // 3), random.Random(rng.random()), set(imp))
    cw = list(itertools.accumulate(1.0 / (i + ZIPF_OFFSET) ** ZIPF_EXPONENT for i in range(len(pool))))
    benign = rng.choices(pool, cum_weights=cw, k=n - n_imp)
    # impostors: each distinct one at least once where possible, the rest drawn with repetition
    imps = imp[:n_imp] + (rng.choices(imp, k=n_imp - len(imp)) if n_imp > len(imp) else [])
    rows = [(x, False) for x in benign] + [(x, True) for x in imps]
    rng.shuffle(rows)
    return [r[0] for r in rows], [r[1] for r in rows]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--impostor-share", type=float, default=0.01)
    ap.add_argument("--labels", type=Path, help="also write 1/0 per line: planted impostor or not")
    ap.add_argument("--distinct", action="store_true", help="every name distinct (see above)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    names, labels = generate_corpus(a.n, a.seed, a.impostor_share, a.distinct)
    with open(a.out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(names))
        fh.write("\n")
    if a.labels:
        a.labels.write_text("".join("1\n" if x else "0\n" for x in labels), encoding="utf-8")
    print(f"wrote {a.out}: {len(names)} names ({len(set(names))} distinct, {sum(labels)} planted impostors) "
          f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
