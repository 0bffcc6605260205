"""The in-memory, incremental known-issue index (DESIGN §4).

Layout: one postings list per term, an ``array('i')`` of (document number, code) pairs where the
code packs the field and the frequency (``tf << 3 | field``); a document present in several
fields has consecutive entries. Documents are numbered in insertion order and appended, so a
list stays sorted by document, a new document costs O(its terms), and it is searchable as soon
as :meth:`KnownIssueIndex.add` returns. Collection statistics (document frequency, per-field
total length) are running sums, so IDF and average lengths always describe exactly the documents
present: no rebuild, and nothing about documents not yet added.

Removal marks the document dead and subtracts its statistics; its postings are skipped at query
time and dropped by :meth:`KnownIssueIndex.compact`, which also runs by itself once dead
documents outnumber half the live ones (amortised O(1) per removal).

Search looks up only the query's most informative terms (``select_query_terms``) and scores their
postings vectorised with numpy; the formula is the one specified in
:mod:`faultdesk.domain.matching.scoring`, and the top candidates' scores and reasons are recomputed
with the domain's scalar functions.

Past one process's memory (millions of reports) this adapter is the seam where an external
engine with a Chinese analyzer takes over (DESIGN §4, scale path).
"""

from __future__ import annotations

import copy
import threading
from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from faultdesk.domain.matching.analysis import AnalyzedDocument, Analyzer
from faultdesk.domain.matching.candidates import MatchCandidate, MatchScore, TermMatch
from faultdesk.domain.matching.documents import FIELDS, DocumentKey, DocumentKind, MatchDocument, MatchFacts, MatchField
from faultdesk.domain.matching.scoring import (
    CODE_FEATURES,
    DEFAULT_WEIGHTS,
    MatchWeights,
    QueryTerm,
    SemanticScorer,
    combine,
    feature_weight,
    pseudo_frequency,
    query_term_weights,
    select_query_terms,
    structural_features,
    term_score,
)

_NF = len(FIELDS)
_FIELD_BITS = 3
assert _NF <= 1 << _FIELD_BITS, "the field number must fit in the code's low bits"
_FIELD_MASK = (1 << _FIELD_BITS) - 1
_FIELD_NO: dict[MatchField, int] = {f: i for i, f in enumerate(FIELDS)}
_KINDS: tuple[DocumentKind, ...] = tuple(DocumentKind)
_MAX_TF = (1 << (31 - _FIELD_BITS)) - 1
Docs = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]


class _Column:
    """A growable numpy column (capacity doubling) indexed by document number; ``rows`` > 0 makes it 2-D."""

    def __init__(self, dtype: type[np.generic], fill: float = 0, rows: int = 0) -> None:
        self._fill = fill
        self._rows = rows
        self.data: npt.NDArray[Any] = np.full(self._shape(1024), fill, dtype=dtype)

    def _shape(self, n: int) -> tuple[int, ...]:
        return (self._rows, n) if self._rows else (n,)

    def _ensure(self, i: int) -> None:
        have = self.data.shape[-1]
        if i >= have:
            grown = np.full(self._shape(max(2 * have, i + 1)), self._fill, dtype=self.data.dtype)
            grown[..., :have] = self.data
            self.data = grown

    def set(self, i: int, value: float) -> None:
        self._ensure(i)
        self.data[i] = value

    def set_column(self, i: int, values: list[float]) -> None:
        self._ensure(i)
        self.data[:, i] = values

    def copy(self) -> _Column:
        twin = copy.copy(self)
        twin.data = self.data.copy()
        return twin

    def keep(self, kept_numbers: npt.NDArray[np.intp], size: int) -> None:
        kept = self.data[..., :size][..., kept_numbers]
        self.data = np.full(self._shape(max(1024, 2 * kept.shape[-1])), self._fill, dtype=self.data.dtype)
        self.data[..., : kept.shape[-1]] = kept


@dataclass(frozen=True)
class IndexStats:
    documents: int  # live
    dead: int  # removed or replaced, not yet compacted away
    terms: int  # distinct terms in live documents
    postings: int  # (term, field, document) entries, dead ones included


