"""The review report (issue 13 item 4) as .xlsx, HTML or Markdown, with matplotlib charts.

The same figures as the metrics (services/metrics.py); the charts are PNGs drawn with the Agg
backend, embedded as data: URIs in HTML and Markdown and as images in the workbook. Chinese
labels need a CJK font: one is looked for at run time among the installed fonts (Debian's
``fonts-wqy-microhei`` gives WenQuanYi Micro Hei); without one a Chinese report is refused with
a message saying what to install. Every text cell of the workbook is written as a string, so a
fault title starting with ``=`` stays text, never a formula.
"""

from __future__ import annotations

import base64
import html
import io
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from faultdesk.domain.faults import Severity
from faultdesk.domain.sla import ClockKind
from faultdesk.entrypoints.common.labels import label
from faultdesk.services.metric_records import DurationKind
from faultdesk.services.metrics import ReviewResult, compliance_rate

FORMATS = ("xlsx", "html", "md")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}
# Families tried in order; the first installed one draws the Chinese labels.
CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
_PLOT_LOCK = threading.Lock()  # pyplot keeps global state: one chart at a time per process


class NoCjkFont(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "no Chinese (CJK) font is installed for the report's charts: install one, e.g. "
            "`apt-get install fonts-wqy-microhei`, or write the report in English (--lang en) / "
            "未找到中文字体，无法绘制报告图表：请安装字体（如 apt-get install fonts-wqy-microhei），或改用英文报告（--lang en）"
        )


