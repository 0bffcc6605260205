"""Known-issue matching: text analysis, ranking rules and the incremental index (no database)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultdesk.adapters.search import KnownIssueIndex, build_analyzer
from faultdesk.domain.faults import Fault, FaultStatus
from faultdesk.domain.matching.analysis import Analyzer
from faultdesk.domain.matching.candidates import rank_scalar
from faultdesk.domain.matching.documents import (
    DocumentKey,
    DocumentKind,
    MatchDocument,
    MatchField,
    fault_document,
    report_document,
)
from faultdesk.domain.matching.scoring import DEFAULT_WEIGHTS, MatchWeights, time_proximity
from faultdesk.domain.matching.synonyms import Synonyms
from faultdesk.domain.matching.text import CjkBigramSegmenter, light_stem, split_pasted_log
from faultdesk.domain.reports import Channel, Report
from tests.waits import WAIT_S

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
ANALYZER = build_analyzer(product_terms=["扫一扫", "秒到账", "会员权益中心"])
REPORT = DocumentKind.REPORT


def report(id: str, title: str, body: str = "", *, days_ago: float = 1.0, **kw: object) -> MatchDocument:
    return MatchDocument(id, REPORT, title, body=body, created_at=NOW - timedelta(days=days_ago), **kw)  # type: ignore[arg-type]


def index_of(*docs: MatchDocument, weights: MatchWeights = DEFAULT_WEIGHTS) -> KnownIssueIndex:
    index = KnownIssueIndex(ANALYZER, weights)
    for doc in docs:
        index.add(doc)
    return index


def ids(results: Sequence[object]) -> list[str]:
    return [r.id for r in results]  # type: ignore[attr-defined]


CHINESE_DISTRACTORS = [
    report("d1", "支付页面卡顿，加载很慢"),
    report("d2", "首页轮播图片显示不全"),
    report("d3", "个人中心头像上传失败"),
    report("d4", "修改手机号后收不到短信"),
    report("d5", "订单列表页面排序错乱"),
]


# ---------------------------------------------------------------------------------- Chinese


def test_forgotten_password_login_error_finds_its_earlier_report_first():
    index = index_of(report("target", "忘记密码时报错，无法登录"), *CHINESE_DISTRACTORS)
    results = index.search(report("q", "登录页面忘记密码提示错误", days_ago=0), now=NOW)
    assert results[0].id == "target"


def test_crash_synonyms_闪退_finds_a_report_that_says_崩溃():
    index = index_of(report("target", "打开扫一扫就崩溃"), *CHINESE_DISTRACTORS)
    results = index.search(report("q", "扫一扫闪退", days_ago=0), now=NOW)
    assert results[0].id == "target"
    assert "闪退" in [m.term for m in results[0].score.matches]


@pytest.mark.parametrize(
    ("query", "stored"),
    [("App自动退出", "应用闪退"), ("登陆不了", "无法登录"), ("列表加载慢", "列表卡顿")],
)
def test_the_issues_synonym_groups_fold_to_one_term(query: str, stored: str):
    assert set(ANALYZER.terms(query)) & set(ANALYZER.terms(stored))


def test_full_width_and_case_are_normalised():
    assert ANALYZER.terms("ＡＰＰ　Ｖ２．３．１") == ANALYZER.terms("app v2.3.1") == ["app", "2.3.1"]


def test_product_terms_from_the_catalogue_stay_one_word():
    assert "秒到账" in ANALYZER.terms("使用秒到账功能失败")
    assert "秒到账" not in build_analyzer().terms("使用秒到账功能失败")  # 秒|到|账 without the catalogue
    # Search mode also yields the words inside a long product name, so 会员 alone finds it.
    assert {"会员权益中心", "会员", "权益", "中心"} <= set(ANALYZER.terms("进入会员权益中心"))


def test_user_words_win_over_the_dictionarys_competing_cut():
    # Without 报错 as a user word, jieba cuts 时报|错 (时报 = "times newspaper").
    assert "报错" in ANALYZER.terms("忘记密码时报错")


def test_admin_edited_synonyms_take_effect_in_a_new_analyzer():
    custom = Synonyms.from_groups([["转圈", "一直加载"]])
    analyzer = build_analyzer(synonyms=custom)
    assert analyzer.terms("一直加载") == analyzer.terms("转圈")
    assert "闪退" not in analyzer.terms("崩溃")  # the defaults were replaced, not merged


def test_synonym_groups_are_normalised_and_a_word_belongs_to_one_group():
    syn = Synonyms.from_groups([["Crash", "崩溃"], ["崩溃", "闪退"], ["only-one"]])
    assert syn.groups == (("crash", "崩溃"),)


def test_pure_bigram_segmenter_needs_no_dictionary():
    analyzer = Analyzer(CjkBigramSegmenter())
    assert analyzer.terms("支付卡顿") == ["支付", "付卡", "卡顿"]
    # Synonym phrases are rewritten before segmentation, whatever the segmenter.
    assert "闪退" in analyzer.terms("应用崩溃")


# ---------------------------------------------------------------------------------- English


def test_english_inflections_and_crash_synonyms_match():
    index = index_of(
        report("target", "NameNode crashed on startup", "java.lang.NullPointerException in FSNamesystem"),
        report("other", "Balancer is slow when many datanodes are added"),
        report("third", "DataNode fails to start after upgrade"),
    )
    results = index.search(report("q", "namenode crashes at start", "NPE: NullPointerException", days_ago=0), now=NOW)
    assert results[0].id == "target"


def test_identifiers_index_whole_and_in_parts():
    terms = ANALYZER.terms("DFSClient.getBlockLocations dfs_replication")
    assert {"dfsclient", "getblocklocations", "dfsreplication"} <= set(terms)
    assert {"dfs", "client", "block", "location", "replication"} <= set(terms)


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("crashes", "crash"),
        ("crashed", "crash"),
        ("crashing", "crash"),
        ("stopped", "stop"),
        ("failed", "fail"),
        ("closing", "clos"),
        ("close", "clos"),
        ("classes", "class"),
        ("status", "status"),
        ("string", "string"),
    ],
)
def test_light_stemmer(word: str, stem: str):
    assert light_stem(word) == stem


def test_pasted_logs_are_split_from_the_prose():
    body = "Upload fails.\n{code}\njava.io.IOException: boom\n\tat org.Foo.bar(Foo.java:1)\n{code}\nSee above."
    prose, log = split_pasted_log(body)
    assert "IOException" in log and "IOException" not in prose
    assert "Upload fails." in prose and "See above." in prose
    analysed = ANALYZER.analyze(report("r", "Upload", body))
    assert "ioexception" in analysed.terms[MatchField.LOG]


def test_long_bodies_are_truncated_for_indexing():
    analysed = Analyzer(CjkBigramSegmenter(), max_body_chars=100).analyze(report("r", "t", "word " * 10_000))
    assert len(analysed.terms[MatchField.BODY]) <= 20


# ---------------------------------------------------------------------------------- ranking rules


def test_reasons_name_the_matching_terms_and_fields():
    index = index_of(report("target", "支付失败", "点击支付按钮后页面报错"), *CHINESE_DISTRACTORS)
    top = index.search(report("q", "支付报错", days_ago=0), now=NOW)[0]
    by_term = {m.term: m.fields for m in top.score.matches}
    assert by_term["支付"] == (MatchField.TITLE, MatchField.BODY)
    assert by_term["报错"] == (MatchField.BODY,)
    reasons = top.score.reasons()
    assert "'支付' in title, body" in reasons
    assert any(r.startswith("time") for r in reasons)


def test_an_open_candidate_beats_an_identical_closed_one_only_by_the_open_bonus():
    index = index_of(
        report("closed", "导出报表时报错", is_open=False),
        report("open", "导出报表时报错", is_open=True),
        *CHINESE_DISTRACTORS,
    )
    first, second = index.search(report("q", "导出报表报错", days_ago=0), now=NOW)[:2]
    assert (first.id, second.id) == ("open", "closed")
    assert first.score.total - second.score.total == pytest.approx(DEFAULT_WEIGHTS.open)
    assert first.score.lexical == pytest.approx(second.score.lexical)


def test_same_type_and_function_break_ties_between_equal_texts():
    index = index_of(
        report("other", "保存失败", type_code="01"),
        report("same_type", "保存失败", type_code="02"),
        report("same_fn", "保存失败", function="order"),
    )
    by_type = index.search(report("q", "保存失败", type_code="02", days_ago=0), now=NOW)
    assert by_type[0].id == "same_type"
    other = next(c for c in by_type if c.id == "other")
    assert by_type[0].score.total - other.score.total == pytest.approx(DEFAULT_WEIGHTS.same_type)
    # A function is compared as a code (normalised: case, width, spaces) and is also text in the product field.
    by_function = index.search(report("q", "保存失败", function="ＯＲＤＥＲ ", days_ago=0), now=NOW)
    assert by_function[0].id == "same_fn"
    assert by_function[0].score.features["same_function"] == 1.0


def test_the_more_recent_of_two_equal_texts_ranks_first():
    index = index_of(report("old", "上传图片失败", days_ago=400), report("recent", "上传图片失败", days_ago=2))
    assert ids(index.search(report("q", "上传图片失败", days_ago=0), now=NOW)) == ["recent", "old"]


def test_time_proximity_halves_at_the_scale():
    assert time_proximity(NOW, NOW - timedelta(days=90), 90) == pytest.approx(0.5)
    assert time_proximity(NOW, None, 90) == 0.0


def test_text_beats_structure_a_different_fault_in_the_same_function_does_not_win():
    index = index_of(
        report("right", "支付页面白屏", function="pay", days_ago=300),
        report("wrong", "支付成功后修改头像失败", function="pay", type_code="01", days_ago=0.1),
    )
    q = report("q", "支付页面白屏", function="pay", type_code="01", days_ago=0)
    assert index.search(q, now=NOW)[0].id == "right"


def test_index_ranks_and_scores_like_the_domains_reference_implementation():
    docs = [
        report("a", "登录失败", "输入密码后提示错误", days_ago=3),
        report("b", "登录页面卡顿", "点击登录后一直转圈", days_ago=10),
        report("c", "忘记密码时报错，无法登录", days_ago=30),
        report("d", "NameNode crash on restart", "NullPointerException in FSNamesystem", days_ago=1),
        report("e", "支付失败", "付款时报错", function="pay", days_ago=5),
        *CHINESE_DISTRACTORS,
    ]
    query = report("q", "登录时密码错误", "忘记密码后无法登录", function="pay", days_ago=0)
    index = index_of(*docs)
    got = index.search(query, now=NOW, k=5)
    want = rank_scalar(ANALYZER.analyze(query), [(d.key, ANALYZER.analyze(d)) for d in docs], NOW, k=5)
    assert [c.key for c in got] == [c.key for c in want]
    for g, w in zip(got, want, strict=True):
        assert g.score.total == pytest.approx(w.score.total)
        assert [(m.term, m.fields) for m in g.score.matches] == [(m.term, m.fields) for m in w.score.matches]
        assert [m.contribution for m in g.score.matches] == pytest.approx([m.contribution for m in w.score.matches])


# ---------------------------------------------------------------------------------- the index


def test_a_new_report_is_searchable_as_soon_as_it_is_added():
    index = index_of(*CHINESE_DISTRACTORS)
    q = report("q", "扫码支付后订单状态不更新", days_ago=0)
    assert "new" not in ids(index.search(q, now=NOW))
    index.add(report("new", "扫码支付成功但订单状态未更新", days_ago=0.01))
    assert index.search(q, now=NOW)[0].id == "new"


def test_remove_and_update_change_results_and_statistics():
    index = index_of(report("a", "上传头像失败"), report("b", "上传文件很慢"))
    q = report("q", "头像上传失败", days_ago=0)
    assert ids(index.search(q, now=NOW))[0] == "a"
    assert index.remove((REPORT, "a")) is True
    assert index.remove((REPORT, "a")) is False
    assert "a" not in ids(index.search(q, now=NOW))
    assert len(index) == 1
    index.add(report("b", "头像上传失败，提示网络错误"))  # update = add with the same key
    assert len(index) == 1
    assert ids(index.search(q, now=NOW)) == ["b"]
    assert index.stats().dead == 2


def test_idf_only_counts_live_documents():
    docs = [report(f"r{i}", "同步失败" if i < 3 else f"其他问题{i}") for i in range(6)]
    index = index_of(*docs)
    q = ANALYZER.analyze(report("q", "同步失败", days_ago=0))
    before = index.search_analyzed(q, now=NOW)[0].score.lexical
    for i in range(2):
        index.remove((REPORT, f"r{i}"))
    after = index.search_analyzed(q, now=NOW)[0].score.lexical
    assert after > before  # rarer now, so each match says more


def test_compaction_keeps_the_results():
    docs = [report(f"r{i}", f"模块{i % 7}同步失败", days_ago=i) for i in range(40)]
    index = index_of(*docs)
    for i in range(0, 40, 3):
        index.remove((REPORT, f"r{i}"))
    q = report("q", "模块3同步失败", days_ago=0)
    before = [(c.key, round(c.score.total, 9)) for c in index.search(q, now=NOW, k=20)]
    index.compact()
    assert index.stats().dead == 0
    assert [(c.key, round(c.score.total, 9)) for c in index.search(q, now=NOW, k=20)] == before


def test_kinds_filter_and_exclusions():
    kb = MatchDocument("kb1", DocumentKind.KB, "登录失败的常见原因", body="密码错误、账号锁定")
    fault = MatchDocument("f1", DocumentKind.FAULT, "登录失败", created_at=NOW - timedelta(days=2), is_open=True)
    index = index_of(kb, fault, report("r1", "登录失败"))
    q = report("q", "登录失败", days_ago=0)
    assert {c.kind for c in index.search(q, now=NOW, kinds=[DocumentKind.KB])} == {DocumentKind.KB}
    excluded: list[DocumentKey] = [(REPORT, "r1")]
    assert (REPORT, "r1") not in [c.key for c in index.search(q, now=NOW, exclude=excluded)]
    # A stored report re-checked against the index does not find itself.
    assert "r1" not in ids(index.search(report("r1", "登录失败"), now=NOW))


def test_rank_lists_every_match_in_search_order():
    index = index_of(*CHINESE_DISTRACTORS, report("x", "页面加载很慢"))
    q = ANALYZER.analyze(report("q", "页面卡顿", days_ago=0))
    ranked = index.rank_analyzed(q, now=NOW)
    assert [key for key, _ in ranked[:3]] == [c.key for c in index.search_analyzed(q, now=NOW, k=3)]
    totals = [total for _, total in ranked]
    assert totals == sorted(totals, reverse=True)


def test_a_search_interrupted_while_holding_a_postings_view_does_not_break_adds():
    index = index_of(report("a", "同步失败"))
    pinned = [np.frombuffer(p, dtype=np.int32) for p in index._postings.values()]  # what a crashed search leaves
    index.add(report("b", "同步失败"))
    assert len(pinned) > 0
    assert ids(index.search(report("q", "同步失败", days_ago=0), now=NOW)) == ["b", "a"]


def test_weights_are_applied_at_query_time():
    index = index_of(report("title", "同步失败"), report("body", "其他", "同步失败"))
    q = report("q", "同步失败", days_ago=1)
    assert ids(index.search(q, now=NOW))[0] == "title"
    index.weights = replace(DEFAULT_WEIGHTS, title=0.1, body=5.0)
    assert ids(index.search(q, now=NOW))[0] == "body"


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        MatchDocument("x", REPORT, "t", created_at=datetime(2026, 1, 1))  # noqa: DTZ001


class FakeEmbeddings:
    """A semantic plug-in that knows one paraphrase pair."""

    def __init__(self) -> None:
        self.keys: set[DocumentKey] = set()

    def add(self, doc: MatchDocument) -> None:
        self.keys.add(doc.key)

    def remove(self, key: DocumentKey) -> None:
        self.keys.discard(key)

    def similarity(self, query: MatchDocument, keys: Sequence[DocumentKey]) -> list[float]:
        return [1.0 if key == (REPORT, "paraphrase") and key in self.keys else 0.0 for key in keys]


def test_a_semantic_plug_in_adds_its_similarity_to_the_best_lexical_candidates():
    embeddings = FakeEmbeddings()
    index = KnownIssueIndex(ANALYZER, semantic=embeddings)
    index.add(report("literal", "订单页面报错"))
    index.add(report("paraphrase", "订单页面打不开，显示错误"))
    top = index.search(report("q", "订单页面报错", days_ago=1), now=NOW)[0]
    assert top.id == "paraphrase"
    assert top.score.features["semantic"] == 1.0
    index.remove((REPORT, "paraphrase"))
    assert embeddings.keys == {(REPORT, "literal")}


def test_nothing_to_match_gives_no_candidates():
    assert index_of().search(report("q", "登录失败"), now=NOW) == []
    index = index_of(*CHINESE_DISTRACTORS)
    assert index.search(report("q", "的了吗"), now=NOW) == []  # stop words only
    assert index.search(report("q", "完全无关的词语组合"), now=NOW) == []
    assert len(index.search(report("q", "页面", days_ago=0), now=NOW, k=100)) == 2


WORDS = ["登录", "密码", "支付", "卡顿", "闪退", "订单", "crash", "namenode", "upload", "timeout", "页面", "报错"]


@given(
    texts=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6), min_size=1, max_size=25),
    removals=st.sets(st.integers(0, 24)),
    query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
)
@settings(max_examples=40, deadline=None)
def test_incremental_adds_and_removals_rank_like_a_fresh_build(
    texts: list[list[str]], removals: set[int], query: list[str]
):
    docs = [report(f"r{i}", " ".join(words), days_ago=i) for i, words in enumerate(texts)]
    incremental = index_of(*docs)
    for i in removals:
        incremental.remove((REPORT, f"r{i}"))
    fresh = index_of(*(d for i, d in enumerate(docs) if i not in removals))
    q = ANALYZER.analyze(report("q", " ".join(query), days_ago=0))
    got = incremental.rank_analyzed(q, now=NOW)
    want = fresh.rank_analyzed(q, now=NOW)
    assert [key for key, _ in got] == [key for key, _ in want]
    assert [total for _, total in got] == pytest.approx([total for _, total in want])


@pytest.mark.slow
def test_concurrent_adds_and_searches_are_safe():
    index = index_of(*CHINESE_DISTRACTORS)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(300):
                index.add(report(f"w{i}", f"订单{i % 9}支付失败"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(300):
                index.search(report("q", "订单支付失败", days_ago=0), now=NOW)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S)
        assert not t.is_alive()
    assert errors == []
    assert len(index) == len(CHINESE_DISTRACTORS) + 300


def test_reports_and_faults_become_match_documents():
    stored = Report(
        channel=Channel.MINI_PROGRAM,
        received_at=NOW,
        symptom="支付后闪退",
        scenario="下单",
        description="点击支付按钮",
        app_version="2.3.1",
        function_code="pay",
        id=7,
    )
    doc = report_document(stored, is_open=True)
    assert (doc.key, doc.title, doc.channel, doc.is_open) == ((REPORT, "7"), "支付后闪退", "mini_program", True)
    assert report_document(replace(stored, id=None)).id == "new"
    fault = Fault("261125-01-001", "01", "支付闪退", FaultStatus.ARCHIVED, NOW, registered_by=1, id=3)
    assert fault_document(fault).key == (DocumentKind.FAULT, "3")
    assert fault_document(fault).is_open is False
    assert fault_document(replace(fault, status=FaultStatus.FIXING)).is_open is True
