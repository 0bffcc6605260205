"""Known-issue matching (DESIGN §4, stage 2 "recurrence check"): the rules, without the index.

A new report is compared with earlier reports, faults (open and archived), knowledge-base
articles and release notes. This module holds everything about *how* two records are compared
and nothing about *where* they are kept:

- text analysis: width/case normalisation, a pluggable :class:`Segmenter` for Chinese runs,
  English tokens (identifiers split, light stemming), stop words and synonym folding;
- the documents (:class:`MatchDocument`) and their weighted fields, with logs and stack traces
  pasted into a description split off into a field of their own;
- the score: BM25F lexical relevance (Robertson & Zaragoza's per-field normalised
  pseudo-frequency), made relative to the best candidate of the query, plus structural
  evidence a fault record carries (same product function, fault type, app version, time
  proximity, still open);
- the explanation (:class:`MatchScore`): which query terms matched in which fields, and which
  structural features fired;
- the seam for an optional embedding model (:class:`SemanticScorer`); none is needed by default.

The index adapter (``faultdesk.adapters.search``) computes the same formula vectorised over
its postings; the scalar functions here are the specification it is tested against.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Protocol

from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.lifecycle import OPEN_STATES
from faultdesk.domain.reports import Channel

# --------------------------------------------------------------------------------------------
# Documents


class DocumentKind(StrEnum):
    REPORT = "report"  # 反馈
    FAULT = "fault"  # 故障单, open or archived
    KB = "kb"  # 知识库文章
    RELEASE = "release"  # 版本更新日志


class MatchField(StrEnum):
    """The weighted text fields. Order matters: the index numbers fields by position."""

    TITLE = "title"  # title / symptom: what the reporter saw
    SCENARIO = "scenario"  # what they were doing
    BODY = "body"  # description, article text, release note
    LOG = "log"  # logs, stack traces and code pasted into the body (split off by the analyzer)
    DEVICE = "device"  # device model
    VERSION = "version"  # OS and app version
    PRODUCT = "product"  # product and function names


FIELDS: tuple[MatchField, ...] = tuple(MatchField)

DocumentKey = tuple[DocumentKind, str]


@dataclass(frozen=True)
class MatchDocument:
    """One record as the matcher sees it. ``id`` is unique within its ``kind``."""

    id: str
    kind: DocumentKind
    title: str
    scenario: str = ""
    body: str = ""
    device: str = ""
    os_version: str = ""
    app_version: str = ""
    product: str = ""
    function: str = ""
    type_code: str = ""
    channel: str = ""  # app / web / mini_program / hotline / offline
    created_at: datetime | None = None
    is_open: bool = False

    def __post_init__(self) -> None:
        # Time proximity subtracts instants; a naive datetime would silently be local time.
        if self.created_at is not None and self.created_at.tzinfo is None:
            raise ValueError("MatchDocument.created_at must be timezone-aware")

    @property
    def key(self) -> DocumentKey:
        return (self.kind, self.id)

    def field_texts(self) -> dict[MatchField, str]:
        return {
            MatchField.TITLE: self.title,
            MatchField.SCENARIO: self.scenario,
            MatchField.BODY: self.body,
            MatchField.DEVICE: self.device,
            MatchField.VERSION: f"{self.os_version} {self.app_version}".strip(),
            MatchField.PRODUCT: f"{self.product} {self.function}".strip(),
        }

    def facts(self) -> MatchFacts:
        return MatchFacts(
            created_at=self.created_at,
            is_open=self.is_open,
            product=normalise_code(self.product),
            function=normalise_code(self.function),
            type_code=normalise_code(self.type_code),
            app_version=normalise_code(self.app_version),
            channel=normalise_code(self.channel),
        )


class ReportFacts(Protocol):
    """What a report document is made of: a domain Report, or a stored report's read view."""

    @property
    def id(self) -> int | None: ...
    @property
    def symptom(self) -> str: ...
    @property
    def scenario(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def device_model(self) -> str | None: ...
    @property
    def os_version(self) -> str | None: ...
    @property
    def app_version(self) -> str | None: ...
    @property
    def product_code(self) -> str | None: ...
    @property
    def function_code(self) -> str | None: ...
    @property
    def channel(self) -> Channel: ...
    @property
    def received_at(self) -> datetime: ...


class FaultFacts(Protocol):
    """What a fault document is made of: a domain Fault, or a stored fault's read view."""

    @property
    def id(self) -> int | None: ...
    @property
    def number(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> FaultStatus: ...
    @property
    def type_code(self) -> str: ...
    @property
    def product_code(self) -> str | None: ...
    @property
    def function_code(self) -> str | None: ...
    @property
    def registered_at(self) -> datetime: ...


def report_document(report: ReportFacts, *, is_open: bool = False) -> MatchDocument:
    """A report as the matcher sees it; ``is_open`` says whether its fault is still being worked on.

    A report not stored yet (no id) gets the id ``"new"``, which no stored report has.
    """
    return MatchDocument(
        id=str(report.id) if report.id is not None else "new",
        kind=DocumentKind.REPORT,
        title=report.symptom,
        scenario=report.scenario or "",
        body=report.description or "",
        device=report.device_model or "",
        os_version=report.os_version or "",
        app_version=report.app_version or "",
        product=report.product_code or "",
        function=report.function_code or "",
        channel=report.channel.value,
        created_at=report.received_at,
        is_open=is_open,
    )


def fault_document(fault: FaultFacts, *, body: str = "") -> MatchDocument:
    """A fault as the matcher sees it; ``body`` may carry its diagnosis or its reports' descriptions."""
    return MatchDocument(
        id=str(fault.id) if fault.id is not None else fault.number,
        kind=DocumentKind.FAULT,
        title=fault.title,
        body=body,
        product=fault.product_code or "",
        function=fault.function_code or "",
        type_code=fault.type_code,
        created_at=fault.registered_at,
        is_open=fault.status in OPEN_STATES,  # a closed fault cannot earn the open bonus
    )


@dataclass(frozen=True)
class MatchFacts:
    """The structured part of a record that ranking compares exactly (codes normalised)."""

    created_at: datetime | None = None
    is_open: bool = False
    product: str = ""
    function: str = ""
    type_code: str = ""
    app_version: str = ""
    channel: str = ""


# Structural features that compare one code exactly: (feature = weight name, MatchFacts attribute).
CODE_FEATURES: tuple[tuple[str, str], ...] = (
    ("same_function", "function"),
    ("same_product", "product"),
    ("same_type", "type_code"),
    ("same_app_version", "app_version"),
    ("same_channel", "channel"),
)


# --------------------------------------------------------------------------------------------
# Text normalisation and analysis


def normalise(text: str) -> str:
    """NFKC folds full-width letters, digits and punctuation (ＡＰＰ，１２) to half width; then casefold."""
    return unicodedata.normalize("NFKC", text).casefold()


def normalise_code(value: str) -> str:
    return normalise(value).strip()


class Segmenter(Protocol):
    """Cuts a run of Chinese characters into words. Only CJK runs are passed in."""

    def cut(self, text: str) -> list[str]: ...


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


class CjkBigramSegmenter:
    """Dependency-free fallback: overlapping character bigrams (a run of one character stays one).

    Bigrams are the classic segmentation-free index for Chinese; they need no dictionary, at the
    price of noisier matches. The production segmenter lives in the search adapter.
    """

    def cut(self, text: str) -> list[str]:
        if len(text) < 2:
            return [text] if text else []
        return [text[i : i + 2] for i in range(len(text) - 1)]


@dataclass(frozen=True)
class Synonyms:
    """Groups of interchangeable fault words; every variant is folded to the group's first entry.

    Admin-editable: build a new value from the edited groups and rebuild the index with it
    (folding happens at analysis time, so old postings keep the old folding until rebuilt).
    """

    groups: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def from_groups(cls, groups: Iterable[Iterable[str]]) -> Synonyms:
        cleaned: list[tuple[str, ...]] = []
        seen: set[str] = set()
        for group in groups:
            words: list[str] = []
            for raw in group:
                word = normalise(raw).strip()
                # A word may sit in one group only, or folding would depend on group order.
                if word and word not in seen:
                    seen.add(word)
                    words.append(word)
            if len(words) >= 2:
                cleaned.append(tuple(words))
        return cls(tuple(cleaned))

    def canonical(self) -> dict[str, str]:
        """variant -> canonical word, for every variant (canonical words map to themselves)."""
        return {word: group[0] for group in self.groups for word in group}

    def words(self) -> Iterator[str]:
        for group in self.groups:
            yield from group


DEFAULT_SYNONYMS = Synonyms.from_groups(
    [
        # Chinese fault vocabulary (the examples first)
        ["闪退", "崩溃", "自动退出", "奔溃", "闪崩", "强退"],
        ["卡顿", "加载慢", "很卡", "反应慢", "响应慢", "加载缓慢"],
        ["卡死", "无响应", "假死", "死机", "未响应"],
        ["登录", "登陆", "登入", "登錄"],  # 登陆 is the common misspelling of 登录
        ["报错", "出错", "错误", "提示错误", "错误提示"],
        ["无法", "不能", "没法", "不可以"],
        ["打不开", "无法打开", "打开失败", "无法启动", "启动失败"],
        ["白屏", "空白页", "页面空白"],
        ["掉线", "断线", "断开连接", "连接断开"],
        ["收不到", "接收不到", "没收到", "未收到"],
        ["支付", "付款", "缴费"],
        ["验证码", "校验码", "动态码"],
        ["密码", "口令"],
        ["升级", "更新"],
        ["安卓", "android"],
        # English: kept apart from the Chinese groups so that reasons stay in the report's language
        ["crash", "crashes", "crashed", "crashing", "segfault"],
        ["freeze", "freezes", "frozen", "hang", "hangs", "unresponsive"],
        ["login", "logon", "signin", "log-in", "sign-in"],
        ["slow", "sluggish", "laggy"],
    ]
)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# One pass finds both CJK runs and ASCII tokens; everything else (punctuation, symbols) separates.
_TOKEN_RE = re.compile(
    rf"([{_CJK}]+)|[vV]?([0-9]+(?:\.[0-9]+)+)(?![0-9A-Za-z])|([A-Za-z][A-Za-z0-9_']*|[0-9]+[A-Za-z]*)"
)
_CJK_RE = re.compile(f"[{_CJK}]")
_CAMEL_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_HEXISH_RE = re.compile(r"^(?:0x)?[0-9a-f]{8,}$")

# A word list reads best as one string (hence the noqa). Short on purpose: words that carry
# no fault meaning in any report; frequent domain words are left to IDF, which discounts them
# per corpus instead of guessing.
ENGLISH_STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her his how i if in
    into is it its me my no not of on or our she so than that the their them then there these they this
    those to too us was we were what when where which while who why will with would you your also just
    only any some such very via per am""".split()  # noqa: SIM905
)
CHINESE_STOPWORDS = frozenset(
    """的 了 是 在 和 与 或 及 就 都 也 还 又 把 被 让 给 对 从 向 等 着 过 吗 呢 吧 啊 呀 哦 嗯
    我 你 他 她 它 们 这 那 个 我们 你们 他们 一个 这个 那个 然后 但是 因为 所以 如果 就是 还是 可以
    什么 怎么 一下 已经 时候 现在 一直 出现 问题 之后 的话 时 后 里""".split()  # noqa: SIM905
)

_MAX_TOKEN_CHARS = 40  # longer "words" are hashes, base64 or URLs glued together


def light_stem(word: str) -> str:
    """A deliberately light English stemmer: plurals, -ed, -ing and a final -e.

    Inflections are what reporters vary most. On the DBRD training queries this stemmer gains
    2.3 points of (RR@10 + MRR) / 2 over none, and the full Snowball stemmer nothing more (-0.1),
    so it is not worth a dependency.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) > 5 and _has_vowel(word[:-3]):
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) > 4 and _has_vowel(word[:-2]):
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _has_vowel(stem: str) -> bool:
    return any(c in "aeiouy" for c in stem)


