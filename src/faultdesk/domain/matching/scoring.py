"""The score, as scalar functions: BM25F lexical relevance plus the structural evidence of a record.

:class:`MatchWeights` holds every tunable number. The lexical part is BM25F (Robertson &
Zaragoza's per-field normalised pseudo-frequency) over the query's most informative terms; the
structural part compares :class:`~faultdesk.domain.matching.documents.MatchFacts` (same product
function, fault type, app version, channel, time proximity, still open). The index adapter
computes the same formula vectorised over its postings; these functions are the specification
it is tested against. :class:`SemanticScorer` is the seam for an optional embedding model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Protocol

from faultdesk.domain.matching.analysis import AnalyzedDocument
from faultdesk.domain.matching.documents import FIELDS, DocumentKey, MatchDocument, MatchFacts, MatchField


@dataclass(frozen=True)
class MatchWeights:
    """Every tunable number of the matcher.

    The defaults are a fixed point of ``bench/dbrd.py --tune``: coordinate ascent, started from
    textbook settings (k1 1.2, b 0.75, no time prior), on the queries of the first 60 % (by time)
    of the hadoop, hdfs and activemq sets together, one weight set for all, never looking at the
    last 40 %. The structural features those sets do not carry (function, product, type, app
    version, channel, open) are set by judgement and kept small, so that they order candidates
    whose texts match about equally well instead of overriding the text.
    """

    # BM25F (field weights multiply the within-field, length-normalised term frequency)
    k1: float = 2.0
    title: float = 6.0
    scenario: float = 1.5
    body: float = 1.0
    device: float = 0.5
    version: float = 0.5
    product: float = 1.0
    b_title: float = 0.75
    b_body: float = 0.75
    log: float = 1.5
    query_log: float = 0.5
    b_short: float = 0.3  # scenario, device, version, product: short fields, light length penalty
    # Query side: a term the reporter put in the title says more than one buried in a log.
    query_title: float = 1.5
    query_k: float = 0.3  # saturation of repeated query terms
    # Query pruning: the most informative terms only, which bounds latency on long reports.
    max_query_terms: int = 48
    max_query_postings: int = 200_000  # bounds the latency of long queries on big indexes
    max_df_ratio: float = 0.25  # skip terms in more than this share of documents ...
    min_docs_for_df_cut: int = 200  # ... once the index is big enough for df to mean something
    # Structural evidence, added to the lexical score scaled to the best candidate (= 1.0)
    time: float = 0.5
    time_scale_days: float = 365.0
    open: float = 0.02
    same_function: float = 0.05
    same_product: float = 0.02
    same_type: float = 0.03
    same_app_version: float = 0.03
    same_channel: float = 0.01
    # Optional embedding plug-in (SemanticScorer): cosine similarity added for the best lexical
    # candidates. Not tuned: no model ships by default, so no run measured it.
    semantic: float = 0.3
    semantic_depth: int = 50

    @cached_property
    def _per_field(self) -> dict[MatchField, tuple[float, float]]:
        # (weight, b) per field; each field's weight is the attribute of the same name.
        return {f: (float(getattr(self, f.value)), self._b(f)) for f in FIELDS}

    def field_weight(self, fld: MatchField) -> float:
        return self._per_field[fld][0]

    def field_b(self, fld: MatchField) -> float:
        return self._per_field[fld][1]

    def _b(self, fld: MatchField) -> float:
        if fld is MatchField.TITLE:
            return self.b_title
        if fld is MatchField.BODY or fld is MatchField.LOG:
            return self.b_body
        return self.b_short

    def query_field_weight(self, fld: MatchField) -> float:
        if fld is MatchField.TITLE:
            return self.query_title
        if fld is MatchField.LOG:
            return self.query_log
        return 1.0


DEFAULT_WEIGHTS = MatchWeights()


def idf(df: int, n_docs: int) -> float:
    """BM25 inverse document frequency in the always-positive form (Lucene's): ln(1 + (N-df+.5)/(df+.5))."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def query_term_weights(query: AnalyzedDocument, weights: MatchWeights = DEFAULT_WEIGHTS) -> dict[str, float]:
    """How much each query term matters before IDF: saturated count per field, times the field's query weight."""
    out: dict[str, float] = {}
    k = weights.query_k
    for term, per_field in query.term_fields().items():
        out[term] = sum(weights.query_field_weight(f) * tf * (k + 1.0) / (tf + k) for f, tf in per_field.items())
    return out


@dataclass(frozen=True)
class QueryTerm:
    term: str
    weight: float  # query-side weight
    idf: float


def select_query_terms(
    term_weights: Mapping[str, float],
    doc_freq: Mapping[str, int],
    n_docs: int,
    weights: MatchWeights = DEFAULT_WEIGHTS,
) -> list[QueryTerm]:
    """The query terms worth looking up: known to the index, not near-ubiquitous, the most informative first.

    Latency is bounded by the postings a query reads, so the budget is on postings, not on
    terms: rare terms (an identifier pasted from a log) are nearly free and all taken, and the
    common ones are cut first, the least informative (smallest weight x IDF) of them first.
    A plain cap on the term count would instead let a log's rare noise crowd out the words.
    """
    cut = weights.max_df_ratio * n_docs if n_docs >= weights.min_docs_for_df_cut else float("inf")
    ranked: list[tuple[QueryTerm, int]] = []
    for term, w in term_weights.items():
        df = doc_freq.get(term, 0)
        if df == 0 or df > cut:
            continue
        ranked.append((QueryTerm(term, w, idf(df, n_docs)), df))
    ranked.sort(key=lambda p: (-p[0].weight * p[0].idf, p[0].term))
    picked: list[QueryTerm] = []
    budget = weights.max_query_postings
    for qt, df in ranked:
        if len(picked) >= weights.max_query_terms:
            break
        if df > budget:
            continue
        budget -= df
        picked.append(qt)
    return picked


def pseudo_frequency(
    tf_by_field: Mapping[MatchField, int],
    length_by_field: Mapping[MatchField, float],
    avg_length_by_field: Mapping[MatchField, float],
    weights: MatchWeights = DEFAULT_WEIGHTS,
) -> float:
    """BM25F: each field's frequency is length-normalised in that field, weighted, then summed."""
    total = 0.0
    for fld, tf in tf_by_field.items():
        if tf <= 0:
            continue
        b = weights.field_b(fld)
        avg = avg_length_by_field.get(fld, 0.0) or 1.0
        norm = 1.0 - b + b * length_by_field.get(fld, 0.0) / avg
        total += weights.field_weight(fld) * tf / norm
    return total


def saturate(pseudo_tf: float, k1: float) -> float:
    return pseudo_tf * (k1 + 1.0) / (k1 + pseudo_tf) if pseudo_tf > 0 else 0.0


def term_score(term: QueryTerm, pseudo_tf: float, weights: MatchWeights = DEFAULT_WEIGHTS) -> float:
    return term.weight * term.idf * saturate(pseudo_tf, weights.k1)


def time_proximity(a: datetime | None, b: datetime | None, scale_days: float) -> float:
    """1 for the same instant, 1/2 at ``scale_days`` apart, falling slowly (duplicates cluster in time
    but some groups span years, so the tail must not vanish)."""
    if a is None or b is None or scale_days <= 0:
        return 0.0
    days = abs((a - b).total_seconds()) / 86400.0
    return 1.0 / (1.0 + days / scale_days)


# Structural features that compare one code exactly: (feature = weight name, MatchFacts attribute).
CODE_FEATURES: tuple[tuple[str, str], ...] = (
    ("same_function", "function"),
    ("same_product", "product"),
    ("same_type", "type_code"),
    ("same_app_version", "app_version"),
    ("same_channel", "channel"),
)


def structural_features(
    query: MatchFacts, candidate: MatchFacts, now: datetime, weights: MatchWeights = DEFAULT_WEIGHTS
) -> dict[str, float]:
    """The fault-record evidence, each in [0, 1]. Time is measured from the query's own time, else from now.

    A code counts only when both sides have it: a report without a function says nothing against
    a fault that has one.
    """
    features = {
        "time": time_proximity(query.created_at or now, candidate.created_at, weights.time_scale_days),
        "open": 1.0 if candidate.is_open else 0.0,
    }
    for name, attr in CODE_FEATURES:
        mine = getattr(query, attr)
        features[name] = 1.0 if mine and mine == getattr(candidate, attr) else 0.0
    return features


def feature_weight(name: str, weights: MatchWeights) -> float:
    return float(getattr(weights, name))


def combine(lexical_relative: float, features: Mapping[str, float], weights: MatchWeights = DEFAULT_WEIGHTS) -> float:
    """Final score: lexical relevance relative to the query's best candidate, plus weighted evidence."""
    return lexical_relative + sum(feature_weight(name, weights) * value for name, value in features.items())


class SemanticScorer(Protocol):
    """Optional plug-in: similarity from text embeddings, to catch paraphrases with no shared words.

    The index keeps it in step (``add``/``remove``) and asks it only about its best lexical
    candidates, so an embedding model is never on the path of every document. None ships by
    default: the matcher must work with no model download.
    """

    def add(self, doc: MatchDocument) -> None: ...

    def remove(self, key: DocumentKey) -> None: ...

    def similarity(self, query: MatchDocument, keys: Sequence[DocumentKey]) -> list[float]:
        """One value in [0, 1] per key (0 for a key it does not know)."""
        ...
