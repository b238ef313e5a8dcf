"""Fuzzy matching for "Perhaps you meant …" hints, as Haskell's Data.FuzzySet (fuzzyset.js).

Candidates sharing n-grams (3, then 2) with the query are ranked by Levenshtein
similarity, 1 - distance / longest length; the best one at or above `min_score` wins.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable


def _grams(text: str, n: int) -> Counter[str]:
    padded = f"-{text.lower()}-"
    if len(padded) < n:
        return Counter()
    return Counter(padded[i : i + n] for i in range(len(padded) - n + 1))


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    if not dot:
        return 0.0
    return dot / (
        math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    )


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def best(query: str, choices: Iterable[str], min_score: float) -> str | None:
    options = list(dict.fromkeys(choices))
    lowered = query.lower()
    for option in options:
        if option.lower() == lowered:
            return option
    for n in (3, 2):
        q = _grams(query, n)
        candidates = [o for o in options if _cosine(q, _grams(o, n)) > 0]
        if not candidates:
            continue
        scored = []
        for option in candidates:
            longest = max(len(option), len(query)) or 1
            scored.append((1 - levenshtein(option.lower(), lowered) / longest, option))
        scored = [s for s in scored if s[0] >= min_score]
        if scored:
            scored.sort(key=lambda s: -s[0])
            return scored[0][1]
    return None
