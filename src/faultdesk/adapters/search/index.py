"""The in-memory, incremental known-issue index (DESIGN §4).

Layout: one postings list per (term, field), an ``array('i')`` of interleaved (document number,
frequency) pairs appended in document-number order, so a new document costs O(its terms) and
is searchable as soon as :meth:`KnownIssueIndex.add` returns. Collection statistics (document
frequency, per-field total length) are running sums, so IDF and average lengths always describe
exactly the documents present — no rebuild, and nothing about documents not yet added.

Removal marks the document dead and subtracts its statistics; its postings are skipped at query
time and physically dropped by :meth:`KnownIssueIndex.compact`, which runs automatically once
dead documents outnumber half the live ones (amortised O(1) per removal).

Search scores only the query's most informative terms (``MatchWeights.max_query_terms``),
vectorised with numpy over their postings; the formula is the one specified in
:mod:`faultdesk.domain.matching`, and the reasons of the top candidates are computed with the
domain's scalar functions.

Past one process's memory (millions of reports) this adapter is the seam where an external
engine with a Chinese analyzer takes over (DESIGN §4, scale path).
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from faultdesk.domain.matching import (
    DEFAULT_WEIGHTS,
    FIELDS,
    AnalyzedDocument,
    Analyzer,
    DocumentKey,
    DocumentKind,
    MatchCandidate,
    MatchDocument,
    MatchFacts,
    MatchField,
    MatchScore,
    MatchWeights,
    QueryTerm,
    TermMatch,
    combine,
    pseudo_frequency,
    query_term_weights,
    select_query_terms,
    structural_features,
    term_score,
)

_NF = len(FIELDS)
_KINDS: tuple[DocumentKind, ...] = tuple(DocumentKind)
_MAX_TF = 2**31 - 1
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class _Column:
    """A growable numpy column (capacity doubling), indexed by document number."""

    def __init__(self, dtype: type[np.generic], fill: float = 0) -> None:
        self._fill = fill
        self.data: npt.NDArray[np.generic] = np.full(1024, fill, dtype=dtype)

    def set(self, i: int, value: float) -> None:
        if i >= len(self.data):
            grown = np.full(max(2 * len(self.data), i + 1), self._fill, dtype=self.data.dtype)
            grown[: len(self.data)] = self.data
            self.data = grown
        self.data[i] = value

    def keep(self, rows: npt.NDArray[np.int64], size: int) -> None:
        kept = self.data[:size][rows]
        self.data = np.full(max(1024, 2 * len(kept)), self._fill, dtype=self.data.dtype)
        self.data[: len(kept)] = kept


@dataclass(frozen=True)
class IndexStats:
    documents: int
    dead: int
    terms: int
    postings: int


class _Interner:
    """Structured codes (product, function, type, version) as small ints; 0 means "not set"."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def code(self, value: str) -> int:
        if not value:
            return 0
        return self._codes.setdefault(value, len(self._codes) + 1)

    def lookup(self, value: str) -> int:
        # -1 matches nothing: a query value no document has.
        return self._codes.get(value, -1) if value else 0