def _undouble(stem: str) -> str:
    # stopped -> stopp -> stop, but called -> call, passed -> pass (Porter's l/s/z exception).
    if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "aeioulsz":
        return stem[:-1]
    return stem


@dataclass(frozen=True)
class AnalyzedDocument:
    """A document's terms per field, ready to index or to query with."""

    terms: Mapping[MatchField, tuple[str, ...]]
    facts: MatchFacts

    def term_fields(self) -> dict[str, dict[MatchField, int]]:
        """term -> {field: frequency}."""
        out: dict[str, dict[MatchField, int]] = {}
        for fld, terms in self.terms.items():
            for term, count in Counter(terms).items():
                out.setdefault(term, {})[fld] = count
        return out


class Analyzer:
    """Turns text into index terms, identically for documents and queries.

    Chinese runs go to the injected :class:`Segmenter`; English and code tokens are handled here:
    ``NullPointerException`` and ``dfs_replication`` index as the whole identifier and as their
    parts, because reporters name the class in one report and describe it in words in the next.
    """

    def __init__(
        self,
        segmenter: Segmenter,
        synonyms: Synonyms = DEFAULT_SYNONYMS,
        *,
        max_body_chars: int = 4000,
        max_log_chars: int = 2000,
        stopwords: frozenset[str] = ENGLISH_STOPWORDS | CHINESE_STOPWORDS,
    ) -> None:
        self.segmenter = segmenter
        self.synonyms = synonyms
        # Pasted logs and thread dumps (one real body is 3 MB) add noise and cost, not evidence:
        # the symptom and the top of a stack trace are at the start.
        self.max_body_chars = max_body_chars
        self.max_log_chars = max_log_chars
        self._stopwords = stopwords
        self._word_cache: dict[str, tuple[str, ...]] = {}
        self._cjk_phrase: dict[str, str] = {}
        self._cjk_phrase_re: re.Pattern[str] | None = None
        ascii_phrase: dict[str, str] = {}
        self._term_fold: dict[str, str] = {}
        canonical = synonyms.canonical()
        for variant, target in canonical.items():
            if variant == target:
                continue
            if _CJK_RE.search(variant):
                # Chinese variants are rewritten inside each CJK run before segmentation, so that a
                # segmenter that splits 自动退出 differently from 闪退 still yields the same term.
                self._cjk_phrase[variant] = target
            elif len(_TOKEN_RE.findall(variant)) > 1:
                # "log-in": several tokens, so it can only be recognised in the text as a phrase.
                ascii_phrase[variant] = target
            else:
                # crashes, hangs: folded after stemming, which also catches inflections not listed.
                v_terms, t_terms = self._plain_terms(variant), self._plain_terms(target)
                if len(v_terms) == 1 and len(t_terms) == 1 and v_terms[0] != t_terms[0]:
                    self._term_fold[v_terms[0]] = t_terms[0]
        self._cjk_phrase_re = _alternation(self._cjk_phrase, 0)
        self._ascii_phrase = ascii_phrase
        self._ascii_phrase_re = _alternation(ascii_phrase, re.IGNORECASE)
        self._word_cache.clear()  # filled above before the folds existed

    def terms(self, text: str) -> list[str]:
        if not text:
            return []
        text = unicodedata.normalize("NFKC", text)
        if self._ascii_phrase_re is not None:
            text = self._ascii_phrase_re.sub(lambda m: f" {self._ascii_phrase[m.group(0).casefold()]} ", text)
        return self._plain_terms(text)

    def analyze(self, doc: MatchDocument) -> AnalyzedDocument:
        texts = doc.field_texts()
        prose, log = split_pasted_log(texts[MatchField.BODY][: 4 * self.max_body_chars])
        texts[MatchField.BODY] = prose[: self.max_body_chars]
        texts[MatchField.LOG] = log[: self.max_log_chars]
        return AnalyzedDocument({f: tuple(self.terms(t)) for f, t in texts.items() if t}, doc.facts())

    def _plain_terms(self, text: str, *, rewritten: bool = False) -> list[str]:
        out: list[str] = []
        stop = self._stopwords
        cache = self._word_cache
        for m in _TOKEN_RE.finditer(text):
            cjk, version, word = m.group(1), m.group(2), m.group(3)
            if cjk:
                if self._cjk_phrase_re is not None and not rewritten:
                    replaced = self._cjk_phrase_re.sub(lambda p: f" {self._cjk_phrase[p.group(0)]} ", cjk)
                    if replaced != cjk:
                        out.extend(self._plain_terms(replaced, rewritten=True))
                        continue
                out.extend(w for w in self.segmenter.cut(cjk) if w not in stop)
            elif version:
                # v2.3.1 and 2.3.1 are the same version; dotted numbers are kept whole.
                if len(version) <= 16:
                    out.append(version)
            elif word:
                terms = cache.get(word)
                if terms is None:
                    fold = self._term_fold
                    terms = tuple(fold.get(t, t) for t in _word_terms(word) if t not in stop)
                    if len(cache) > 200_000:  # bounded: logs can be full of one-off tokens
                        cache.clear()
                    cache[word] = terms
                out.extend(terms)
        return out


