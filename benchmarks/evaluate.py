#!/usr/bin/env python3
"""Measure impostor on the labelled evaluation set, side by side with a naive fuzzy-matching baseline.

    python benchmarks/evaluate.py [--eval benchmarks/eval] [--corpus FILE | --corpus-n 100000]
                                  [--misses N] [--json OUT] [--baseline-sample 3000]
                                  [--heldout-only] [--miss-patterns 20] [--examples 5]

Prints Markdown tables:

1. per impostor technique: n, caught (block or review), blocked, identified (block with the right target,
   rows with a target only), for impostor and for the baseline;
2. false block and false review rates on the benign rows, overall and per kind;
3. impostor's block and review rates on a realistic corpus (benchmarks/corpus.py; 100,000 names generated
   in memory unless --corpus FILE is given);
4. the held-out set (benchmarks/make_heldout.py: heldout.tsv, benign_heldout.tsv, when present): per held-out
   source x technique n, caught, blocked, identified (also on 1- and 2-substitution rows), the substitution pairs
   missed most often, and false blocks / reviews on the held-out benign names with examples
   (benchmarks/heldout_report.py). ``--heldout-only`` prints only that part (a quick run).

Baseline rule (what a quick fuzzy matcher would do): the name and every registry form text
(``Detector().registry.forms``) are normalised with NFKC, OpenCC t2s and rapidfuzz's ``default_process``
(lower-case, non-alphanumerics to spaces, trim); ``rapidfuzz.process.extractOne`` with ``fuzz.WRatio`` finds the
best form; the baseline says **block** (target = that form's body) if the score is >= 90, else **pass**. It never
says review. It is slow, so it runs on a deterministic sample of at most --baseline-sample impostor rows and as
many benign rows (the sample sizes are printed).
"""
from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import time
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import heldout_report as heldout  # noqa: E402
from tables import pct, pctn, rate, read_tsv  # noqa: E402

BASELINE_THRESHOLD = 90


class Baseline:
    """NFKC + t2s + WRatio against every registry form; block at >= 90."""

    def __init__(self, registry):
        import opencc
        from rapidfuzz import utils
        self._t2s = opencc.OpenCC("t2s")
        self._proc = utils.default_process
        self.choices, self.bodies = [], []
        seen = set()
        for f in registry.forms:
            key = self.norm(f.text)
            if key and key not in seen:
                seen.add(key)
                self.choices.append(key)
                self.bodies.append(f.body.name)

    def norm(self, s: str) -> str:
        return self._proc(self._t2s.convert(unicodedata.normalize("NFKC", s)))

    def check(self, name: str) -> tuple[str, str | None, float, str]:
        from rapidfuzz import fuzz, process
        q = self.norm(name)
        if not q:
            return "pass", None, 0.0, ""
        best = process.extractOne(q, self.choices, scorer=fuzz.WRatio, processor=None)
        if best is None:
            return "pass", None, 0.0, ""
        _, score, idx = best
        if score >= BASELINE_THRESHOLD:
            return "block", self.bodies[idx], score, self.choices[idx]
        return "pass", None, score, self.choices[idx]


def sample_indices(n: int, k: int, seed: int) -> list[int]:
    if n <= k:
        return list(range(n))
    return sorted(random.Random(seed).sample(range(n), k))


def short_reasons(v) -> str:
    return "; ".join(v.reasons[:4])


