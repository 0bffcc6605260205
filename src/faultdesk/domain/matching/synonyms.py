"""Synonym folding: interchangeable fault words, and the default groups.

Its own module because the groups are data an admin edits and the store keeps: the bootstrap
builds them from the stored groups, and the segmenter adds every word to its dictionary, without
needing the rest of the matcher.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from faultdesk.domain.matching.text import normalise


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