def _alternation(words: Mapping[str, str], flags: int) -> re.Pattern[str] | None:
    if not words:
        return None
    # Longest first, so a longer variant wins over a variant it contains.
    return re.compile("|".join(_phrase_pattern(w) for w in sorted(words, key=len, reverse=True)), flags)


# Jira {code}/{noformat} blocks and Markdown fences; unterminated blocks run to the end.
_BLOCK_RE = re.compile(r"\{(code|noformat)[^}]*\}(.*?)(?:\{\1\}|\Z)|```(.*?)(?:```|\Z)", re.S)
# Lines that are machine output even outside a block: stack frames and time-stamped log lines.
_LOG_LINE_RE = re.compile(
    r"^\s*(?:at\s+[\w$.<>/]+\(|caused by:|\.\.\. \d+ more|\[?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|\d{2}/\d{2}/\d{2} \d{2}:\d{2}"
    r"|\[?(?:info|warn|warning|error|debug|trace|fatal)\]?\s)",
    re.IGNORECASE,
)


def split_pasted_log(body: str) -> tuple[str, str]:
    """(prose, log): what the reporter wrote, and what they pasted (logs, stack traces, code).

    Both are evidence, of different kinds: a pasted log repeats timestamps, hosts and ids that
    match unrelated reports, while its exception names match the same fault. So the log is its
    own field with its own weights (tuned: as heavy as the description in a candidate, half as
    heavy in the query, where a long paste would otherwise crowd out the reporter's words).
    """
    if "{" not in body and "```" not in body and "\n" not in body:
        return body, ""
    prose: list[str] = []
    log: list[str] = []
    pos = 0
    for m in _BLOCK_RE.finditer(body):
        prose.append(body[pos : m.start()])
        log.append(m.group(2) or m.group(3) or "")
        pos = m.end()
    prose.append(body[pos:])
    kept: list[str] = []
    for line in "".join(prose).splitlines():
        (log if _LOG_LINE_RE.match(line) else kept).append(line)
    return "\n".join(kept), "\n".join(log)


