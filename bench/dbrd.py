"""Known-issue matching on duplicate-bug-report data sets (DBRD), chronological protocol.

    .venv/bin/python bench/dbrd.py [PATH ...] [--json] [--no-timing] [--tune]

PATH: ``reports.jsonl`` files in the format of ``../shared/data/dbrd/SOURCE.md`` (default: every
``../shared/data/dbrd/*/reports.jsonl`` next to the repository). The optional fields ``channel``,
``device``, ``os_version``, ``app_version`` and ``product`` are used when present.

Protocol (SOURCE.md): sort by (created, id); a report with an earlier member of its duplicate
group is a query; its candidates are all reports before it; hit at k when an earlier group member
is in the top k. Recall-rate@1/5/10 and MRR, for FaultDesk's matcher and the two baselines, on the
whole file and on the queries in the last 40 % of the reports by time ("last40"). Nothing after a
query is used for it, not even IDF: every scorer keeps its statistics over earlier reports only
(the reference TF-IDF fits IDF on the whole file; past-only is the stricter choice).

- faultdesk: ``KnownIssueIndex`` grown one report at a time, each report searched before it is
  added, with ``MatchWeights()`` defaults. Those defaults were tuned with ``--tune`` on the
  queries of the first 60 % of hadoop, hdfs and activemq together (one shared weight set), never
  on the last 40 %; a data set given on the command line is scored with them as they are. The
  analyzer splits pasted logs/stack traces/code off the body and keeps the first 4,000
  characters of the prose and 2,000 of the log (``Analyzer.max_body_chars``/``max_log_chars``),
  for indexing and for the query alike: the rest is mostly repeated log lines, and one body is 3 MB.
- tfidf: sublinear term frequency (1 + ln tf) x smooth IDF (ln((1+N)/(1+df)) + 1), L2-normalised,
  cosine, over title + full body: scikit-learn's TfidfVectorizer(sublinear_tf=True), which reproduces
  the reference figures quoted with SOURCE.md (about 0.89 / 0.71 / 0.63 RR@10); raw tf gives ~8 points less.
- bm25: plain BM25 (k1 = 1.2, b = 0.75, IDF ln(1 + (N-df+.5)/(df+.5))) over title + full body.
  Both baselines tokenise simply: lower-case runs of two or more word characters (scikit-learn's
  default), and character bigrams of Chinese runs (so they also work on Chinese data sets).

Ranks: ties are broken towards the newer report for every scorer; a duplicate with score 0 (no
shared term) is a miss. Timing (unless --no-timing): index build and query latency (analysis
included) at 10,000 and 100,000 reports sampled with replacement from the given files.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from faultdesk.adapters.search import KnownIssueIndex, build_analyzer
from faultdesk.domain.matching.analysis import AnalyzedDocument, Analyzer
from faultdesk.domain.matching.documents import DocumentKind, MatchDocument
from faultdesk.domain.matching.scoring import MatchWeights

REPO = Path(__file__).resolve().parents[1]
DEFAULT_GLOB = "../shared/data/dbrd/*/reports.jsonl"
TRAIN_SHARE = 0.6
KS = (1, 5, 10)


@dataclass(frozen=True)
class Report:
    id: str
    title: str
    body: str
    created: datetime
    group: str | None
    extra: dict[str, str]

    def document(self) -> MatchDocument:
        return MatchDocument(
            id=self.id,
            kind=DocumentKind.REPORT,
            title=self.title,
            body=self.body,
            device=self.extra.get("device", ""),
            os_version=self.extra.get("os_version", ""),
            app_version=self.extra.get("app_version", ""),
            product=self.extra.get("product", ""),
            channel=self.extra.get("channel", ""),
            created_at=self.created,
        )


def load(path: Path) -> list[Report]:
    reports = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            extra = {
                k: str(row[k]) for k in ("channel", "device", "os_version", "app_version", "product") if row.get(k)
            }
            reports.append(
                Report(
                    id=str(row["id"]),
                    title=row.get("title") or "",
                    body=row.get("body") or "",
                    created=_utc(datetime.fromisoformat(row["created"])),
                    group=row.get("group"),
                    extra=extra,
                )
            )
    reports.sort(key=lambda r: (r.created, r.id))
    return reports


def _utc(at: datetime) -> datetime:
    # SOURCE.md: times are UTC; a file that omits the offset means UTC too.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Query:
    pos: int  # position in time order; candidates are positions < pos
    targets: frozenset[int]  # earlier members of its group


def find_queries(reports: Sequence[Report]) -> list[Query]:
    seen: dict[str, list[int]] = {}
    out = []
    for pos, r in enumerate(reports):
        if r.group is None:
            continue
        earlier = seen.setdefault(r.group, [])
        if earlier:
            out.append(Query(pos, frozenset(earlier)))
        earlier.append(pos)
    return out


def metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    out = {f"rr{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in KS}
    out["mrr"] = sum(1.0 / r for r in ranks if r is not None) / n
    return out


def rank_of(scores: np.ndarray, targets: frozenset[int]) -> int | None:
    """1-based rank of the best-scored target among positions 0..len-1; ties go to the newer report."""
    idx = np.fromiter(targets, dtype=np.int64)
    best = idx[np.argmax(scores[idx] + idx * 1e-12)]  # the newest among equally scored targets
    s = scores[best]
    if s <= 0:
        return None
    ahead = int(np.count_nonzero(scores > s)) + int(np.count_nonzero(scores[best + 1 :] == s))
    return ahead + 1


# ------------------------------------------------------------------------------------ baselines

# scikit-learn's default token pattern (two or more word characters), except that Chinese runs,
# which \w would swallow whole, become character bigrams.
_SIMPLE_RE = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|(?:(?![\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])\w){2,}"
)
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def simple_tokens(text: str) -> list[str]:
    out: list[str] = []
    for tok in _SIMPLE_RE.findall(text.lower()):
        if _CJK_RE.match(tok):
            out.extend([tok] if len(tok) == 1 else [tok[i : i + 2] for i in range(len(tok) - 1)])
        else:
            out.append(tok)
    return out


@dataclass
class Corpus:
    """Title + full body of every report as a term-frequency matrix in COO form, rows in time order."""

    doc: np.ndarray
    term: np.ndarray
    tf: np.ndarray
    length: np.ndarray
    vocab: dict[str, int]
    row_start: np.ndarray  # entries of doc i are [row_start[i], row_start[i+1])

    @classmethod
    def build(cls, reports: Sequence[Report]) -> Corpus:
        vocab: dict[str, int] = {}
        doc, term, tf, length = [], [], [], []
        for i, r in enumerate(reports):
            counts = Counter(simple_tokens(f"{r.title}\n{r.body}"))
            length.append(sum(counts.values()))
            for t, c in counts.items():
                doc.append(i)
                term.append(vocab.setdefault(t, len(vocab)))
                tf.append(c)
        d = np.array(doc, dtype=np.int64)
        row_start = np.searchsorted(d, np.arange(len(reports) + 1))
        return cls(
            d, np.array(term, dtype=np.int64), np.array(tf, dtype=np.float64), np.array(length, float), vocab, row_start
        )

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.row_start[i], self.row_start[i + 1]
        return self.term[a:b], self.tf[a:b]


def tfidf_ranks(corpus: Corpus, queries: Sequence[Query]) -> list[int | None]:
    out = []
    for q in queries:
        end = corpus.row_start[q.pos]  # entries of the reports before the query
        n = q.pos
        df = np.bincount(corpus.term[:end], minlength=len(corpus.vocab))
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        w = (1.0 + np.log(corpus.tf[:end])) * idf[corpus.term[:end]]
        norms = np.sqrt(np.bincount(corpus.doc[:end], weights=w * w, minlength=n))
        q_terms, q_tf = corpus.row(q.pos)
        q_vec = np.zeros(len(corpus.vocab))
        q_vec[q_terms] = (1.0 + np.log(q_tf)) * idf[q_terms]
        dots = np.bincount(corpus.doc[:end], weights=w * q_vec[corpus.term[:end]], minlength=n)
        scores = np.divide(dots, norms, out=np.zeros(n), where=norms > 0)
        out.append(rank_of(scores, q.targets))
    return out


def bm25_ranks(corpus: Corpus, queries: Sequence[Query], k1: float = 1.2, b: float = 0.75) -> list[int | None]:
    # Postings per term in time order, so "reports before the query" is a prefix of each list.
    order = np.lexsort((corpus.doc, corpus.term))
    p_term, p_doc, p_tf = corpus.term[order], corpus.doc[order], corpus.tf[order]
    starts = np.searchsorted(p_term, np.arange(len(corpus.vocab) + 1))
    cum_len = np.concatenate([[0.0], np.cumsum(corpus.length)])
    out = []
    for q in queries:
        n = q.pos
        avgdl = cum_len[n] / n if n else 1.0
        scores = np.zeros(n)
        q_terms, _ = corpus.row(q.pos)
        for t in q_terms:
            a, z = starts[t], starts[t + 1]
            cut = a + int(np.searchsorted(p_doc[a:z], n))
            df = cut - a
            if df == 0:
                continue
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            d, tf = p_doc[a:cut], p_tf[a:cut]
            scores[d] += idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * corpus.length[d] / avgdl))
        out.append(rank_of(scores, q.targets))
    return out


# ------------------------------------------------------------------------------------ faultdesk


def faultdesk_ranks(
    reports: Sequence[Report],
    analysed: Sequence[AnalyzedDocument],
    analyzer: Analyzer,
    queries: Sequence[Query],
    variants: Sequence[MatchWeights],
    stop: int | None = None,
) -> list[list[int | None]]:
    """Replay the index in time order; each query is searched (once per weight variant) before it is added."""
    index = KnownIssueIndex(analyzer, variants[0])
    by_pos = {q.pos: q for q in queries}
    pos_of = {("report", r.id): i for i, r in enumerate(reports)}
    out: list[list[int | None]] = [[] for _ in variants]
    last = stop if stop is not None else len(reports)
    for pos in range(last):
        q = by_pos.get(pos)
        if q is not None:
            for v, weights in enumerate(variants):
                index.weights = weights
                ranked = index.rank_analyzed(analysed[pos], now=reports[pos].created)
                rank = None
                for i, (key, _) in enumerate(ranked, start=1):
                    if pos_of[(key[0].value, key[1])] in q.targets:
                        rank = i
                        break
                out[v].append(rank)
        index.add_analyzed((DocumentKind.REPORT, reports[pos].id), analysed[pos])
    return out


# ------------------------------------------------------------------------------------ driver


@dataclass
class DataSet:
    path: Path
    reports: list[Report]
    queries: list[Query]
    cut: int  # first position of the last 40 %
    analysed: list[AnalyzedDocument]

    @property
    def train(self) -> list[Query]:
        return [q for q in self.queries if q.pos < self.cut]

    @property
    def test(self) -> list[Query]:
        return [q for q in self.queries if q.pos >= self.cut]


def prepare(path: Path, analyzer: Analyzer) -> DataSet:
    reports = load(path)
    queries = find_queries(reports)
    cut = math.ceil(TRAIN_SHARE * len(reports))
    analysed = [analyzer.analyze(r.document()) for r in reports]
    return DataSet(path, reports, queries, cut, analysed)


def evaluate(ds: DataSet, analyzer: Analyzer) -> list[dict[str, object]]:
    corpus = Corpus.build(ds.reports)
    ranks = {
        "faultdesk": faultdesk_ranks(ds.reports, ds.analysed, analyzer, ds.queries, [MatchWeights()])[0],
        "tfidf": tfidf_ranks(corpus, ds.queries),
        "bm25": bm25_ranks(corpus, ds.queries),
    }
    rows: list[dict[str, object]] = []
    for split in ("whole", "last40"):
        keep = [i for i, q in enumerate(ds.queries) if split == "whole" or q.pos >= ds.cut]
        rows.append(
            {
                "path": str(ds.path),
                "split": split,
                "queries": len(keep),
                "scorers": {
                    name: {m: round(v, 4) for m, v in metrics([r[i] for i in keep]).items()}
                    for name, r in ranks.items()
                },
            }
        )
    return rows


# Coordinate ascent over the weights DBRD can inform; the rest stay at their judged defaults.
TUNE_GRID: dict[str, Sequence[float]] = {
    "title": (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0),
    "b_title": (0.0, 0.25, 0.5, 0.75, 1.0),
    "b_body": (0.3, 0.5, 0.75, 0.9, 1.0),
    "log": (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0),
    "query_log": (0.1, 0.25, 0.5, 0.75, 1.0),
    "k1": (0.6, 0.9, 1.2, 1.6, 2.0, 3.0),
    "query_title": (1.0, 1.5, 2.0, 3.0, 4.0),
    "query_k": (0.15, 0.3, 0.6, 1.0, 2.0, 5.0),
    "time": (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0),
    "time_scale_days": (10.0, 30.0, 90.0, 365.0, 730.0),
    "max_query_terms": (16, 24, 32, 48, 64, 96),
    "max_df_ratio": (0.05, 0.1, 0.25, 0.5, 1.0),
}


def tune(
    datasets: Sequence[DataSet],
    analyzer: Analyzer,
    *,
    start: MatchWeights | None = None,
    rounds: int = 3,
    min_gain: float = 0.002,
) -> MatchWeights:
    """Coordinate ascent from ``start`` (the current defaults) on the mean over data sets of (RR@10 + MRR) / 2,
    training queries only (first 60 % of each set), one weight set shared by all sets.

    A step must gain at least ``min_gain`` (0.2 points, well under one query on any set): with a
    few hundred queries smaller gains are noise, and chasing them only moves weights to extremes.
    """

    def objective(variants: list[MatchWeights]) -> list[float]:
        per_set = []
        for ds in datasets:
            ranks = faultdesk_ranks(ds.reports, ds.analysed, analyzer, ds.train, variants, stop=ds.cut)
            per_set.append([(metrics(r)["rr10"] + metrics(r)["mrr"]) / 2 for r in ranks])
        return [statistics.fmean(col) for col in zip(*per_set, strict=True)]

    current = start or MatchWeights()
    best = objective([current])[0]
    print(f"start {best:.4f}", file=sys.stderr)
    for _ in range(rounds):
        improved = False
        for name, values in TUNE_GRID.items():
            cast: Callable[[float], object] = int if name == "max_query_terms" else float
            variants = [replace(current, **{name: cast(v)}) for v in values]
            scores = objective(variants)
            i = max(range(len(values)), key=lambda j: (scores[j], -abs(j - len(values) // 2)))
            if scores[i] > best + min_gain:
                best, current, improved = scores[i], variants[i], True
            print(
                f"{name:>16} -> {getattr(current, name)!s:>6}  {best:.4f}  {[round(s, 4) for s in scores]}",
                file=sys.stderr,
            )
        if not improved:
            break
    return current


def _percentile(sorted_values: Sequence[float], share: float) -> float:
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def timing(
    pool: Sequence[Report], sizes: Sequence[int] = (10_000, 100_000), n_queries: int = 300
) -> list[dict[str, float]]:
    """Build and query an index of ``size`` reports sampled (with replacement) from the real ones.

    Latency is wall time of ``KnownIssueIndex.search`` (analysis of the query included, k = 10,
    reasons included) for real reports not renamed into the index; CPU time is reported too,
    because other jobs on a shared machine inflate wall time but not CPU time.
    """
    rng = random.Random(20240601)
    out = []
    start = datetime.fromisoformat("2020-01-01T00:00:00+00:00")
    for size in sizes:
        step = timedelta(days=3 * 365) / size
        docs = [replace(rng.choice(pool).document(), id=f"s{i}", created_at=start + i * step) for i in range(size)]
        index = KnownIssueIndex(build_analyzer())
        gc.collect()
        t0 = time.perf_counter()
        for d in docs:
            index.add(d)
        build = time.perf_counter() - t0
        now = start + timedelta(days=3 * 365 + 1)
        wall, cpu, adds = [], [], []
        for j in range(n_queries):
            q = replace(rng.choice(pool).document(), id=f"q{j}", created_at=now)
            t0, c0 = time.perf_counter(), time.process_time()
            index.search(q, now=now, k=10)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            t0 = time.perf_counter()
            index.add(replace(q, id=f"new{j}"))  # a new report becomes searchable: the write path
            adds.append((time.perf_counter() - t0) * 1000)
        wall.sort()
        cpu.sort()
        adds.sort()
        stats = index.stats()
        out.append(
            {
                "reports": size,
                "build_s": round(build, 2),
                "median_ms": round(statistics.median(wall), 2),
                "p95_ms": round(_percentile(wall, 0.95), 2),
                "cpu_median_ms": round(statistics.median(cpu), 2),
                "cpu_p95_ms": round(_percentile(cpu, 0.95), 2),
                "add_p95_ms": round(_percentile(adds, 0.95), 2),
                "postings": stats.postings,
                "terms": stats.terms,
            }
        )
        del index, docs
    return out


def print_table(rows: list[dict[str, object]]) -> None:
    print(
        f"{'data set':<28} {'split':<7} {'queries':>7}  {'scorer':<10} {'RR@1':>6} {'RR@5':>6} {'RR@10':>6} {'MRR':>6}"
    )
    for row in rows:
        path = Path(str(row["path"]))
        name = path.parent.name or path.name
        scorers = row["scorers"]
        assert isinstance(scorers, dict)
        for i, (scorer, m) in enumerate(scorers.items()):
            lead = f"{name:<28} {row['split']!s:<7} {row['queries']!s:>7}" if i == 0 else " " * 44
            print(f"{lead}  {scorer:<10} {m['rr1']:6.3f} {m['rr5']:6.3f} {m['rr10']:6.3f} {m['mrr']:6.3f}")
        best_base = max(scorers["tfidf"]["rr10"], scorers["bm25"]["rr10"])
        print(f"{'':44}  RR@10 gain over better baseline: {scorers['faultdesk']['rr10'] - best_base:+.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    parser.add_argument("--no-timing", action="store_true", help="skip the 10k/100k latency runs")
    parser.add_argument("--tune", action="store_true", help="tune MatchWeights on the first 60 %% and print them")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(REPO.glob(DEFAULT_GLOB))
    if not paths:
        parser.error(f"no data sets given and none at {REPO / DEFAULT_GLOB}")
    analyzer = build_analyzer()
    datasets = [prepare(p.resolve(), analyzer) for p in paths]
    if args.tune:
        weights = tune(datasets, analyzer)
        changed = {f.name: getattr(weights, f.name) for f in fields(weights) if getattr(weights, f.name) != f.default}
        print(json.dumps({"changed_from_defaults": changed, "weights": asdict(weights)}, indent=2))
        return 0
    rows = [row for ds in datasets for row in evaluate(ds, analyzer)]
    result: dict[str, object] = {"datasets": rows, "weights": asdict(MatchWeights())}
    if not args.no_timing:
        result["timing"] = timing([r for ds in datasets for r in ds.reports])
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print_table(rows)
    if "timing" in result:
        print()
        print(
            f"{'indexed':>8} {'build s':>8} {'median ms':>10} {'p95 ms':>8} {'cpu med':>8} {'cpu p95':>8}"
            f" {'add p95':>8} {'postings':>10}"
        )
        timing_rows = result["timing"]
        assert isinstance(timing_rows, list)
        for t in timing_rows:
            print(
                f"{t['reports']:>8} {t['build_s']:>8} {t['median_ms']:>10} {t['p95_ms']:>8} {t['cpu_median_ms']:>8}"
                f" {t['cpu_p95_ms']:>8} {t['add_p95_ms']:>8} {t['postings']:>10}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
