"""A fault's history told as sentences in the page's language: the stage records (each lifecycle
step with what was decided), the other audit events (registration, links, reveals, pauses,
updates, raises) and the messages sent with how far each got — never raw JSON, never a code.

Pure: it takes what the services read and returns plain text; the template escapes it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.roles import Role
from faultdesk.entrypoints.common import labels as lb
from faultdesk.services.records import AuditEvent, StageRecord, StoredMessage

LIFECYCLE = frozenset(a.value for a in lc.Action)
_OWN_ROLE = re.compile(r"\s*[（(][^（）()]*[)）]\s*$")  # "王芳 (客服)": the role is said once, by us
_CLIP = 160  # a long text in a sentence is cut here (the stage record keeps it whole)


@dataclass(frozen=True)
class Person:
    name: str
    role: Role | None


@dataclass(frozen=True)
class People:
    """Staff by username and by id, to name them in sentences."""

    by_username: Mapping[str, Person]
    by_id: Mapping[int, Person]


@dataclass(frozen=True)
class Entry:
    at: datetime
    who: str  # "王芳（产品经理）", "系统", "反馈人"
    text: str
    tone: str = ""  # "", "bad" (a failure), "good"
    audit_id: int | None = None

    def sentence(self, zone: str, lang: str = "zh") -> str:
        return f"{_local(self.at, zone)} {self.who}{'' if lang == 'zh' else ' '}{self.text}"


def _local(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _clip(text: Any) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= _CLIP else s[: _CLIP - 1] + "…"


def bare(name: str) -> str:
    return _OWN_ROLE.sub("", name) or name


def _person(p: Person, lang: str) -> str:
    name = bare(p.name)
    if p.role is None:
        return name
    role = lb.label(p.role, lang)
    return f"{name}（{role}）" if lang == "zh" else f"{name} ({role})"


def who(label: str, role: Role | None, people: People, lang: str) -> str:
    """The one who acted, by name and role; the system and the reporter in words."""
    if label == "system":
        return _t(lang, "系统", "The system")
    if label.startswith("reporter:"):
        return _t(lang, "反馈人", "The reporter")
    if label == "public":
        return _t(lang, "用户（公开表单）", "A user (public form)")
    person = people.by_username.get(label)
    return _person(person or Person(label, role), lang)


def _user(people: People, user_id: Any, lang: str) -> str:
    try:
        person = people.by_id.get(int(user_id))
    except (TypeError, ValueError):
        person = None
    return _person(person, lang) if person else _t(lang, f"用户 {user_id}", f"user {user_id}")


def _time(value: Any, zone: str) -> str:
    try:
        return _local(datetime.fromisoformat(str(value)), zone)
    except ValueError:
        return str(value)


def _sep(lang: str) -> str:
    return "；" if lang == "zh" else "; "


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def _owners(owners: Mapping[str, Any], people: People, lang: str) -> str:
    parts = [f"{lb.words(lb.STAGE, lc.Stage(s), lang)} {_user(people, u, lang)}" for s, u in owners.items()]
    return ("、" if lang == "zh" else ", ").join(parts)


def step_text(action: str, data: Mapping[str, Any], people: People, zone: str, lang: str) -> tuple[str, str]:
    """What one lifecycle step did, as a predicate ("记录复发判断：新发问题"), and its tone."""
    d = data
    c, sep = _colon(lang), _sep(lang)
    parts: list[str]
    match action:
        case "start_analysis":
            parts = [
                _t(lang, "记录复发判断", "recorded the recurrence check")
                + c
                + lb.value_label("recurrence", d.get("recurrence"), lang),
                lb.field_label("impact", lang) + c + lb.value_label("impact", d.get("impact"), lang),
            ]
            if d.get("related_fault"):
                parts.append(_t(lang, "原故障单 ", "earlier fault ") + str(d["related_fault"]))
            if d.get("known_issue"):
                parts.append(_t(lang, "已知问题 ", "known issue ") + _clip(d["known_issue"]))
            if d.get("revenue_impact"):
                parts.append(_t(lang, "影响业务收入", "revenue affected"))
            if d.get("notes"):
                parts.append(lb.field_label("notes", lang) + c + _clip(d["notes"]))
            return sep.join(parts), ""
        case "grade":
            sev = lb.value_label("severity", d.get("severity"), lang)
            text = _t(lang, f"定级为 {sev}", f"graded it {sev}")
            if d.get("suggested") and d.get("suggested") != d.get("severity"):
                sug = lb.value_label("severity", d["suggested"], lang)
                text += _t(lang, f"（系统建议 {sug}）", f" (suggested {sug})")
            parts = [text + (c + _clip(d["reason"]) if d.get("reason") else "")]
            if d.get("owners"):
                parts.append(lb.field_label("owners", lang) + c + _owners(d["owners"], people, lang))
            if d.get("team_lead"):
                members = ("、" if lang == "zh" else ", ").join(
                    _user(people, m, lang) for m in d.get("team_members", [])
                )
                parts.append(
                    _t(lang, "专项小组：负责人 ", "special team: lead ")
                    + _user(people, d["team_lead"], lang)
                    + (_t(lang, "，成员 ", ", members ") + members if members else "")
                )
            return sep.join(parts), ""
        case "regrade":
            sev = lb.value_label("severity", d.get("severity"), lang)
            return _t(lang, f"将级别调整为 {sev}", f"changed the severity to {sev}") + c + _clip(
                d.get("reason", "")
            ), ""
        case "assign":
            return _t(lang, "指定负责人", "assigned owners") + c + _owners(d.get("owners", {}), people, lang), ""
        case "acknowledge":
            note = c + _clip(d["note"]) if d.get("note") else ""
            return _t(lang, "确认已响应", "acknowledged the fault") + note, ""
        case "record_cause":
            cat = lb.value_label("category", d.get("category"), lang)
            return _t(lang, f"记录问题原因（{cat}）", f"recorded the cause ({cat})") + c + _clip(d.get("cause", "")), ""
        case "propose_plan":
            kind = lb.value_label("kind", d.get("kind"), lang)
            due = _time(d.get("deadline"), zone)
            head = _t(lang, f"提交解决方案（{kind}，完成时限 {due}）", f"proposed a plan ({kind}, due {due})")
            return head + c + _clip(d.get("description", "")), ""
        case "review_plan":
            verdict = (
                _t(lang, "评审通过方案", "approved the plan")
                if d.get("approved")
                else _t(lang, "驳回方案", "rejected the plan")
            )
            comments = c + _clip(d["comments"]) if d.get("comments") else ""
            return verdict + comments, "" if d.get("approved") else "bad"
        case "attach_cases":
            cases = d.get("cases", [])
            listed = ("、" if lang == "zh" else ", ").join(f"{k.get('key')} {_clip(k.get('title', ''))}" for k in cases)
            return _t(lang, f"添加 {len(cases)} 个验证用例", f"attached {len(cases)} test case(s)") + c + listed, ""
        case "mark_fix_ready":
            v = d.get("fix_version", "")
            return _t(lang, f"修复完成（版本 {v}），提交验证", f"marked the fix ready (version {v})"), ""
        case "record_verification":
            results = d.get("results", [])
            failed = [str(r.get("key")) for r in results if not r.get("passed")]
            if not failed:
                return _t(
                    lang,
                    f"记录验证结果：全部 {len(results)} 个用例通过",
                    f"recorded the verification: all {len(results)} passed",
                ), "good"
            names = "、".join(failed) if lang == "zh" else ", ".join(failed)
            return _t(
                lang,
                f"记录验证结果：{names} 未通过，故障重新打开",
                f"recorded the verification: {names} failed; reopened",
            ), "bad"
        case "confirm":
            if d.get("recovered"):
                text, tone = _t(lang, "确认用户反馈：已恢复", "confirmed with the reporter: recovered"), "good"
            else:
                text, tone = (
                    _t(
                        lang,
                        "确认用户反馈：仍有问题，故障重新打开",
                        "confirmed with the reporter: still broken; reopened",
                    ),
                    "bad",
                )
            return text + (c + _clip(d["comment"]) if d.get("comment") else ""), tone
        case "record_gray_step":
            at = _time(d["at"], zone) if d.get("at") else ""
            pct = d.get("percentage")
            return _t(lang, f"记录灰度发布：{pct}%（{at}）", f"recorded a gray release step: {pct}% ({at})"), ""
        case "release_full":
            v = d.get("version", "")
            return _t(lang, f"全量发布版本 {v}，上线公告", f"released version {v} to everyone, announcing") + c + _clip(
                d.get("announcement", "")
            ), "good"
        case "archive":
            return _t(lang, "归档", "archived the fault") + c + lb.field_label("cause", lang) + " " + _clip(
                d.get("cause", "")
            ) + sep + lb.field_label("solution", lang) + " " + _clip(d.get("solution", "")), ""
        case "retrospect":
            parts = [_t(lang, "完成复盘", "wrote the retrospective") + c + _clip(d.get("analysis", ""))]
            if d.get("actions"):
                n = len(d["actions"])
                parts.append(_t(lang, f"改进措施 {n} 项", f"{n} improvement action(s)"))
            if d.get("article"):
                title = _clip(d["article"].get("title", ""))
                parts.append(_t(lang, f"知识库文章「{title}」", f'knowledge-base article "{title}"'))
            return sep.join(parts), ""
        case "merge":
            return _t(lang, f"合并到故障单 {d.get('into')}", f"merged it into fault {d.get('into')}"), ""
        case "close_not_a_fault":
            return _t(lang, "关闭为非故障", "closed it as not a fault") + c + _clip(d.get("reason", "")), ""
        case "close_cannot_reproduce":
            return _t(lang, "关闭为无法复现", "closed it as not reproducible") + c + _clip(d.get("reason", "")), ""
    return _t(lang, "更新了故障单", "updated the fault"), ""


def audit_text(event: AuditEvent, people: People, lang: str) -> tuple[str, str] | None:
    """What an audit event outside the lifecycle says; None for one the stage records tell."""
    a = event.after or {}
    b = event.before or {}
    c = _colon(lang)
    match event.action:
        case "registered":
            n, users = len(a.get("report_ids", [])), a.get("affected_users", 0)
            return _t(
                lang,
                f"登记故障单（{n} 条反馈，影响 {users} 位用户）",
                f"registered the fault ({n} report(s), {users} user(s))",
            ), ""
        case "linked":
            return _t(lang, f"将反馈 #{event.entity_id} 关联到本故障单", f"linked report #{event.entity_id}"), ""
        case "reports_linked":
            ids = "、".join(f"#{i}" for i in a.get("report_ids", []))
            return _t(
                lang,
                f"关联反馈 {ids}，影响用户 {a.get('affected_users')}",
                f"linked reports {ids}; {a.get('affected_users')} users",
            ), ""
        case "report_unlinked":
            return _t(lang, f"移除反馈 #{a.get('report_id')}", f"unlinked report #{a.get('report_id')}"), ""
        case "estimate_set":
            return _t(
                lang,
                f"估算影响用户 {a.get('estimated_users')}（来源：{_clip(a.get('source') or '')}）",
                f"estimated {a.get('estimated_users')} users affected (source: {_clip(a.get('source') or '')})",
            ), ""
        case "recurrence_detected":
            return _t(
                lang,
                f"识别为复发性问题：与故障单 {a.get('related_fault')} 相似",
                f"found it recurs fault {a.get('related_fault')}",
            ), ""
        case "contact_revealed":
            return _t(
                lang, f"查看了反馈 #{event.entity_id} 的联系方式", f"revealed the contact of report #{event.entity_id}"
            ), ""
        case "clocks_paused":
            return _t(lang, "暂停计时", "paused the clocks") + c + _clip(a.get("reason", "")), ""
        case "clocks_resumed":
            return _t(lang, "恢复计时", "resumed the clocks"), ""
        case "first_reply" | "update_posted":
            what = (
                _t(lang, "首次反馈", "the first reply")
                if event.action == "first_reply"
                else _t(lang, "进度同步", "a progress update")
            )
            n = a.get("recipients", 0)
            sent = (
                _t(lang, f"向 {n} 位反馈人发送{what}", f"sent {what} to {n} reporter(s)")
                if n
                else _t(
                    lang,
                    f"记录了{what}（无可联系的反馈人，未发送）",
                    f"recorded {what} (no reporter reachable: none sent)",
                )
            )
            return sent + (c + _clip(a["text"]) if a.get("text") else ""), "" if n else "bad"
        case "severity_raised":
            before = lb.value_label("severity", b.get("severity"), lang)
            after = lb.value_label("severity", a.get("severity"), lang)
            users = a.get("affected_users")
            return _t(
                lang,
                f"因影响用户达到 {users}，将级别由 {before} 升为 {after}",
                f"raised the severity {before} → {after}: {users} users",
            ), "bad"
        case "status_changed":
            return _t(lang, "更新了改进措施状态", "updated an improvement action"), ""
        case "information_added":  # the reporter, on the tracking page
            text = _t(lang, f"为反馈 #{event.entity_id} 补充了信息", f"added to report #{event.entity_id}")
            if a.get("text"):
                text += c + _clip(a["text"])
            if files := len(a.get("attachments") or []):
                text += _t(lang, f"（上传了 {files} 个附件）", f" ({files} attachment(s))")
            return text, ""
        case "published":
            title = _clip(a.get("public_title") or "")
            return _t(lang, f"公开为已知问题「{title}」", f'published it as a known issue "{title}"') + c + _clip(
                a.get("public_status") or ""
            ), ""
        case "unpublished":
            return _t(lang, "取消公开，改为仅内部可见", "withdrew it from the public known issues"), ""
        case "followed_known_issue":
            return _t(
                lang,
                f"用户在反馈表单选择“这就是我遇到的问题”：反馈 #{event.entity_id} 关联到本故障单，影响用户 {a.get('affected_users')}",
                f"a reporter chose “This is my problem” on the report form: report #{event.entity_id} joined; "
                f"{a.get('affected_users')} users",
            ), ""
        case "fix_shipped":
            return _t(
                lang,
                f"版本 {b.get('waiting_release')} 已发布：已通知反馈人修复上线",
                f"version {b.get('waiting_release')} is released: the reporters were told",
            ), "good"
    if event.action in LIFECYCLE:
        return None
    return _t(lang, "更新了故障单", "updated the fault"), ""


def message_text(m: StoredMessage, people: People, lang: str) -> tuple[str, str]:
    kind = lb.words(lb.MESSAGE_KIND, m.kind, lang)
    channel = lb.words(lb.DELIVERY_CHANNEL, m.channel, lang)
    state = lb.words(lb.DELIVERY_STATE, m.state, lang)
    ref, _, rest = m.recipient.partition(":")
    if ref == "report":
        to = _t(lang, f"反馈 #{rest} 的反馈人", f"the reporter of report #{rest}")
    elif ref == "user":
        to = _user(people, rest, lang)
    else:
        to = channel
    text = _t(lang, f"向{to}发送「{kind}」（{channel}）：{state}", f'sent "{kind}" to {to} ({channel}): {state}')
    if m.state != "sent" and m.attempts:
        text += _t(lang, f"，已尝试 {m.attempts} 次", f", {m.attempts} attempt(s)")
    return text, "bad" if m.state == "dead" else "good" if m.state == "sent" else ""


def build(
    *,
    records: Iterable[StageRecord],
    events: Iterable[AuditEvent],
    messages: Iterable[StoredMessage],
    people: People,
    zone: str,
    lang: str,
) -> list[Entry]:
    """The fault's whole story, newest first."""
    entries: list[Entry] = []
    for r in records:
        text, tone = step_text(r.action, r.data, people, zone, lang)
        entries.append(Entry(r.recorded_at, who(r.actor, None, people, lang), text, tone))
    for e in events:
        told = audit_text(e, people, lang)
        if told is not None:
            entries.append(Entry(e.at, who(e.actor.label, e.actor.role, people, lang), told[0], told[1], e.id))
    for m in messages:
        text, tone = message_text(m, people, lang)
        entries.append(Entry(m.created_at, _t(lang, "系统", "The system"), text, tone))
    return sorted(entries, key=lambda x: x.at, reverse=True)


def changes_since(events: Iterable[AuditEvent], seen: int, people: People, zone: str, lang: str) -> list[Entry]:
    """What others did after the audit event ``seen`` (the page's last): the conflict's story,
    each lifecycle step told from the record its audit event carries."""
    out: list[Entry] = []
    for e in events:
        if e.id is None or e.id <= seen:
            continue
        if e.action in LIFECYCLE:
            text, tone = step_text(e.action, (e.after or {}).get("record", {}), people, zone, lang)
        else:
            told = audit_text(e, people, lang)
            if told is None:
                continue
            text, tone = told
        out.append(Entry(e.at, who(e.actor.label, e.actor.role, people, lang), text, tone, e.id))
    return out