def cjk_font() -> str | None:
    """The first installed family of CJK_FAMILIES, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in installed), None)


def _words(lang: str) -> Callable[[str, str], str]:
    return (lambda zh, en: zh) if lang == "zh" else (lambda zh, en: en)


def _hours(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 3600:.1f}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _local(at: datetime | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "—" if at is None else at.astimezone(ZoneInfo(zone)).strftime(fmt)


class _Tables:
    """The report's tables once, as (title, header, rows) with plain cells; each format lays them out."""

    def __init__(self, review: ReviewResult, lang: str) -> None:
        self.review, self.lang = review, lang
        m = review.metrics
        self.m = m
        w = _words(lang)
        self.w = w
        q = m.query
        self.title = w("故障处理复盘报告", "Fault review report")
        self.period = (
            f"{_local(q.period.start, m.zone, '%Y-%m-%d')} – {_local(q.period.end, m.zone, '%Y-%m-%d')} ({m.zone})"
        )
        v = m.volume
        names = {
            DurationKind.REGISTER: w("登记用时", "time to register"),
            DurationKind.GRADE: w("分级用时", "time to grade"),
            DurationKind.FIRST_REPLY: w("首次回复用时 (MTTA)", "time to first reply (MTTA)"),
            DurationKind.RESOLVE: w("解决用时 (MTTR)", "time to resolve (MTTR)"),
        }
        self.summary = [
            (w("反馈数", "reports in"), v.reports_in),
            (w("新增故障", "faults in"), v.faults_in),
            (w("时效达成率", "clock compliance"), _share(m.compliance_rate)),
            (w("重开率", "reopen rate"), _share(m.reopen_rate)),
            (w("复发率", "recurrence rate"), _share(m.recurrence_rate)),
            (w("到期改进措施：已完成", "improvement actions due: done"), m.improvements.done),
            (w("到期改进措施：已逾期", "improvement actions due: overdue"), m.improvements.overdue),
        ]
        hours = w("小时", "hours")
        self.durations = (
            w("处理用时", "Durations"),
            [
                w("指标", "measure"),
                w("数量", "count"),
                f"{w('平均', 'mean')} ({hours})",
                f"{w('中位数', 'median')} ({hours})",
                f"P90 ({hours})",
            ],
            [
                [names[k], s.count, _hours(s.mean_s), _hours(s.median_s), _hours(s.p90_s)]
                for k, s in m.durations.items()
            ],
        )
        by_sev: dict[Severity | None, int] = {}
        by_type: dict[str, int] = {}
        for (sev, code), n in v.by_severity_type.items():
            by_sev[sev] = by_sev.get(sev, 0) + n
            by_type[code] = by_type.get(code, 0) + n
        self.by_severity = sorted(by_sev.items(), key=lambda kv: 9 if kv[0] is None else int(kv[0]))
        self.by_type = sorted(by_type.items())
        self.volume = (
            w("按严重程度与类型的故障数", "Faults by severity and type"),
            [w("严重程度", "severity"), w("故障类型", "type"), w("故障数", "faults")],
            [
                [label(sev, lang), self.type_name(code), n]
                for (sev, code), n in sorted(
                    v.by_severity_type.items(), key=lambda kv: (9 if kv[0][0] is None else int(kv[0][0]), kv[0][1])
                )
            ],
        )
        self.compliance = (
            w("时效达成", "Clock compliance"),
            [
                w("时效", "clock"),
                w("严重程度", "severity"),
                w("达成", "met"),
                w("超时", "breached"),
                w("未到期", "pending"),
                w("达成率", "rate"),
            ],
            [
                [
                    label(r.kind, lang),
                    "—" if r.severity is None else label(r.severity, lang),
                    r.met,
                    r.breached,
                    r.pending,
                    _share(compliance_rate(r)),
                ]
                for r in m.compliance
            ],
        )
        self.trend = (
            w("MTTR 趋势", "MTTR trend"),
            [
                w("起始", "from"),
                w("反馈数", "reports in"),
                w("新增故障", "faults in"),
                w("已解决", "resolved"),
                f"MTTR {w('中位数', 'median')} ({hours})",
                f"MTTR P90 ({hours})",
            ],
            [
                [
                    _local(p.start, m.zone, "%Y-%m-%d"),
                    p.reports_in,
                    p.faults_in,
                    p.resolve.count,
                    _hours(p.resolve.median_s),
                    _hours(p.resolve.p90_s),
                ]
                for p in m.trend
            ],
        )
        self.recurring = (
            w("复发最多的故障", "Top recurring faults"),
            [
                w("故障编号", "fault"),
                w("标题", "title"),
                w("严重程度", "severity"),
                w("本期复发次数", "repeats this period"),
            ],
            [[f.number, f.title, label(f.severity, lang), f.count] for f in review.top_recurring],
        )
        self.top = (
            w("影响用户最多的故障", "Top faults by affected users"),
            [
                w("故障编号", "fault"),
                w("标题", "title"),
                w("严重程度", "severity"),
                w("当前状态", "status"),
                w("影响用户数", "affected users"),
            ],
            [
                [f.number, f.title, label(f.severity, lang), label(f.status, lang), f.affected_users]
                for f in m.top_faults
            ],
        )
        self.breaches = (
            w("超时记录", "Breaches"),
            [
                w("时效", "clock"),
                w("严重程度", "severity"),
                w("到期时间", "due"),
                w("故障编号", "fault"),
                w("标题", "title"),
            ],
            [
                [
                    label(b.kind, lang),
                    "—" if b.severity is None else label(b.severity, lang),
                    _local(b.due_at, m.zone),
                    b.fault_number or f"{w('反馈', 'report')} #{b.report_id}",
                    b.fault_title or "",
                ]
                for b in m.breaches
            ],
        )
        self.improvements = (
            w("未完成的改进措施", "Open improvement actions"),
            [
                w("故障编号", "fault"),
                w("措施", "action"),
                w("负责人", "owner"),
                w("截止日期", "due"),
                w("状态", "state"),
            ],
            [
                [
                    i.fault_number,
                    i.title,
                    i.owner,
                    i.due.isoformat(),
                    w("已逾期", "overdue")
                    if i.due < m.now.astimezone(ZoneInfo(m.zone)).date()
                    else label(i.status, lang),
                ]
                for i in review.open_improvements
            ],
        )
        self.retrospectives = (
            w("本期复盘", "Retrospectives of the period"),
            [
                w("故障编号", "fault"),
                w("标题", "title"),
                w("复盘时间", "at"),
                w("复盘结论", "analysis"),
                w("改进措施", "actions"),
            ],
            [
                [
                    r.fault_number,
                    r.fault_title,
                    _local(r.recorded_at, m.zone),
                    str(r.data.get("analysis") or ""),
                    "；".join(str(a.get("title", "")) for a in r.data.get("actions") or [] if isinstance(a, dict)),
                ]
                for r in review.retrospectives
            ],
        )

    def type_name(self, code: str) -> str:
        zh, en = self.review.type_names.get(code, (code, code))
        return f"{code} {zh if self.lang == 'zh' else en}"

    def sections(self) -> list[tuple[str, list[str], list[list[Any]]]]:
        return [
            self.durations,
            self.volume,
            self.compliance,
            self.trend,
            self.top,
            self.recurring,
            self.breaches,
            self.improvements,
            self.retrospectives,
        ]


