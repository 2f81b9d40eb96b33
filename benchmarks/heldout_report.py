"""Held-out part of benchmarks/evaluate.py: tables on eval/heldout.tsv and eval/benign_heldout.tsv
(written by benchmarks/make_heldout.py from sources impostor's character tables do not use).

* per held-out source x technique: n, caught (block or review), blocked, identified (block with the right target),
  identified on 1- and on 2-substitution rows;
* on the held-out benign names: false blocks and false reviews per kind, with examples;
* the substitution pairs that the 1-substitution rows miss most often (not identified), for whoever improves the
  character tables. Never tune on these sets: they exist to be held out.
"""
from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

from tables import pct, pctn, rate, read_tsv


GPL_FILE = "heldout_gpl.tsv"  # see make_heldout.GPL_SOURCES


def _nsubs(row: dict) -> int:
    return len(row.get("subs", "").split())


def report(det, eval_dir: Path, out: dict, *, required: bool = False, miss_patterns: int = 20,
           examples: int = 5) -> None:
    imp_path, ben_path = eval_dir / "heldout.tsv", eval_dir / "benign_heldout.tsv"
    missing = [p for p in (imp_path, ben_path) if not p.exists()]
    if missing:
        msg = ", ".join(str(p) for p in missing) + " missing: run python benchmarks/make_heldout.py"
        if required:
            raise SystemExit(msg)
        print(f"\n(held-out set skipped: {msg})")
        return
    imp, ben = read_tsv(imp_path), read_tsv(ben_path)
    gpl_path = eval_dir / GPL_FILE  # rows from GPL-3.0 data: made on this machine, never committed
    if gpl_path.exists():
        imp += read_tsv(gpl_path)
    else:
        print(f"\n(held-out rows from GPL-3.0 sources skipped: {gpl_path} missing; python benchmarks/make_heldout.py "
              "writes it)")
    t0 = time.perf_counter()
    iv = det.check_many([r["name"] for r in imp])
    bv = det.check_many([r["name"] for r in ben])
    check_s = round(time.perf_counter() - t0, 2)

    def ident(i: int) -> bool:
        return iv[i].decision == "block" and iv[i].target == imp[i]["target"]

    def tally(idx: list[int]) -> dict:
        one = [i for i in idx if _nsubs(imp[i]) == 1]
        two = [i for i in idx if _nsubs(imp[i]) == 2]
        c = sum(iv[i].decision != "pass" for i in idx)
        b = sum(iv[i].decision == "block" for i in idx)
        d = sum(ident(i) for i in idx)
        d1, d2 = sum(ident(i) for i in one), sum(ident(i) for i in two)
        return {"n": len(idx), "caught": rate(c, len(idx)), "blocked": rate(b, len(idx)),
                "identified": rate(d, len(idx)), "n_1sub": len(one), "identified_1sub": rate(d1, len(one)),
                "n_2sub": len(two), "identified_2sub": rate(d2, len(two)),
                "_line": f"{len(idx)} | {pct(c, len(idx))} | {pct(b, len(idx))} | {pct(d, len(idx))} "
                         f"| {pct(d1, len(one))} | {pct(d2, len(two))} |"}

    def clean(t: dict) -> dict:
        return {k: v for k, v in t.items() if not k.startswith("_")}

    groups: dict[tuple, list[int]] = collections.defaultdict(list)
    by_tech: dict[str, list[int]] = collections.defaultdict(list)
    for i, r in enumerate(imp):
        groups[(r["source"], r["technique"])].append(i)
        by_tech[r["technique"]].append(i)

    print(f"\n## Held-out set ({len(imp)} impostor rows, {len(ben)} benign rows; character pairs from sources "
          f"impostor's tables do not use, see benchmarks/make_heldout.py)\n")
    print("caught = block or review; identified = block with the right target; 1 sub / 2 subs = identified on the "
          "rows with one / two substituted characters.\n")
    print("| source | technique | n | caught | blocked | identified | identified, 1 sub | identified, 2 subs |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    res: dict = {"file": str(imp_path), "rows": len(imp), "check_s": check_s, "by_source_technique": {},
                 "by_technique": {}}
    for (src, tech), idx in groups.items():
        t = tally(idx)
        res["by_source_technique"][f"{src}/{tech}"] = clean(t)
        print(f"| {src} | {tech} | {t['_line']}")
    for tech, idx in by_tech.items():
        t = tally(idx)
        res["by_technique"][tech] = clean(t)
        print(f"| **all sources** | **{tech}** | {t['_line']}")
    t = tally(list(range(len(imp))))
    res["all"] = clean(t)
    print(f"| **all held-out** | | {t['_line']}")

    # ---------------------------------------------------------------- miss patterns
    if miss_patterns:
        stat: dict[tuple, collections.Counter] = collections.defaultdict(collections.Counter)
        srcs: dict[tuple, set] = collections.defaultdict(set)
        examples_of: dict[tuple, str] = {}
        for i, r in enumerate(imp):
            if _nsubs(r) != 1:
                continue
            key = (r["subs"], r["technique"])
            srcs[key].add(r["source"])
            stat[key]["rows"] += 1
            if not ident(i):
                v = iv[i]
                stat[key]["missed"] += 1
                stat[key]["passed" if v.decision == "pass" else "reviewed" if v.decision == "review"
                          else "other target"] += 1
                examples_of.setdefault(key, r["name"])
        top = sorted((k for k in stat if stat[k]["missed"]),
                     key=lambda k: (-stat[k]["missed"], -stat[k]["missed"] / stat[k]["rows"], k))[:miss_patterns]
        n_missed_pairs = sum(1 for k in stat if stat[k]["missed"])
        print(f"\n### Held-out miss patterns ({len(top)} most frequent of {n_missed_pairs} pairs missed; "
              f"1-substitution rows not identified)\n")
        print("| pair | technique | sources | missed | of rows | passed | reviewed | other target | example |")
        print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
        res["miss_patterns"] = []
        for k in top:
            s = stat[k]
            print(f"| {k[0]} | {k[1]} | {', '.join(sorted(srcs[k]))} | {s['missed']} | {s['rows']} | {s['passed']} "
                  f"| {s['reviewed']} | {s['other target']} | `{examples_of[k]}` |")
            res["miss_patterns"].append({"pair": k[0], "technique": k[1], "sources": sorted(srcs[k]),
                                         "missed": s["missed"], "rows": s["rows"], "passed": s["passed"],
                                         "reviewed": s["reviewed"], "other_target": s["other target"],
                                         "example": examples_of[k]})
        # the same misses by the registry character that was replaced (which characters' disguises go unread)
        cstat: dict[tuple, collections.Counter] = collections.defaultdict(collections.Counter)
        cparts: dict[tuple, collections.Counter] = collections.defaultdict(collections.Counter)
        for (pair, tech), st in stat.items():
            orig, repl = pair.split(">")
            cstat[(orig, tech)]["rows"] += st["rows"]
            cstat[(orig, tech)]["missed"] += st["missed"]
            if st["missed"]:
                cparts[(orig, tech)][repl] += st["missed"]
        ctop = sorted((k for k in cstat if cstat[k]["missed"]),
                      key=lambda k: (-cstat[k]["missed"], -cstat[k]["missed"] / cstat[k]["rows"], k))[:miss_patterns]
        print(f"\nThe same misses by the registry character replaced ({len(ctop)} most frequent):\n")
        print("| character | technique | missed | of rows | replacements missed (count) |")
        print("| --- | --- | ---: | ---: | --- |")
        res["miss_characters"] = []
        for k in ctop:
            parts = " ".join(f"{c}({n})" for c, n in sorted(cparts[k].items(), key=lambda x: (-x[1], x[0])))
            print(f"| {k[0]} | {k[1]} | {cstat[k]['missed']} | {cstat[k]['rows']} | {parts} |")
            res["miss_characters"].append({"character": k[0], "technique": k[1], "missed": cstat[k]["missed"],
                                           "rows": cstat[k]["rows"], "replacements": dict(cparts[k])})
    out["heldout"] = res

    # ---------------------------------------------------------------- held-out benign
    by_kind: dict[str, list[int]] = collections.defaultdict(list)
    for i, r in enumerate(ben):
        by_kind[r["kind"]].append(i)

    def btally(idx: list[int]) -> tuple[dict, str]:
        fb = sum(bv[i].decision == "block" for i in idx)
        fr = sum(bv[i].decision == "review" for i in idx)
        n = len(idx)
        return ({"n": n, "false_block": rate(fb, n), "false_review": rate(fr, n)},
                f"{n} | {pctn(fb, n)} | {pctn(fr, n)} | {pctn(fb + fr, n)} |")

    print(f"\n### Held-out benign names ({len(ben)} rows, {ben_path.name})\n")
    print("| kind | source | n | false block | false review | flagged |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    bres: dict = {"file": str(ben_path), "rows": len(ben), "by_kind": {}, "examples": {}}
    for k, idx in by_kind.items():
        d, line = btally(idx)
        d["source"] = ben[idx[0]].get("source", "")
        bres["by_kind"][k] = d
        print(f"| {k} | {d['source']} | {line}")
    d, line = btally(list(range(len(ben))))
    bres["all"] = d
    print(f"| **all** | | {line}")
    if examples:
        print(f"\nHeld-out benign names flagged (up to {examples} per kind and decision):\n")
        for k, idx in by_kind.items():
            flagged = [i for i in idx if bv[i].decision != "pass"]
            if not flagged:
                continue
            blocks = [i for i in flagged if bv[i].decision == "block"]
            reviews = [i for i in flagged if bv[i].decision == "review"]
            print(f"- **{k}** ({len(blocks)} blocked, {len(reviews)} reviewed of {len(idx)})")
            ex = []
            for i in blocks[:examples] + reviews[:examples]:
                v = bv[i]
                print(f"  - `{ben[i]['name']}` → {v.decision} {v.target or ''} ({v.score:.2f}): "
                      f"{'; '.join(v.reasons[:4])}")
                ex.append({"name": ben[i]["name"], "decision": v.decision, "target": v.target,
                           "score": round(v.score, 3), "reasons": list(v.reasons[:4])})
            bres["examples"][k] = ex
    out["benign_heldout"] = bres
    print(f"\nimpostor checked the held-out rows in {check_s:.1f} s.", file=sys.stderr)