class _Interner:
    """Structured codes (product, function, type, version, channel) as small ints; 0 means "not set"."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def code(self, value: str) -> int:
        if not value:
            return 0
        return self._codes.setdefault(value, len(self._codes) + 1)

    def lookup(self, value: str) -> int:
        # -1 matches nothing: a query value no document has.
        return self._codes.get(value, -1) if value else 0

    def copy(self) -> _Interner:
        twin = _Interner()
        twin._codes = dict(self._codes)
        return twin


@dataclass(frozen=True)
class _TermPostings:
    term: QueryTerm
    docs: Docs  # sorted; a document in several fields appears on consecutive entries
    codes: Docs  # tf << 3 | field


@dataclass(frozen=True)
class _Scored:
    docs: Docs  # candidate document numbers
    total: Floats  # their total scores
    best: float  # the best lexical score, which scales lexical scores to (0, 1]
    looked_up: list[_TermPostings]


class KnownIssueIndex:
    """Earlier reports, faults, knowledge-base articles and release notes, searchable by a new report.

    Thread-safe: one lock serialises writers and readers; a search at 100k documents takes a few
    milliseconds, so contention is not worth a readers-writer scheme.
    """

    def __init__(
        self, analyzer: Analyzer, weights: MatchWeights = DEFAULT_WEIGHTS, *, semantic: SemanticScorer | None = None
    ) -> None:
        self.analyzer = analyzer
        self.semantic = semantic
        # Weights are applied at query time only, so they can be swapped without a rebuild.
        self.weights = weights
        self._lock = threading.RLock()
        self._vocab: dict[str, int] = {}
        self._df = array("i")
        self._postings: dict[int, array[int]] = {}  # term id -> [doc, code, doc, code, ...]
        self._keys: list[DocumentKey] = []
        self._number: dict[DocumentKey, int] = {}
        self._doc_terms: list[array[int] | None] = []  # distinct term ids, to undo df on removal
        self._facts: list[MatchFacts] = []
        self._lengths = _Column(np.float64, rows=_NF)
        self._length_sum = [0.0] * _NF
        self._alive = _Column(np.bool_, False)
        self._kind = _Column(np.int8)
        self._created = _Column(np.float64, np.nan)
        self._open = _Column(np.bool_, False)
        self._codes = {attr: _Column(np.int32) for _, attr in CODE_FEATURES}
        self._interners = {attr: _Interner() for _, attr in CODE_FEATURES}
        self._live = 0

    # ---------------------------------------------------------------------------------- writes

    def add(self, doc: MatchDocument) -> None:
        """Index ``doc``, replacing any earlier version with the same key (update = add)."""
        self.add_analyzed(doc.key, self.analyzer.analyze(doc))
        if self.semantic is not None:
            self.semantic.add(doc)

    def add_many(self, docs: Iterable[MatchDocument]) -> int:
        """Catch-up from the database, in any order; returns the count."""
        count = 0
        for doc in docs:
            self.add(doc)
            count += 1
        return count

    def add_analyzed(self, key: DocumentKey, analyzed: AnalyzedDocument) -> None:
        """Index a document analysed elsewhere with the same analyzer (e.g. cached by a benchmark)."""
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
                    tid = self._vocab[term] = len(self._df)
                    self._df.append(0)
                self._df[tid] += 1
                tids.append(tid)
                entries: list[int] = []
                for fld, tf in sorted(per_field.items(), key=lambda item: _FIELD_NO[item[0]]):
                    entries += (n, min(tf, _MAX_TF) << _FIELD_BITS | _FIELD_NO[fld])
                self._append_postings(tid, entries)
            self._doc_terms.append(tids)
            lengths = [float(len(analyzed.terms.get(f, ()))) for f in FIELDS]
            self._lengths.set_column(n, lengths)
            for i, length in enumerate(lengths):
                self._length_sum[i] += length
            facts = analyzed.facts
            self._alive.set(n, True)
            self._kind.set(n, _KINDS.index(key[0]))
            self._created.set(n, facts.created_at.timestamp() if facts.created_at else np.nan)
            self._open.set(n, facts.is_open)
            for attr, column in self._codes.items():
                column.set(n, self._interners[attr].code(getattr(facts, attr)))
            self._live += 1

    def _append_postings(self, tid: int, entries: list[int]) -> None:
        plist = self._postings.get(tid)
        if plist is None:
            self._postings[tid] = array("i", entries)
            return
        try:
            plist.extend(entries)
        except BufferError:
            # A numpy view left by an interrupted search pins the buffer; grow a copy instead.
            self._postings[tid] = array("i", plist)
            self._postings[tid].extend(entries)

    # ------------------------------------------------------------------------------- snapshots

    # Everything a snapshot holds: the documents and statistics, not the analyzer (rebuilt from
    # the catalogue and the synonyms, which the snapshot is checked against), nor the lock.
    _STATE = (
        "_vocab", "_df", "_postings", "_keys", "_number", "_doc_terms", "_facts", "_lengths",
        "_length_sum", "_alive", "_kind", "_created", "_open", "_codes", "_interners", "_live",
    )  # fmt: skip

    def copy_state(self) -> dict[str, Any]:
        """The documents, copied under the lock (what later writes change in place: the postings
        arrays, the numpy columns, the dicts) in about a second at 400,000 documents, for a snapshot
        that pickles them after, while searches and writes go on; ``load_state`` on an index with
        the same analyzer restores them."""
        if self.semantic is not None:
            raise NotImplementedError("a semantic scorer's documents are not kept in snapshots")
        with self._lock:
            state = {
                "_vocab": dict(self._vocab),
                "_df": array("i", self._df),
                "_postings": {tid: array("i", plist) for tid, plist in self._postings.items()},
                "_keys": list(self._keys),  # keys, facts and term lists are never changed, only replaced
                "_number": dict(self._number),
                "_doc_terms": list(self._doc_terms),
                "_facts": list(self._facts),
                "_lengths": self._lengths.copy(),
                "_length_sum": list(self._length_sum),
                "_alive": self._alive.copy(),
                "_kind": self._kind.copy(),
                "_created": self._created.copy(),
                "_open": self._open.copy(),
                "_codes": {attr: column.copy() for attr, column in self._codes.items()},
                "_interners": {attr: interner.copy() for attr, interner in self._interners.items()},
                "_live": self._live,
            }
        assert set(state) == set(self._STATE)
        return state

    def load_state(self, state: Any) -> None:
        with self._lock:
            for name in self._STATE:
                setattr(self, name, state[name])

    def remove(self, key: DocumentKey) -> bool:
        with self._lock:
            if key not in self._number:
                return False
            self._remove_locked(key)
            if self.semantic is not None:
                self.semantic.remove(key)
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
            self._length_sum[i] -= float(self._lengths.data[i, n])
        self._alive.data[n] = False
        self._live -= 1

    def compact(self) -> None:
        """Drop dead documents' postings and renumber the live ones; O(postings)."""
        with self._lock:
            self._compact_locked()

    def _compact_locked(self) -> None:
        size = len(self._keys)
        alive = np.asarray(self._alive.data[:size], dtype=bool)
        new_number = (np.cumsum(alive) - 1).astype(np.int32)
        for tid, plist in list(self._postings.items()):
            pairs = np.frombuffer(plist, dtype=np.int32).reshape(-1, 2)
            kept = pairs[alive[pairs[:, 0]]].copy()
            del pairs
            if kept.size == 0:
                del self._postings[tid]
                continue
            kept[:, 0] = new_number[kept[:, 0]]
            self._postings[tid] = array("i", kept.ravel().tobytes())
        keep = np.flatnonzero(alive)
        self._keys = [self._keys[i] for i in keep]
        self._number = {key: i for i, key in enumerate(self._keys)}
        self._doc_terms = [self._doc_terms[i] for i in keep]
        self._facts = [self._facts[i] for i in keep]
        for column in (self._lengths, self._alive, self._kind, self._created, self._open, *self._codes.values()):
            column.keep(keep, size)
        # Terms that no live document uses keep their id (cheap); their df is already 0.

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
        is always excluded, so a stored report can be re-checked against the index. With a
        semantic plug-in, its similarity is added for the ``semantic_depth`` best candidates.
        """
        analyzed = self.analyzer.analyze(query)
        exclude = (*exclude, query.key)
        if self.semantic is None or not self.weights.semantic:
            return self.search_analyzed(analyzed, now=now, k=k, kinds=kinds, exclude=exclude)
        with self._lock:
            scored = self._score_locked(analyzed, now, kinds, exclude)
            if scored is None or k <= 0:
                return []
            depth = min(max(k, self.weights.semantic_depth), scored.docs.size)
            order = np.argpartition(-scored.total, depth - 1)[:depth]
            pool = scored.docs[order]
            sims = np.clip(np.asarray(self.semantic.similarity(query, [self._keys[d] for d in pool.tolist()])), 0, 1)
            boosted = scored.total[order] + self.weights.semantic * sims
            take = min(k, depth)
            best = np.argpartition(-boosted, take - 1)[:take]
            semantic = dict(zip(pool[best].tolist(), sims[best].astype(float).tolist(), strict=True))
            return self._explain(analyzed.facts, pool[best], scored, now, semantic)

    def search_analyzed(
        self,
        query: AnalyzedDocument,
        *,
        now: datetime,
        k: int = 10,
        kinds: Collection[DocumentKind] | None = None,
        exclude: Collection[DocumentKey] = (),
    ) -> list[MatchCandidate]:
        """:meth:`search` for a query analysed already (with this index's analyzer); no semantic plug-in."""
        with self._lock:
            scored = self._score_locked(query, now, kinds, exclude)
            if scored is None or k <= 0:
                return []
            take = min(k, scored.docs.size)
            top = np.argpartition(-scored.total, take - 1)[:take]
            return self._explain(query.facts, scored.docs[top], scored, now, {})

    def rank_analyzed(
        self,
        query: AnalyzedDocument,
        *,
        now: datetime,
        k: int | None = None,
        kinds: Collection[DocumentKind] | None = None,
        exclude: Collection[DocumentKey] = (),
    ) -> list[tuple[DocumentKey, float]]:
        """Keys and total scores only, best first (every matching document when ``k`` is None).

        For evaluation and bulk re-checks where no reasons are shown; the order is :meth:`search`'s.
        """
        with self._lock:
            scored = self._score_locked(query, now, kinds, exclude)
            if scored is None:
                return []
            order = np.lexsort((-scored.docs, -scored.total))  # ties: the newer document first
            if k is not None:
                order = order[:k]
            keys = self._keys
            docs: list[int] = scored.docs[order].tolist()
            totals: list[float] = scored.total[order].tolist()
            return [(keys[d], t) for d, t in zip(docs, totals, strict=True)]

    def _score_locked(
        self,
        query: AnalyzedDocument,
        now: datetime,
        kinds: Collection[DocumentKind] | None,
        exclude: Collection[DocumentKey],
    ) -> _Scored | None:
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
        # BM25F per field f: w_f * tf / (1 - b_f + b_f * len_f / avg_f), looked up by field number.
        avg = np.array([total / n_live if total > 0 else 1.0 for total in self._length_sum])
        field_w = np.array([w.field_weight(f) for f in FIELDS])
        field_b = np.array([w.field_b(f) for f in FIELDS])
        flat_part = 1.0 - field_b
        slope = field_b / avg
        lengths = self._lengths.data
        k1 = w.k1

        hit_docs: list[Docs] = []
        hit_scores: list[Floats] = []
        looked_up: list[_TermPostings] = []
        for qt in q_terms:
            plist = self._postings[self._vocab[qt.term]]
            pairs = np.frombuffer(plist, dtype=np.int32).reshape(-1, 2)
            # Copies, not views: a live view of the array would stop it growing on the next add.
            docs, codes = pairs[:, 0].copy(), pairs[:, 1].copy()
            del pairs
            looked_up.append(_TermPostings(qt, docs, codes))
            fld = codes & _FIELD_MASK
            ptf = field_w[fld] * (codes >> _FIELD_BITS) / (flat_part[fld] + slope[fld] * lengths[fld, docs])
            if docs.size > 1:
                starts = np.flatnonzero(np.diff(docs, prepend=-1))
                if starts.size < docs.size:  # some documents have the term in several fields: sum them
                    ptf = np.add.reduceat(ptf, starts)
                    docs = docs[starts]
            hit_docs.append(docs)
            hit_scores.append(qt.weight * qt.idf * ptf * (k1 + 1.0) / (k1 + ptf))
        lexical = np.bincount(np.concatenate(hit_docs), weights=np.concatenate(hit_scores), minlength=size)
        cand = np.flatnonzero(lexical > 0).astype(np.int32)
        mask = self._alive.data[cand].astype(bool)
        if kinds is not None:
            allowed = np.array([_KINDS.index(kind) for kind in kinds], dtype=np.int8)
            mask &= np.isin(self._kind.data[cand], allowed)
        banned = [self._number[key] for key in exclude if key in self._number]
        if banned:
            mask &= ~np.isin(cand, np.array(banned, dtype=np.int32))
        cand = cand[mask]
        if cand.size == 0:
            return None
        lex = lexical[cand]
        best = float(lex.max())
        total = lex / best + self._structural(query.facts, cand, now)
        return _Scored(cand, total, best, looked_up)

    def _structural(self, q: MatchFacts, cand: Docs, now: datetime) -> Floats:
        """Vectorised :func:`faultdesk.domain.matching.scoring.structural_features`, weighted and summed."""
        w = self.weights
        out = np.zeros(cand.size, dtype=np.float64)
        ref = (q.created_at or now).timestamp()
        if w.time and w.time_scale_days > 0:
            days = np.abs(ref - self._created.data[cand]) / 86400.0
            out += w.time * np.nan_to_num(1.0 / (1.0 + days / w.time_scale_days), nan=0.0)
        if w.open:
            out += w.open * self._open.data[cand]
        for name, attr in CODE_FEATURES:
            weight = feature_weight(name, w)
            code = self._interners[attr].lookup(getattr(q, attr))
            if weight and code:
                out += weight * (self._codes[attr].data[cand] == code)
        return out

    def _explain(
        self, q: MatchFacts, top: Docs, scored: _Scored, now: datetime, semantic: dict[int, float]
    ) -> list[MatchCandidate]:
        """Scores and reasons of the few top documents, recomputed with the domain's scalar functions."""
        w = self.weights
        n_live = self._live
        avg = {f: (total / n_live if total > 0 else 1.0) for f, total in zip(FIELDS, self._length_sum, strict=True)}
        tf_of: dict[int, dict[QueryTerm, dict[MatchField, int]]] = {d: {} for d in top.tolist()}
        for tp in scored.looked_up:
            starts = np.searchsorted(tp.docs, top, side="left").tolist()
            ends = np.searchsorted(tp.docs, top, side="right").tolist()
            for d, start, end in zip(top.tolist(), starts, ends, strict=True):
                for code in tp.codes[start:end].tolist():
                    tf_of[d].setdefault(tp.term, {})[FIELDS[code & _FIELD_MASK]] = code >> _FIELD_BITS
        out: list[tuple[int, MatchCandidate]] = []
        for d, terms in tf_of.items():
            lengths = dict(zip(FIELDS, self._lengths.data[:, d].tolist(), strict=True))
            matches: list[TermMatch] = []
            for qt, per_field in terms.items():
                s = term_score(qt, pseudo_frequency(per_field, lengths, avg, w), w)
                matches.append(TermMatch(qt.term, tuple(f for f in FIELDS if f in per_field), s))
            matches.sort(key=lambda m: (-m.contribution, m.term))
            lexical = sum(m.contribution for m in matches)
            facts = self._facts[d]
            features = structural_features(q, facts, now, w)
            if semantic:
                features["semantic"] = semantic.get(d, 0.0)
            relative = lexical / scored.best
            score = MatchScore(combine(relative, features, w), lexical, relative, features, tuple(matches))
            out.append((d, MatchCandidate(self._keys[d], score, facts)))
        out.sort(key=lambda dc: (-dc[1].score.total, -dc[0]))  # ties: the newer document first
        return [c for _, c in out]