def standard_report(det, a, out: dict) -> None:
    """The tables on impostors.tsv and benign.tsv, the realistic corpus and the misses (the report before
    the held-out set existed; unchanged)."""
    imp = read_tsv(a.eval / "impostors.tsv")
    ben = read_tsv(a.eval / "benign.tsv")

    t0 = time.perf_counter()
    iv = det.check_many([r["name"] for r in imp])
    bv = det.check_many([r["name"] for r in ben])
    dt = time.perf_counter() - t0
    out["eval_rows"] = {"impostors": len(imp), "benign": len(ben)}
    out["impostor_check_s"] = round(dt, 2)

    base = Baseline(det.registry)
    t0 = time.perf_counter()
    isamp = sample_indices(len(imp), a.baseline_sample, 1)
    bsamp = sample_indices(len(ben), a.baseline_sample, 2)
    ib = {i: base.check(imp[i]["name"]) for i in isamp}
    bb = {i: base.check(ben[i]["name"]) for i in bsamp}
    out["baseline_s"] = round(time.perf_counter() - t0, 2)
    out["baseline_sample"] = {"impostors": len(isamp), "benign": len(bsamp)}

    # ---------------------------------------------------------------- impostor techniques
    order = list(dict.fromkeys(r["technique"] for r in imp))
    by_t: dict[str, list[int]] = collections.defaultdict(list)
    for i, r in enumerate(imp):
        by_t[r["technique"]].append(i)

    def tally(idx: list[int]) -> dict:
        n = len(idx)
        tgt = [i for i in idx if imp[i]["target"]]
        caught = sum(iv[i].decision != "pass" for i in idx)
        blocked = sum(iv[i].decision == "block" for i in idx)
        ident = sum(iv[i].decision == "block" and iv[i].target == imp[i]["target"] for i in tgt)
        bidx = [i for i in idx if i in ib]
        btgt = [i for i in bidx if imp[i]["target"]]
        bcaught = sum(ib[i][0] == "block" for i in bidx)
        bident = sum(ib[i][0] == "block" and ib[i][1] == imp[i]["target"] for i in btgt)
        return {"n": n, "with_target": len(tgt), "caught": rate(caught, n), "blocked": rate(blocked, n),
                "identified": rate(ident, len(tgt)),
                "baseline_n": len(bidx), "baseline_caught": rate(bcaught, len(bidx)),
                "baseline_identified": rate(bident, len(btgt)),
                "_c": (caught, blocked, ident, len(tgt), bcaught, bident, len(bidx), len(btgt))}

    def fmt_row(name: str, t: dict) -> str:
        c, b, i, nt, bc, bi, bn, bnt = t["_c"]
        return (f"| {name} | {t['n']} | {pct(c, t['n'])} | {pct(b, t['n'])} | {pct(i, nt)} "
                f"| {pct(bc, bn)} | {pct(bi, bnt)} |")

    print(f"## Impostors ({len(imp)} rows; impostor on all, baseline on {len(isamp)})\n")
    print("caught = block or review; blocked = block; identified = block with the right target "
          "(rows with a target). The baseline only blocks, so its caught = its block rate.\n")
    print("| technique | n | impostor caught | impostor blocked | impostor identified | baseline caught "
          "| baseline identified |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    out["techniques"] = {}
    for t in order:
        tt = tally(by_t[t])
        out["techniques"][t] = {k: v for k, v in tt.items() if not k.startswith("_")}
        print(fmt_row(t, tt))
    gen_idx = [i for i, r in enumerate(imp) if r["technique"] != "source-document"]
    tt = tally(gen_idx)
    out["techniques"]["all generated variants"] = {k: v for k, v in tt.items() if not k.startswith("_")}
    print(fmt_row("**all generated variants**", tt))
    tt = tally(list(range(len(imp))))
    out["techniques"]["all rows"] = {k: v for k, v in tt.items() if not k.startswith("_")}
    print(fmt_row("**all rows**", tt))
    rv = [i for i, r in enumerate(imp) if r["expected"] == "review"]
    bl = [i for i, r in enumerate(imp) if r["expected"] == "block"]
    exp_ok = {"block": sum(iv[i].decision == "block" for i in bl), "review": sum(iv[i].decision == "review" for i in rv)}
    print(f"\nExpected decision met exactly: block rows {pct(exp_ok['block'], len(bl))} of {len(bl)}, "
          f"review rows {pct(exp_ok['review'], len(rv))} of {len(rv)}.")
    out["expected_met"] = {"block": rate(exp_ok["block"], len(bl)), "review": rate(exp_ok["review"], len(rv))}

    # ---------------------------------------------------------------- benign
    kinds = list(dict.fromkeys(r["kind"] for r in ben))
    by_k: dict[str, list[int]] = collections.defaultdict(list)
    for i, r in enumerate(ben):
        by_k[r["kind"]].append(i)

    def btally(idx: list[int]) -> tuple[dict, str]:
        n = len(idx)
        fb = sum(bv[i].decision == "block" for i in idx)
        fr = sum(bv[i].decision == "review" for i in idx)
        bidx = [i for i in idx if i in bb]
        bfb = sum(bb[i][0] == "block" for i in bidx)
        d = {"n": n, "false_block": rate(fb, n), "false_review": rate(fr, n), "baseline_n": len(bidx),
             "baseline_false_block": rate(bfb, len(bidx))}
        return d, f"| {{}} | {n} | {pctn(fb, n)} | {pctn(fr, n)} | {pctn(fb + fr, n)} | {pctn(bfb, len(bidx))} |"

    print(f"\n## Benign names ({len(ben)} rows; impostor on all, baseline on {len(bsamp)})\n")
    print("| kind | n | impostor false block | impostor false review | impostor flagged | baseline false block |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    out["benign"] = {}
    for k in kinds:
        d, line = btally(by_k[k])
        out["benign"][k] = d
        print(line.format(k))
    d, line = btally(list(range(len(ben))))
    out["benign"]["all"] = d
    print(line.format("**all**"))

    # ---------------------------------------------------------------- corpus
    if a.corpus:
        names = a.corpus.read_text(encoding="utf-8").splitlines()
        labels = None
        if a.corpus_labels:
            labels = [x.strip() == "1" for x in a.corpus_labels.read_text(encoding="utf-8").splitlines()]
            if len(labels) != len(names):
                raise SystemExit(f"{a.corpus_labels}: {len(labels)} labels for {len(names)} names")
        src = str(a.corpus)
    else:
        import corpus as corpus_mod
        t0 = time.perf_counter()
        names, labels = corpus_mod.generate_corpus(a.corpus_n)
        src = f"generated in memory by benchmarks/corpus.py (n={a.corpus_n}, seed {corpus_mod.DEFAULT_SEED})"
        out["corpus_generate_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    cv = det.check_many(names)
    dt = time.perf_counter() - t0
    n = len(names)
    dec = collections.Counter(v.decision for v in cv)
    out["corpus"] = {"source": src, "n": n, "distinct": len(set(names)), "block_rate": rate(dec["block"], n),
                     "review_rate": rate(dec["review"], n), "check_s": round(dt, 2),
                     "names_per_min": round(n / dt * 60) if dt else None}
    print(f"\n## Realistic corpus ({n} names, {len(set(names))} distinct; {src})\n")
    print("| population | n | block | review | pass |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| all names | {n} | {pctn(dec['block'], n)} | {pctn(dec['review'], n)} | {pctn(dec['pass'], n)} |")
    if labels is not None:
        for lab, name in ((True, "planted impostors"), (False, "benign names")):
            idx = [i for i, x in enumerate(labels) if x == lab]
            c = collections.Counter(cv[i].decision for i in idx)
            m = len(idx)
            out["corpus"][name.replace(" ", "_")] = {"n": m, "block_rate": rate(c["block"], m),
                                                     "review_rate": rate(c["review"], m)}
            print(f"| {name} | {m} | {pctn(c['block'], m)} | {pctn(c['review'], m)} | {pctn(c['pass'], m)} |")
    print(f"\nimpostor screened the corpus in {dt:.1f} s ({n / dt * 60:,.0f} names/min, one process).")

    # ---------------------------------------------------------------- misses
    if a.misses:
        N = a.misses
        print(f"\n## Misses (up to {N} per technique / kind)\n")
        print("Impostor rows not handled as expected (block rows: not blocked or wrong target; review rows: pass):\n")
        for t in order:
            miss = []
            for i in by_t[t]:
                r, v = imp[i], iv[i]
                bad = (v.decision == "pass") if r["expected"] == "review" else (
                    v.decision != "block" or (r["target"] and v.target != r["target"]))
                if bad:
                    miss.append(i)
            if not miss:
                continue
            print(f"- **{t}** ({len(miss)} of {len(by_t[t])})")
            for i in miss[:N]:
                r, v = imp[i], iv[i]
                print(f"  - `{r['name']}` → want {r['expected']} {r['target'] or ''}; got {v.decision} "
                      f"{v.target or ''} ({v.score:.2f}): {short_reasons(v)}")
        print("\nBenign rows flagged (block or review):\n")
        for k in kinds:
            flag = [i for i in by_k[k] if bv[i].decision != "pass"]
            if not flag:
                continue
            print(f"- **{k}** ({len(flag)} of {len(by_k[k])})")
            for i in flag[:N]:
                v = bv[i]
                print(f"  - `{ben[i]['name']}` → {v.decision} {v.target or ''} ({v.score:.2f}): {short_reasons(v)}")
        print("\nBaseline false blocks on benign rows (first few):\n")
        shown = 0
        for i in bsamp:
            if bb[i][0] == "block" and shown < N:
                print(f"  - `{ben[i]['name']}` ({ben[i]['kind']}) ~ `{bb[i][3]}` {bb[i][2]:.0f}")
                shown += 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval", type=Path, default=HERE / "eval",
                    help="folder with impostors.tsv and benign.tsv (and heldout.tsv, benign_heldout.tsv)")
    ap.add_argument("--corpus", type=Path, help="a corpus file, one name per line (default: generate in memory)")
    ap.add_argument("--corpus-labels", type=Path, help="1/0 per line for --corpus (corpus.py --labels)")
    ap.add_argument("--corpus-n", type=int, default=100_000, help="size of the generated corpus (default 100000)")
    ap.add_argument("--baseline-sample", type=int, default=3000)
    ap.add_argument("--misses", type=int, default=0, metavar="N",
                    help="print up to N missed impostor rows per technique and N flagged benign rows per kind")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write the numbers as JSON")
    ap.add_argument("--lexicons", type=Path, metavar="DIR",
                    help="screen with this lexicon folder (default: the shipped one), e.g. one built without a source")
    ap.add_argument("--heldout-only", action="store_true",
                    help="only the held-out tables (heldout.tsv, benign_heldout.tsv): a quick run")
    ap.add_argument("--miss-patterns", type=int, default=20, metavar="N",
                    help="list the N substitution pairs the held-out rows miss most often (default 20, 0: none)")
    ap.add_argument("--examples", type=int, default=5, metavar="N",
                    help="examples per kind of held-out benign names flagged (default 5)")
    a = ap.parse_args(argv)

    from impostor import Detector
    t0 = time.perf_counter()
    det = Detector(lexicons=a.lexicons) if a.lexicons else Detector()
    out: dict = {"detector_load_s": round(time.perf_counter() - t0, 2)}

    if not a.heldout_only:
        standard_report(det, a, out)
    heldout.report(det, a.eval, out, required=a.heldout_only, miss_patterns=a.miss_patterns,
                   examples=max(a.examples, a.misses))

    if a.json:
        a.json.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nwrote {a.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