def _phrase_pattern(word: str) -> str:
    escaped = re.escape(word)
    # ASCII variants must match whole words only ("hang" is not in "change").
    if word[:1].isascii() and word[:1].isalnum():
        escaped = rf"(?<![A-Za-z0-9]){escaped}"
    if word[-1:].isascii() and word[-1:].isalnum():
        escaped = rf"{escaped}(?![A-Za-z0-9])"
    return escaped


def _word_terms(word: str) -> list[str]:
    word = word.strip("_'")
    if not word:
        return []
    if word[0].isdigit():
        # Short numbers (ports, error codes, 4g) help; long digit strings are ids, timestamps
        # and sizes that never recur.
        return [word.lower()] if 2 <= len(word) <= 6 else []
    lower = word.lower().replace("'", "")
    if len(lower) > _MAX_TOKEN_CHARS or _HEXISH_RE.match(lower):
        return []
    parts = [p.lower() for chunk in word.split("_") for p in _CAMEL_RE.findall(chunk)]
    if len(parts) <= 1:
        return [light_stem(lower)] if len(lower) > 1 else []
    whole = lower.replace("_", "")
    return [whole, *(light_stem(p) for p in parts if len(p) > 1)]


# --------------------------------------------------------------------------------------------
# Weights and scoring


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


# --------------------------------------------------------------------------------------------
# Results, with the reasons


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
            contribution = feature_weight(name, weights) * value
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
    q_terms = select_query_terms(query_term_weights(query, weights), df, n, weights)
    scored: list[tuple[float, int, dict[str, tuple[float, tuple[MatchField, ...]]]]] = []
    for i, tfs in enumerate(per_doc):
        doc_len = {f: float(len(t)) for f, t in candidates[i][1].terms.items()}
        parts: dict[str, tuple[float, tuple[MatchField, ...]]] = {}
        lex = 0.0
        for qt in q_terms:
            per_field = tfs.get(qt.term)
            if not per_field:
                continue
            s = term_score(qt, pseudo_frequency(per_field, doc_len, avg, weights), weights)
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
        features = structural_features(query.facts, doc.facts, now, weights)
        rel = lex / best
        matches = tuple(
            TermMatch(t, flds, s) for t, (s, flds) in sorted(parts.items(), key=lambda kv: (-kv[1][0], kv[0]))
        )
        score = MatchScore(combine(rel, features, weights), lex, rel, features, matches)
        results.append(MatchCandidate(key, score, doc.facts))
    results.sort(key=lambda c: (-c.score.total, c.key))
    return results[:k]