# ---- charts ----------------------------------------------------------------------------------


def charts(t: _Tables) -> list[tuple[str, bytes]]:
    """(title, PNG) for the volume by severity and type, the compliance per clock and the MTTR trend."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    family = cjk_font()
    if family is None and t.lang == "zh":
        raise NoCjkFont()
    w = t.w
    out: list[tuple[str, bytes]] = []
    with (
        _PLOT_LOCK,
        plt.rc_context({"font.family": [family] if family else ["DejaVu Sans"], "axes.unicode_minus": False}),
    ):

        def png(fig: Any) -> bytes:
            buf = io.BytesIO()
            fig.tight_layout()
            fig.savefig(buf, format="png", dpi=110)
            plt.close(fig)
            return buf.getvalue()

        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
        left.bar([label(s, t.lang) for s, _ in t.by_severity], [n for _, n in t.by_severity], color="#c0392b")
        left.set_title(w("按严重程度", "by severity"))
        right.bar([t.type_name(c) for c, _ in t.by_type], [n for _, n in t.by_type], color="#2c6fbb")
        right.set_title(w("按故障类型", "by type"))
        right.tick_params(axis="x", labelrotation=30)
        for ax in (left, right):
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        out.append((t.volume[0], png(fig)))

        kinds: dict[ClockKind, list[int]] = {}
        for r in t.m.compliance:
            tally = kinds.setdefault(r.kind, [0, 0])
            tally[0] += r.met
            tally[1] += r.breached
        fig, ax = plt.subplots(figsize=(9, 3.4))
        names = [label(k, t.lang) for k in kinds]
        ax.bar(names, [m for m, _ in kinds.values()], color="#27ae60", label=w("达成", "met"))
        ax.bar(
            names,
            [b for _, b in kinds.values()],
            bottom=[m for m, _ in kinds.values()],
            color="#c0392b",
            label=w("超时", "breached"),
        )
        ax.set_title(t.compliance[0])
        ax.legend()
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        out.append((t.compliance[0], png(fig)))

        fig, ax = plt.subplots(figsize=(9, 3.4))
        xs = [_local(p.start, t.m.zone, "%m-%d") for p in t.m.trend]
        median = [None if p.resolve.median_s is None else p.resolve.median_s / 3600 for p in t.m.trend]
        p90 = [None if p.resolve.p90_s is None else p.resolve.p90_s / 3600 for p in t.m.trend]
        ax.plot(xs, [float("nan") if v is None else v for v in median], marker="o", label=w("中位数", "median"))
        ax.plot(xs, [float("nan") if v is None else v for v in p90], marker="s", label="P90")
        ax.set_ylabel(w("小时", "hours"))
        ax.set_title(t.trend[0])
        ax.legend()
        if len(xs) > 12:
            ax.tick_params(axis="x", labelrotation=60, labelsize=7)
        out.append((t.trend[0], png(fig)))
    return out


# ---- formats ----------------------------------------------------------------------------------


def render_review(review: ReviewResult, fmt: str, lang: str) -> bytes:
    t = _Tables(review, lang)
    pictures = charts(t)
    if fmt == "xlsx":
        return _xlsx(t, pictures)
    if fmt == "html":
        return _html(t, pictures).encode()
    return _markdown(t, pictures).encode()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


_CSS = """body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:1.5rem;color:#222;max-width:60rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
th{background:#f3f3f3}td.n{text-align:right}img{max-width:100%;height:auto}"""


def _html(t: _Tables, pictures: list[tuple[str, bytes]]) -> str:
    e = html.escape
    parts = [
        f'<!doctype html><html lang="{t.lang}"><head><meta charset="utf-8"><title>{e(t.title)}</title>',
        f"<style>{_CSS}</style></head><body><h1>{e(t.title)}</h1><p>{e(t.period)}</p>",
        "<table><tbody>",
        *(f'<tr><th>{e(k)}</th><td class="n">{e(str(v))}</td></tr>' for k, v in t.summary),
        "</tbody></table>",
    ]
    for title, png in pictures:
        parts.append(
            f'<figure><img alt="{e(title)}" src="{_data_uri(png)}"><figcaption>{e(title)}</figcaption></figure>'
        )
    for title, header, rows in t.sections():
        parts.append(f"<h2>{e(title)}</h2>")
        if not rows:
            parts.append(f"<p>{e(t.w('无', 'none'))}</p>")
            continue
        parts.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr></thead><tbody>")
        for row in rows:
            cells = "".join(
                f'<td class="n">{v}</td>' if isinstance(v, int | float) else f"<td>{e(str(v))}</td>" for v in row
            )
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _md_cell(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _markdown(t: _Tables, pictures: list[tuple[str, bytes]]) -> str:
    lines = [f"# {t.title}", "", t.period, ""]
    lines += [f"- {k}: {v}" for k, v in t.summary]
    lines.append("")
    for title, png in pictures:
        lines += [f"![{title}]({_data_uri(png)})", ""]
    for title, header, rows in t.sections():
        lines += [f"## {title}", ""]
        if not rows:
            lines += [t.w("无", "none"), ""]
            continue
        lines.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
        lines.append("|" + "---|" * len(header))
        lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def _xlsx(t: _Tables, pictures: list[tuple[str, bytes]]) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True, "bg_color": "#F3F3F3", "border": 1})
    head = book.add_format({"bold": True, "font_size": 14})

    def put(sheet: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            sheet.write_string(row, col, str(value), fmt)  # text stays text: no formula, no link
        else:
            sheet.write_number(row, col, value, fmt)

    summary = book.add_worksheet(t.w("概览", "Summary"))
    put(summary, 0, 0, t.title, head)
    put(summary, 1, 0, t.period)
    for i, (k, v) in enumerate(t.summary, start=3):
        put(summary, i, 0, k, bold)
        put(summary, i, 1, v)
    summary.set_column(0, 0, 34)
    summary.set_column(1, 1, 14)
    row = len(t.summary) + 5
    for title, png in pictures:
        put(summary, row, 0, title, head)
        summary.insert_image(
            row + 1, 0, f"{title}.png", {"image_data": io.BytesIO(png), "x_scale": 0.8, "y_scale": 0.8}
        )
        row += 22
    used: set[str] = set()
    for title, header, rows in t.sections():
        name = title[:31]
        while name in used:
            name = name[:29] + f"{len(used)}"
        used.add(name)
        sheet = book.add_worksheet(name.replace("/", "-"))
        for c, h in enumerate(header):
            put(sheet, 0, c, h, bold)
            widest = max([len(str(h))] + [len(str(r[c])) for r in rows]) if rows else len(str(h))
            sheet.set_column(c, c, min(60, max(10, widest * 1.6)))
        for r, values in enumerate(rows, start=1):
            for c, v in enumerate(values):
                put(sheet, r, c, v)
        sheet.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()
