"""Search: an exact phrase beats every word matching, which beats a near miss.

Words are compared with the parts of identifiers too (``parse_config_file`` and
``parseConfigFile`` hold "config"), so a query with a letter missing ("confg") finds code.
Near misses are scored by rapidfuzz against the vocabulary of the assets searched, once per
query word, so that the cost per asset is a few set lookups.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from rapidfuzz import fuzz, process

from pieces_os_client.testing.records import WORD, AssetRecord, words_of


@dataclass(frozen=True)
class Hit:
    record: AssetRecord
    score: float
    exact: bool
    match: str  # a SearchedMatchEnum value


_FIELD_WEIGHT = {"TITLE": 1.0, "TAGS": 0.95, "CONTENT": 0.9, "WEBSITES": 0.85}
# rapidfuzz's normalized similarity (0-100) a word needs to count as a near miss: one letter
# missing from a six-letter word is 91, one wrong in four letters is 75.
_FUZZY_CUTOFF = 75.0
_WHOLE_WORD = 1.0  # the query word appears inside the word

# For each query word: the words that match it, with (similarity 0-1, matched without fuzz).
Candidates = Dict[str, Tuple[float, bool]]


def _candidates(token: str, vocabulary: Sequence[str]) -> Candidates:
    found: Candidates = {word: (_WHOLE_WORD, True) for word in vocabulary if token in word}
    for word, similarity, _ in process.extract(
        token, vocabulary, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=None
    ):
        found.setdefault(word, (similarity / 100.0, False))
    return found


def _words(record: AssetRecord, casing: bool) -> Dict[str, FrozenSet[str]]:
    if casing:
        return {key: words_of(value) for key, value in record.fields().items()}
    return record.words


def _fields(record: AssetRecord, casing: bool) -> Dict[str, str]:
    return record.fields() if casing else record.lowered


def _best(candidates: Candidates, words: FrozenSet[str]) -> Tuple[float, bool]:
    best, plain = 0.0, False
    if len(candidates) < len(words):
        shared = [word for word in candidates if word in words]
    else:
        shared = [word for word in words if word in candidates]
    for word in shared:
        similarity, whole = candidates[word]
        if similarity > best or (similarity == best and whole):
            best, plain = similarity, whole
    return best, plain


def _rank(
    record: AssetRecord, needle: str, candidates: Sequence[Candidates],
    fields: Dict[str, str], words: Dict[str, FrozenSet[str]],
) -> Optional[Hit]:
    exact_in = [key for key, value in fields.items() if needle and needle in value]
    if exact_in:
        score = max(_FIELD_WEIGHT[key] for key in exact_in)
        if len(exact_in) > 1:
            score = min(1.0, score + 0.02 * (len(exact_in) - 1))
        return Hit(record, round(score, 4), True, exact_in[0] if len(exact_in) == 1 else "MULTIPLE")
    if not candidates:
        return None
    matched_in = set()
    fuzzy = False
    total = 0.0
    for token_candidates in candidates:
        best_score, best_key, best_plain = 0.0, "", False
        for key, field_words in words.items():
            similarity, plain = _best(token_candidates, field_words)
            weighted = similarity * _FIELD_WEIGHT[key]
            if weighted > best_score:
                best_score, best_key, best_plain = weighted, key, plain
        if best_score == 0.0:
            return None
        matched_in.add(best_key)
        fuzzy = fuzzy or not best_plain
        total += best_score
    score = 0.8 * total / len(candidates)
    match = "FUZZY" if fuzzy else (matched_in.pop() if len(matched_in) == 1 else "MULTIPLE")
    return Hit(record, round(score, 4), False, match)


def _tokens(needle: str) -> List[str]:
    return list(dict.fromkeys(WORD.findall(needle)))


def rank(record: AssetRecord, query: str, casing: bool = False) -> Optional[Hit]:
    """Score one asset against a query: an exact phrase beats every word matching, which beats fuzz.

    Name, tags, content and websites are searched; None when some query word matches nowhere.
    """
    needle = query if casing else query.lower()
    words = _words(record, casing)
    vocabulary = list(frozenset().union(*words.values()))
    candidates = [_candidates(token, vocabulary) for token in _tokens(needle)]
    return _rank(record, needle, candidates, _fields(record, casing), words)


class _Index:
    """The words of a set of records, for searches over the same records until one changes.

    ``postings`` maps each word to the positions of the records holding it, so that a query
    ranks only the records holding a candidate for every one of its words (and those holding
    the exact phrase), not every record.
    """

    def __init__(self, records: Sequence[AssetRecord], casing: bool) -> None:
        self.records = tuple(records)
        self.fields = [_fields(record, casing) for record in self.records]
        self.words = [_words(record, casing) for record in self.records]
        postings: Dict[str, List[int]] = {}
        for position, words in enumerate(self.words):
            for word in frozenset().union(*words.values()):
                postings.setdefault(word, []).append(position)
        self.postings = postings
        self.vocabulary = list(postings)

    def holding_every_word(self, candidates: Sequence[Candidates]) -> Set[int]:
        found: Optional[Set[int]] = None
        for token_candidates in candidates:
            holding = {position for word in token_candidates for position in self.postings[word]}
            found = holding if found is None else found & holding
        return found or set()

    def holding_phrase(self, needle: str) -> Set[int]:
        if not needle:
            return set()
        return {position for position, fields in enumerate(self.fields)
                if any(needle in value for value in fields.values())}


# Records are immutable and a change replaces the record, so the same record objects mean the same
# words: an index is kept per (casing, records), the few most recent ones. Holding the records
# keeps their ids from being reused while the entry exists.
_INDEXES: OrderedDict[Tuple[bool, Tuple[int, ...]], _Index] = OrderedDict()
_INDEXES_KEPT = 4
_INDEXES_LOCK = threading.Lock()


def _index(records: Sequence[AssetRecord], casing: bool) -> _Index:
    key = (casing, tuple(map(id, records)))
    with _INDEXES_LOCK:
        index = _INDEXES.get(key)
        if index is not None:
            _INDEXES.move_to_end(key)
            return index
    index = _Index(records, casing)
    with _INDEXES_LOCK:
        _INDEXES[key] = index
        while len(_INDEXES) > _INDEXES_KEPT:
            _INDEXES.popitem(last=False)
    return index


def search(records: Sequence[AssetRecord], query: str, casing: bool = False) -> List[Hit]:
    """The assets matching ``query``, best first (ties keep creation order)."""
    needle = query if casing else query.lower()
    index = _index(records, casing)
    candidates = [_candidates(token, index.vocabulary) for token in _tokens(needle)]
    positions = index.holding_phrase(needle) | index.holding_every_word(candidates)
    ranked = (
        _rank(index.records[position], needle, candidates, index.fields[position], index.words[position])
        for position in sorted(positions)
    )
    hits = [hit for hit in ranked if hit is not None]
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
