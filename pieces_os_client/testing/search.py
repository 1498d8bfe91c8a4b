"""Search: an exact phrase beats every word matching, which beats a near miss."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import FrozenSet, Iterable, List, Optional, Sequence, Tuple

from pieces_os_client.testing.records import WORD, AssetRecord


@dataclass(frozen=True)
class Hit:
    record: AssetRecord
    score: float
    exact: bool
    match: str  # a SearchedMatchEnum value


_FIELD_WEIGHT = {"TITLE": 1.0, "TAGS": 0.95, "CONTENT": 0.9, "WEBSITES": 0.85}
_FUZZY_THRESHOLD = 0.75


def _token_score(token: str, words: Iterable[str]) -> Tuple[float, bool]:
    """How well one query word matches a set of words: (score, matched without fuzz)."""
    best = 0.0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(token)
    for word in words:
        if token in word:
            return 1.0, True
        matcher.set_seq1(word)
        if matcher.real_quick_ratio() < _FUZZY_THRESHOLD or matcher.quick_ratio() < _FUZZY_THRESHOLD:
            continue
        best = max(best, matcher.ratio())
    return best, False


def _words(record: AssetRecord, key: str, casing: bool) -> FrozenSet[str]:
    if casing:
        return frozenset(WORD.findall(record.fields()[key]))
    return record.words[key]


def rank(record: AssetRecord, query: str, casing: bool = False) -> Optional[Hit]:
    """Score one asset against a query: an exact phrase beats every word matching, which beats fuzz.

    Name, tags, content and websites are searched; None when some query word matches nowhere.
    """
    needle = query if casing else query.lower()
    fields = record.fields()
    exact_in = [
        key for key, value in fields.items() if needle and needle in (value if casing else value.lower())
    ]
    if exact_in:
        score = max(_FIELD_WEIGHT[key] for key in exact_in)
        if len(exact_in) > 1:
            score = min(1.0, score + 0.02 * (len(exact_in) - 1))
        return Hit(record, round(score, 4), True, exact_in[0] if len(exact_in) == 1 else "MULTIPLE")
    tokens = WORD.findall(needle)
    if not tokens:
        return None
    matched_in = set()
    fuzzy = False
    total = 0.0
    for token in tokens:
        best_score, best_key, best_plain = 0.0, "", False
        for key in fields:
            token_score, plain = _token_score(token, _words(record, key, casing))
            token_score *= _FIELD_WEIGHT[key]
            if token_score > best_score:
                best_score, best_key, best_plain = token_score, key, plain
        if best_score < _FUZZY_THRESHOLD * min(_FIELD_WEIGHT.values()):
            return None
        matched_in.add(best_key)
        fuzzy = fuzzy or not best_plain
        total += best_score
    score = 0.8 * total / len(tokens)
    match = "FUZZY" if fuzzy else (matched_in.pop() if len(matched_in) == 1 else "MULTIPLE")
    return Hit(record, round(score, 4), False, match)


def search(records: Sequence[AssetRecord], query: str, casing: bool = False) -> List[Hit]:
    """The assets matching ``query``, best first (ties keep creation order)."""
    hits = [hit for hit in (rank(record, query, casing) for record in records) if hit is not None]
    hits.sort(key=lambda hit: (not hit.exact, -hit.score))
    return hits


def search_tags(records: Sequence[AssetRecord], tags: Sequence[str]) -> List[Hit]:
    """Assets carrying any of ``tags`` (case-insensitive), those carrying the most first."""
    wanted = {tag.strip().lower() for tag in tags if tag.strip()}
    hits = []
    for record in records:
        have = {tag.lower() for tag in record.tags}
        shared = len(wanted & have)
        if shared:
            hits.append(Hit(record, round(shared / len(wanted), 4), shared == len(wanted), "TAGS"))
    hits.sort(key=lambda hit: (not hit.exact, -hit.score))
    return hits
