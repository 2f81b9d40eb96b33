"""The whole trace of one name, from the raw string to the decision, for people (``impostor explain``)."""

from __future__ import annotations

import unicodedata

from .chars import is_han
from .decide import op_reason
from .detector import Detector


def _char(ch: str) -> str:
    name = "" if is_han(ch) else unicodedata.name(ch, "")
    shown = ch if ch.isprintable() and not ch.isspace() else " "
    return f"{shown} U+{ord(ch):04X} {name}".rstrip()


def explain(detector: Detector, name: str, account_id: str | None = None) -> list[str]:
    normalized = detector.normalize(name)
    evidence = detector.evidence(normalized, detail=True)
    verdict = detector.check(name, account_id)
    lines = [f"name: {name}", "", "1. characters (each folding step, in layer order)"]
    for ch in dict.fromkeys(name):
        fold = detector.tables.fold(ch)
        steps = ", ".join(f"{src}→{dst or '∅'} {channel}" for src, dst, channel in fold.steps) or "unchanged"
        lines.append(f"   {_char(ch)}: {steps}")
    lines += ["", "2. normalized",
              f"   variant:  {normalized.variant}",
              f"   skeleton: {normalized.skeleton}",
              f"   phonetic: {normalized.phonetic}",
              "   tokens:   " + "  ".join(
                  f"{t.text}[{t.kind}{'' if t.visual == t.text else ' ~' + t.visual}"
                  f"{' ' + '/'.join(t.readings) if t.readings and t.kind != 'syllable' else ''}]"
                  for t in normalized.tokens)]
    dropped: list = []
    detector.decider.decide(evidence, dropped)
    why_dropped = {(form.id, a.start, a.end, a.cost): why for form, a, why in dropped}
    lines += ["", f"3. candidates from the key-bigram search: {len(evidence.alignments)}"]
    ranked = sorted(evidence.alignments, key=lambda fa: detector.costs.score(fa[1].cost, fa[0].length), reverse=True)
    for form, alignment in ranked:
        budget = detector.costs.budget(form.length)
        score = detector.costs.score(alignment.cost, form.length)
        ops = ", ".join(op_reason(op) for op in alignment.ops if op.channel != "identical") or "exact"
        flag = "within budget" if alignment.cost <= budget + 1e-9 else "over budget"
        lines.append(f"   {form.text:<12} → {form.body.name} ({form.body.category}{', weak' if form.weak else ''}): "
                     f"cost {alignment.cost:.2f} / budget {budget:.2f} ({flag}), score {score:.2f}, "
                     f"tokens {alignment.start}–{alignment.end}: {ops}")
        why = why_dropped.get((form.id, alignment.start, alignment.end, alignment.cost))
        if why is not None:
            lines.append(f"      dropped: {why}")
    for start, end, forms in evidence.initials:
        lines.append(f"   initials {''.join(t.text for t in normalized.tokens[start:end])} → "
                     + ", ".join(f.body.name for f in forms))
    lines += ["", "4. words, regions and patterns"]
    for hit, pattern, region in evidence.patterns:
        lines.append(f"   pattern  {hit.text}: {pattern.text} with {region.label} ({pattern.category})")
    for hit, names in evidence.regions:
        lines.append(f"   region   {hit.text}: " + ", ".join(
            r.label + (" [ordinary word]" if r.common_word else "") for r in names))
    for _, word in evidence.titles:
        lines.append(f"   title    {word.text} ({word.group})")
    for _, word in evidence.keywords:
        lines.append(f"   keyword  {word.text} ({word.category}, {word.strength})")
    if len(lines) and lines[-1] == "4. words, regions and patterns":
        lines.append("   none")
    lines += ["", f"5. decision: {verdict.decision} {verdict.score:.2f} {verdict.category or ''} {verdict.target or ''}".rstrip()]
    lines += [f"   - {r}" for r in verdict.reasons]
    return lines
