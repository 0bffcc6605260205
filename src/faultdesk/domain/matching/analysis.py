"""The analyzer: a document's fields turned into index terms, identically for documents and queries.

It tokenises (CJK runs to the injected segmenter; English and code tokens split into identifier
parts and stemmed; versions kept whole), drops stop words, folds synonyms and splits pasted logs
into a field of their own, using the rules of :mod:`~faultdesk.domain.matching.text`. The
result, an :class:`AnalyzedDocument`, is what both the index and the reference ranking consume.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from faultdesk.domain.matching.documents import MatchDocument, MatchFacts, MatchField
from faultdesk.domain.matching.synonyms import DEFAULT_SYNONYMS, Synonyms
from faultdesk.domain.matching.text import (
    CHINESE_STOPWORDS,
    ENGLISH_STOPWORDS,
    Segmenter,
    light_stem,
    split_pasted_log,
)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# One pass finds both CJK runs and ASCII tokens; everything else (punctuation, symbols) separates.
_TOKEN_RE = re.compile(
    rf"([{_CJK}]+)|[vV]?([0-9]+(?:\.[0-9]+)+)(?![0-9A-Za-z])|([A-Za-z][A-Za-z0-9_']*|[0-9]+[A-Za-z]*)"
)
_CJK_RE = re.compile(f"[{_CJK}]")
_CAMEL_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_HEXISH_RE = re.compile(r"^(?:0x)?[0-9a-f]{8,}$")

_MAX_TOKEN_CHARS = 40  # longer "words" are hashes, base64 or URLs glued together


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
