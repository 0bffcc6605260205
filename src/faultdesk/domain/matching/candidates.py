"""What a match returns, and why: ranked candidates with their score taken apart.

A :class:`MatchScore` keeps which query terms matched in which fields and which structural
features fired, so the UI can show reasons (:meth:`MatchScore.reasons`) and services can weigh
content matches. :func:`rank_scalar` is the reference ranking over a handful of documents, built
from the scoring functions; the index must rank the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from faultdesk.domain.matching import scoring
from faultdesk.domain.matching.analysis import AnalyzedDocument
from faultdesk.domain.matching.documents import FIELDS, DocumentKey, DocumentKind, MatchFacts, MatchField
from faultdesk.domain.matching.scoring import DEFAULT_WEIGHTS, MatchWeights


@dataclass(frozen=True)
class TermMatch:
    term: str
    fields: tuple[MatchField, ...]
    contribution: float  # this term's share of the lexical score


@dataclass(frozen=True)
class MatchScore:
    total: float
    lexical: float  # raw BM25F
    lexical_relative: float  # lexical / best lexical of this query, in (0, 1]
    features: Mapping[str, float]  # structural feature -> value in [0, 1]
    matches: tuple[TermMatch, ...]  # strongest first

    def reasons(self, weights: MatchWeights = DEFAULT_WEIGHTS) -> list[str]:
        """Short English lines for the UI; ``matches`` and ``features`` hold the machine-readable form."""
        lines: list[str] = []
        for m in self.matches[:8]:
            lines.append(f"'{m.term}' in {', '.join(f.value for f in m.fields)}")
        for name, value in self.features.items():
            contribution = scoring.feature_weight(name, weights) * value
            if contribution > 0:
                lines.append(f"{name.replace('_', ' ')} (+{contribution:.3f})")
        return lines


@dataclass(frozen=True)
class MatchCandidate:
    key: DocumentKey
    score: MatchScore
    facts: MatchFacts = field(default_factory=MatchFacts)

    @property
    def kind(self) -> DocumentKind:
        return self.key[0]

    @property
    def id(self) -> str:
        return self.key[1]


def rank_scalar(
    query: AnalyzedDocument,
    candidates: Sequence[tuple[DocumentKey, AnalyzedDocument]],
    now: datetime,
    weights: MatchWeights = DEFAULT_WEIGHTS,
    *,
    k: int = 10,
) -> list[MatchCandidate]:
    """Reference implementation over a handful of documents: collection statistics from ``candidates``.

    Slow (it scans everything) and exact; the index must rank the same way. Also usable directly
    where the candidate set is already small (e.g. the open faults of one product function).
    """
    n = len(candidates)
    if n == 0:
        return []
    df: Counter[str] = Counter()
    lengths: dict[MatchField, float] = dict.fromkeys(FIELDS, 0.0)
    per_doc = []
    for _, doc in candidates:
        tfs = doc.term_fields()
        per_doc.append(tfs)
        df.update(tfs.keys())
        for fld, terms in doc.terms.items():
            lengths[fld] += len(terms)
    avg = {f: total / n for f, total in lengths.items()}
    q_terms = scoring.select_query_terms(scoring.query_term_weights(query, weights), df, n, weights)
    scored: list[tuple[float, int, dict[str, tuple[float, tuple[MatchField, ...]]]]] = []
    for i, tfs in enumerate(per_doc):
        doc_len = {f: float(len(t)) for f, t in candidates[i][1].terms.items()}
        parts: dict[str, tuple[float, tuple[MatchField, ...]]] = {}
        lex = 0.0
        for qt in q_terms:
            per_field = tfs.get(qt.term)
            if not per_field:
                continue
            s = scoring.term_score(qt, scoring.pseudo_frequency(per_field, doc_len, avg, weights), weights)
            parts[qt.term] = (s, tuple(f for f in FIELDS if f in per_field))
            lex += s
        if lex > 0:
            scored.append((lex, i, parts))
    if not scored:
        return []
    best = max(s[0] for s in scored)
    results: list[MatchCandidate] = []
    for lex, i, parts in scored:
        key, doc = candidates[i]
        features = scoring.structural_features(query.facts, doc.facts, now, weights)
        rel = lex / best
        matches = tuple(
            TermMatch(t, flds, s) for t, (s, flds) in sorted(parts.items(), key=lambda kv: (-kv[1][0], kv[0]))
        )
        score = MatchScore(scoring.combine(rel, features, weights), lex, rel, features, matches)
        results.append(MatchCandidate(key, score, doc.facts))
    results.sort(key=lambda c: (-c.score.total, c.key))
    return results[:k]
