"""Scoring a draft against hand labels (issue 14's rule): tasks paired by STT (the closest content among
those with the same STT), else by content similarity; then task recall and precision, the share of paired
tasks whose lead is right (the same agencies in the directory, else the same words) and whose deadline
phrase is exactly the one written."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from intake.directive.text import fold, similarity

PAIR_BY_CONTENT = 0.5  # Dice word overlap needed to pair two tasks whose STT differ


@dataclass
class Score:
    gold: int
    predicted: int
    paired: int
    lead_ok: int
    deadline_ok: int
    misses: list[str]

    @property
    def recall(self) -> float:
        return self.paired / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.paired / self.predicted if self.predicted else 1.0

    @property
    def lead(self) -> float:
        return self.lead_ok / self.paired if self.paired else 0.0

    @property
    def deadline(self) -> float:
        return self.deadline_ok / self.paired if self.paired else 0.0

    def __add__(self, other: "Score") -> "Score":
        return Score(self.gold + other.gold, self.predicted + other.predicted, self.paired + other.paired,
                     self.lead_ok + other.lead_ok, self.deadline_ok + other.deadline_ok, self.misses + other.misses)


def _phrase(s: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", s or "").split()).strip(" .;,")


def _words(s: str) -> str:
    return " ".join(re.findall(r"\w+", fold(re.sub(r"\([^)]*\)", "", s or ""))))


def same_lead(a: str, b: str, directory=None, on=None) -> bool:
    if _words(a) == _words(b):
        return True
    if directory is None or not a or not b:
        return False
    try:
        return set(directory.match(a, on).codes) == set(directory.match(b, on).codes) != set()
    except Exception:  # an unknown agency on either side: only the words can agree
        return False


def pairs(gold: list[dict], predicted: list[dict]) -> list[tuple[dict, dict]]:
    """The (gold, predicted) tasks `score` pairs."""
    return _pair(gold, predicted)[0]


def _pair(gold: list[dict], predicted: list[dict]) -> tuple[list[tuple[dict, dict]], list[dict], list[int]]:
    free = list(range(len(predicted)))
    pairs: list[tuple[dict, dict]] = []
    unpaired: list[dict] = []
    for g in gold:
        same = [i for i in free if str(predicted[i].get("stt")) == str(g.get("stt"))]
        if same:
            best = max(same, key=lambda i: similarity(g["content"], predicted[i]["content"]))
        else:
            cands = [(similarity(g["content"], predicted[i]["content"]), i) for i in free]
            sim, best = max(cands) if cands else (0.0, None)
            if sim < PAIR_BY_CONTENT:
                best = None
        if best is None:
            unpaired.append(g)
            continue
        free.remove(best)
        pairs.append((g, predicted[best]))
    return pairs, unpaired, free


def score(gold: list[dict], predicted: list[dict], *, directory=None, on=None) -> Score:
    """`gold` and `predicted`: dicts with stt, content, lead, deadline."""
    pairs, unpaired, free = _pair(gold, predicted)
    misses = [f"missed {g.get('stt')}: {g['content'][:60]}" for g in unpaired]
    misses += [f"extra {predicted[i].get('stt')}: {predicted[i]['content'][:60]}" for i in free]
    lead_ok = deadline_ok = 0
    for g, p in pairs:
        if same_lead(g.get("lead") or "", p.get("lead") or "", directory, on):
            lead_ok += 1
        else:
            misses.append(f"lead {g.get('stt')}: {g.get('lead')!r} ≠ {p.get('lead')!r}")
        if _phrase(g.get("deadline")) == _phrase(p.get("deadline")):
            deadline_ok += 1
        else:
            misses.append(f"deadline {g.get('stt')}: {g.get('deadline')!r} ≠ {p.get('deadline')!r}")
    return Score(len(gold), len(predicted), len(pairs), lead_ok, deadline_ok, misses)