class KnownIssueIndex:
    """Earlier reports, faults, knowledge-base articles and release notes, searchable by a new report.

    Thread-safe: one lock serialises writers and readers; a search at 100k documents takes a few
    milliseconds, so contention is not worth a readers-writer scheme.
    """

    def __init__(self, analyzer: Analyzer, weights: MatchWeights = DEFAULT_WEIGHTS) -> None:
        self.analyzer = analyzer
        # Weights are applied at query time only, so they can be swapped without a rebuild.
        self.weights = weights
        self._lock = threading.RLock()
        self._vocab: dict[str, int] = {}
        self._terms: list[str] = []
        self._df = array("i")
        self._postings: dict[int, array[int]] = {}  # term id * fields + field -> [doc, tf, doc, tf, ...]
        self._keys: list[DocumentKey] = []
        self._number: dict[DocumentKey, int] = {}
        self._doc_terms: list[array[int] | None] = []  # distinct term ids, for removal
        self._facts: list[MatchFacts] = []
        self._lengths = [_Column(np.float64) for _ in FIELDS]
        self._length_sum = [0.0] * _NF
        self._alive = _Column(np.bool_, False)
        self._kind = _Column(np.int8)
        self._created = _Column(np.float64, np.nan)
        self._open = _Column(np.bool_, False)
        self._codes = {name: _Column(np.int32) for name in ("function", "product", "type_code", "app_version")}
        self._interners = {name: _Interner() for name in self._codes}
        self._live = 0

    # ---------------------------------------------------------------------------------- writes

    def add(self, doc: MatchDocument) -> None:
        """Index ``doc``, replacing any earlier version with the same key (update = add)."""
        self.add_analyzed(doc.key, self.analyzer.analyze(doc))

    def add_many(self, docs: Iterable[MatchDocument]) -> int:
        """Catch-up from the database: add in any order; returns the count."""
        count = 0
        for doc in docs:
            self.add(doc)
            count += 1
        return count

    def add_analyzed(self, key: DocumentKey, analyzed: AnalyzedDocument) -> None:
        """Index a document analysed elsewhere (with the same analyzer), e.g. cached by a benchmark."""
        with self._lock:
            if key in self._number:
                self._remove_locked(key)
            n = len(self._keys)
            self._keys.append(key)
            self._number[key] = n
            self._facts.append(analyzed.facts)
            tids = array("i")
            for term, per_field in analyzed.term_fields().items():
                tid = self._vocab.get(term)
                if tid is None:
                    tid = len(self._terms)
                    self._vocab[term] = tid
                    self._terms.append(term)
                    self._df.append(0)
                self._df[tid] += 1
                tids.append(tid)
                for fld, tf in per_field.items():
                    slot = tid * _NF + _FIELD_NO[fld]
                    plist = self._postings.get(slot)
                    if plist is None:
                        plist = self._postings[slot] = array("i")
                    plist.append(n)
                    plist.append(min(tf, _MAX_TF))
            self._doc_terms.append(tids)
            for i, fld in enumerate(FIELDS):
                length = float(len(analyzed.terms.get(fld, ())))
                self._lengths[i].set(n, length)
                self._length_sum[i] += length
            facts = analyzed.facts
            self._alive.set(n, True)
            self._kind.set(n, _KINDS.index(key[0]))
            self._created.set(n, facts.created_at.timestamp() if facts.created_at else np.nan)
            self._open.set(n, facts.is_open)
            for name, column in self._codes.items():
                column.set(n, self._interners[name].code(getattr(facts, name)))
            self._live += 1

    def remove(self, key: DocumentKey) -> bool:
        with self._lock:
            if key not in self._number:
                return False
            self._remove_locked(key)
            dead = len(self._keys) - self._live
            if dead > 1000 and dead > self._live // 2:
                self._compact_locked()
            return True

    def _remove_locked(self, key: DocumentKey) -> None:
        n = self._number.pop(key)
        tids = self._doc_terms[n]
        assert tids is not None
        for tid in tids:
            self._df[tid] -= 1
        self._doc_terms[n] = None
        for i in range(_NF):
            self._length_sum[i] -= float(self._lengths[i].data[n])
        self._alive.data[n] = False
        self._live -= 1

    def compact(self) -> None:
        """Drop dead documents' postings and renumber; O(postings)."""
        with self._lock:
            self._compact_locked()

    def _compact_locked(self) -> None:
        size = len(self._keys)
        alive = np.asarray(self._alive.data[:size], dtype=bool)
        new_number = np.cumsum(alive) - 1
        for slot, plist in list(self._postings.items()):
            pairs = np.frombuffer(plist, dtype=np.int32).reshape(-1, 2)
            keep = alive[pairs[:, 0]]
            if keep.all():
                pairs = pairs.copy()
            elif not keep.any():
                del self._postings[slot]
                continue
            else:
                pairs = pairs[keep].copy()
            pairs[:, 0] = new_number[pairs[:, 0]]
            self._postings[slot] = array("i", pairs.astype(np.int32).ravel().tobytes())
        keep_idx = np.flatnonzero(alive)
        self._keys = [self._keys[i] for i in keep_idx]
        self._number = {k: i for i, k in enumerate(self._keys)}
        self._doc_terms = [self._doc_terms[i] for i in keep_idx]
        self._facts = [self._facts[i] for i in keep_idx]
        for column in (*self._lengths, self._alive, self._kind, self._created, self._open, *self._codes.values()):
            column.keep(keep_idx, size)
        # Terms no live document uses keep their id (ids are cheap); their df is already 0.

    # ----------------------------------------------------------------------------------- reads

    def __len__(self) -> int:
        return self._live

    def __contains__(self, key: object) -> bool:
        return key in self._number

    def stats(self) -> IndexStats:
        with self._lock:
            return IndexStats(
                documents=self._live,
                dead=len(self._keys) - self._live,
                terms=sum(1 for df in self._df if df > 0),
                postings=sum(len(p) // 2 for p in self._postings.values()),
            )

    def search(
        self,
        query: MatchDocument,
        *,
        now: datetime,
        k: int = 10,
        kinds: Collection[DocumentKind] | None = None,
        exclude: Collection[DocumentKey] = (),
    ) -> list[MatchCandidate]:
        """The ``k`` best candidates for ``query``, best first, each with its reasons.

        ``now`` stands in for the query's time when it has no ``created_at``. The query's own key
        is always excluded, so a stored report can be re-checked against the index.
        """
        return self.search_analyzed(
            self.analyzer.analyze(query), now=now, k=k, kinds=kinds, exclude=(*exclude, query.key)
        )

    def search_analyzed(
        self,
        query: AnalyzedDocument,
        *,
        now: datetime,
        k: int = 10,
        kinds: Collection[DocumentKind] | None = None,
        exclude: Collection[DocumentKey] = (),
    ) -> list[MatchCandidate]:
        with self._lock:
            scored = self._score_locked(query, now, kinds, exclude)
            if scored is None or k <= 0:
                return []
            cand, total, looked_up, best = scored
            take = min(k, cand.size)
            top = np.argpartition(-total, take - 1)[:take] if take < cand.size else np.arange(cand.size)
            return self._explain(query.facts, cand[top], looked_up, best, now)

    def rank_analyzed(
        self,
        query: AnalyzedDocument,
        *,
        now: datetime,
        k: int | None = None,
        kinds: Collection[DocumentKind] | None = None,
        exclude: Collection[DocumentKey] = (),
    ) -> list[tuple[DocumentKey, float]]:
        """Keys and total scores only, best first (all matching documents when ``k`` is None).

        For evaluation and bulk re-checks, where the reasons are not shown; same order as :meth:`search`
        except that ties go to the newer document.
        """
        with self._lock:
            scored = self._score_locked(query, now, kinds, exclude)
            if scored is None:
                return []
            cand, total, _, _ = scored
            order = np.lexsort((-cand, -total))
            if k is not None:
                order = order[:k]
            keys = self._keys
            return [(keys[d], float(t)) for d, t in zip(cand[order].tolist(), total[order].tolist(), strict=True)]

    def _score_locked(
        self,
        query: AnalyzedDocument,
        now: datetime,
        kinds: Collection[DocumentKind] | None,
        exclude: Collection[DocumentKey],
    ) -> tuple[IntArray, FloatArray, list[tuple[QueryTerm, list[tuple[int, IntArray, IntArray]]]], float] | None:
        """Candidates (document numbers), their total scores, the postings looked up and the best lexical score."""
        w = self.weights
        n_live = self._live
        size = len(self._keys)
        if n_live == 0:
            return None
        q_weights = query_term_weights(query, w)
        dfs = {t: self._df[tid] for t in q_weights if (tid := self._vocab.get(t)) is not None}
        q_terms = select_query_terms(q_weights, dfs, n_live, w)
        if not q_terms:
            return None
        avg = [s / n_live if s > 0 else 1.0 for s in self._length_sum]
        field_w = [w.field_weight(f) for f in FIELDS]
        field_b = [w.field_b(f) for f in FIELDS]
        lengths = [c.data for c in self._lengths]
        k1 = w.k1

        # Per term: merge its fields' normalised frequencies, saturate once (BM25F), scale by weight x IDF.
        hit_docs: list[IntArray] = []
        hit_scores: list[FloatArray] = []
        looked_up: list[tuple[QueryTerm, list[tuple[int, IntArray, IntArray]]]] = []
        for qt in q_terms:
            tid = self._vocab[qt.term]
            per_field: list[tuple[int, IntArray, IntArray]] = []
            parts_d: list[IntArray] = []
            parts_p: list[FloatArray] = []
            for i in range(_NF):
                plist = self._postings.get(tid * _NF + i)
                if plist is None:
                    continue
                # A copy, not a view: a live view would forbid the array from growing on the next add.
                pairs = np.array(plist, dtype=np.int64).reshape(-1, 2)
                docs, tfs = pairs[:, 0], pairs[:, 1]
                per_field.append((i, docs, tfs))
                b = field_b[i]
                norm = 1.0 - b + b * lengths[i][docs] / avg[i]
                parts_d.append(docs)
                parts_p.append(field_w[i] * tfs / norm)
            looked_up.append((qt, per_field))
            if not parts_d:
                continue
            if len(parts_d) == 1:
                docs, ptf = parts_d[0], parts_p[0]
            else:
                docs, inverse = np.unique(np.concatenate(parts_d), return_inverse=True)
                ptf = np.bincount(inverse, weights=np.concatenate(parts_p))
            hit_docs.append(docs)
            hit_scores.append(qt.weight * qt.idf * ptf * (k1 + 1.0) / (k1 + ptf))
        if not hit_docs:
            return None
        lexical = np.bincount(np.concatenate(hit_docs), weights=np.concatenate(hit_scores), minlength=size)
        cand = np.flatnonzero(lexical > 0)
        mask = self._alive.data[cand].astype(bool)
        if kinds is not None:
            allowed = np.array([_KINDS.index(kd) for kd in kinds], dtype=np.int8)
            mask &= np.isin(self._kind.data[cand], allowed)
        if exclude:
            banned = [self._number[key] for key in exclude if key in self._number]
            if banned:
                mask &= ~np.isin(cand, np.array(banned, dtype=np.int64))
        cand = cand[mask]
        if cand.size == 0:
            return None
        lex = lexical[cand]
        best = float(lex.max())
        total = lex / best + self._structural(query.facts, cand, now)
        return cand, total, looked_up, best

    def _structural(self, q: MatchFacts, cand: IntArray, now: datetime) -> FloatArray:
        """Vectorised :func:`faultdesk.domain.matching.structural_features`, weighted and summed."""
        w = self.weights
        out = np.zeros(cand.size, dtype=np.float64)
        ref = q.created_at or now
        if w.time and w.time_scale_days > 0:
            days = np.abs(ref.timestamp() - self._created.data[cand]) / 86400.0
            prox = 1.0 / (1.0 + days / w.time_scale_days)
            out += w.time * np.nan_to_num(prox, nan=0.0)
        if w.open:
            out += w.open * self._open.data[cand]
        for name, column in self._codes.items():
            weight = float(getattr(w, f"same_{name}" if name != "type_code" else "same_type"))
            code = self._interners[name].lookup(getattr(q, name))
            if weight and code:
                out += weight * (column.data[cand] == code)
        return out

    def _explain(
        self,
        q: MatchFacts,
        top_docs: IntArray,
        looked_up: list[tuple[QueryTerm, list[tuple[int, IntArray, IntArray]]]],
        best: float,
        now: datetime,
    ) -> list[MatchCandidate]:
        """Scores and reasons of the few top documents, with the domain's scalar functions."""
        w = self.weights
        n_live = self._live
        avg = {f: (s / n_live if s > 0 else 1.0) for f, s in zip(FIELDS, self._length_sum, strict=True)}
        tf_of: dict[int, dict[QueryTerm, dict[MatchField, int]]] = {int(d): {} for d in top_docs}
        for qt, per_field in looked_up:
            for i, docs, tfs in per_field:
                pos = np.searchsorted(docs, top_docs)
                pos = np.minimum(pos, docs.size - 1)
                found = docs[pos] == top_docs
                for d, p in zip(top_docs[found], pos[found], strict=True):
                    tf_of[int(d)].setdefault(qt, {})[FIELDS[i]] = int(tfs[p])
        out: list[MatchCandidate] = []
        for d, terms in tf_of.items():
            lengths = {f: float(self._lengths[i].data[d]) for i, f in enumerate(FIELDS)}
            matches = []
            lexical = 0.0
            for qt, per_field in terms.items():
                s = term_score(qt, pseudo_frequency(per_field, lengths, avg, w), w)
                lexical += s
                matches.append(TermMatch(qt.term, tuple(f for f in FIELDS if f in per_field), s))
            matches.sort(key=lambda m: (-m.contribution, m.term))
            facts = self._facts[d]
            features = structural_features(q, facts, now, w)
            relative = lexical / best
            score = MatchScore(combine(relative, features, w), lexical, relative, features, tuple(matches))
            out.append(MatchCandidate(self._keys[d], score, facts))
        out.sort(key=lambda c: (-c.score.total, c.key))
        return out


_FIELD_NO: dict[MatchField, int] = {f: i for i, f in enumerate(FIELDS)}
