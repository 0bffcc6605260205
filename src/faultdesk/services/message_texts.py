"""The default message templates (Jinja2 source, Chinese and English); admins may override them.

Texts follow the template's own words (产品故障反馈处理快速响应模板, stage 4).
"""

from __future__ import annotations

# key -> lang -> (subject, body)
DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "receipt": {
        "zh": (
            "【故障快响】已收到您的故障反馈",
            "您好，已收到您的故障反馈：“{{ symptom }}”。我们会尽快处理，您可随时通过以下链接查看进度（请勿转发）：{{ tracking_link }}",
        ),
        "en": (
            "[FaultDesk] We received your fault report",
            'Hello, we received your report: "{{ symptom }}". Follow it at any time at this link '
            "(keep it to yourself): {{ tracking_link }}",
        ),
    },
    "first_reply": {
        "zh": (
            "【故障快响】{{ number }} 正在处理",
            "已收到您的故障反馈，我们正在紧急处理，预计{{ eta or '近期' }}给出初步进展，感谢您的耐心等待。",
        ),
        "en": (
            "[FaultDesk] {{ number }} is being handled",
            "We have your report and are working on it urgently; expect first news {{ eta or 'soon' }}. Thank you for your patience.",
        ),
    },
    "progress": {
        "zh": ("【故障快响】{{ number }} 处理进展", "{{ text }}"),
        "en": ("[FaultDesk] {{ number }} progress", "{{ text }}"),
    },
    "progress_auto": {
        "zh": (
            "【故障快响】{{ number }} 处理进展",
            "您反馈的问题{% if public_title %}（{{ public_title }}）{% endif %}正在处理中，当前状态：{{ reporter_status_zh }}。我们会继续同步进展。",
        ),
        "en": (
            "[FaultDesk] {{ number }} progress",
            "The problem you reported{% if public_title %} ({{ public_title }}){% endif %} is being worked on; "
            "its status: {{ reporter_status_en }}. We will keep you posted.",
        ),
    },
    "closing": {
        "zh": (
            "【故障快响】{{ number }} 已修复，请协助验证",
            "故障已修复，麻烦您协助测试，若仍有问题请随时反馈。",
        ),
        "en": (
            "[FaultDesk] {{ number }} is fixed: please check",
            "The fault has been fixed. Please check on your side and tell us if anything is still wrong.",
        ),
    },
    "closed": {
        "zh": ("【故障快响】{{ number }} 已关闭", "您反馈的问题已关闭：{{ reason }}。如有疑问请随时联系我们。"),
        "en": ("[FaultDesk] {{ number }} closed", "Your report was closed: {{ reason }}. Contact us any time."),
    },
    "registered": {
        "zh": (
            "【新故障】{{ number }} {{ title }}",
            "新登记故障 {{ number }}（{{ type }}）：{{ title }}，影响 {{ users }} 用户。"
            "请产品经理核查是否复发、评估影响，技术负责人完成分级。查看：{{ link }}",
        ),
        "en": (
            "[New fault] {{ number }} {{ title }}",
            "New fault {{ number }} ({{ type }}): {{ title }}, {{ users }} users affected. "
            "PM: check for a recurrence and the impact; tech lead: grade it. Open: {{ link }}",
        ),
    },
    "p0_opened": {
        "zh": (
            "【P0 紧急】{{ number }} {{ title }}",
            "新 P0 故障：{{ title }}（影响 {{ users }} 用户）。专项小组负责人：{{ lead }}。请立即响应。",
        ),
        "en": (
            "[P0] {{ number }} {{ title }}",
            "New P0 fault: {{ title }} ({{ users }} users). Team lead: {{ lead }}. Respond now.",
        ),
    },
    "severity_raised": {
        "zh": (
            "【级别调整】{{ number }} {{ before }} → {{ after }}",
            "{{ number }} 级别由 {{ before }} 调整为 {{ after }}：{{ reason }}",
        ),
        "en": (
            "[Severity] {{ number }} {{ before }} → {{ after }}",
            "{{ number }} is now {{ after }} (was {{ before }}): {{ reason }}",
        ),
    },
    "release_announced": {
        "zh": (
            "【上线公告】{{ number }} {{ title }}（版本 {{ version }}）",
            "{{ announcement }}\n\n故障 {{ number }}（{{ title }}）的修复已全量发布，版本 {{ version }}。查看：{{ link }}",
        ),
        "en": (
            "[Released] {{ number }} {{ title }} (version {{ version }})",
            "{{ announcement }}\n\nThe fix for {{ number }} ({{ title }}) is released to everyone in version {{ version }}. "
            "Open: {{ link }}",
        ),
    },
    "fix_released": {
        "zh": (
            "【故障快响】{{ number }} 已修复上线",
            "您反馈的问题已修复并全量发布（版本 {{ version }}），如仍有问题请回复。",
        ),
        "en": (
            "[FaultDesk] {{ number }} is fixed and released",
            "The problem you reported has been fixed and released to everyone (version {{ version }}). "
            "If anything is still wrong, please reply.",
        ),
    },
    # A P2 closes as "ships in version X" (issue 12.5): the promise, then the release that keeps it.
    "fix_planned": {
        "zh": (
            "【故障快响】{{ number }} 将在 {{ version }} 版本修复",
            "您反馈的问题已确认修复，计划在 {{ version }} 版本修复，上线后将通知您。",
        ),
        "en": (
            "[FaultDesk] {{ number }} will be fixed in version {{ version }}",
            "The fix for the problem you reported is confirmed: it is planned for version {{ version }}, "
            "and we will tell you when it is out.",
        ),
    },
    "fix_shipped": {
        "zh": (
            "【故障快响】{{ number }} 已在 {{ version }} 版本上线",
            "您反馈的问题已在 {{ version }} 版本修复并上线，请更新到该版本。如仍有问题请随时反馈。",
        ),
        "en": (
            "[FaultDesk] {{ number }} is fixed in version {{ version }}, out now",
            "Version {{ version }}, which fixes the problem you reported, is out: please update to it. "
            "If anything is still wrong, tell us any time.",
        ),
    },
    "clock_warning": {
        "zh": (
            "【即将超时】{{ number }} {{ clock_zh }}",
            "{{ number }} 的「{{ clock_zh }}」将于 {{ due }} 到期，请尽快处理。",
        ),
        "en": ("[Due soon] {{ number }} {{ clock }}", "The {{ clock }} clock of {{ number }} is due at {{ due }}."),
    },
    "clock_breach": {
        "zh": (
            "【已超时】{{ number }} {{ clock_zh }}",
            "{{ number }} 的「{{ clock_zh }}」已于 {{ due }} 超时（第 {{ level }} 级通知）。",
        ),
        "en": (
            "[Breached] {{ number }} {{ clock }}",
            "The {{ clock }} clock of {{ number }} breached at {{ due }} (level {{ level }}).",
        ),
    },
    "reporter_added": {
        "zh": (
            "【用户补充】{{ number }} {{ title }}",
            "{{ number }} 的反馈用户补充了信息：\n{{ text }}\n查看：{{ link }}",
        ),
        "en": (
            "[Reporter added] {{ number }} {{ title }}",
            "A reporter of {{ number }} added information:\n{{ text }}\nOpen: {{ link }}",
        ),
    },
    "update_reminder": {
        "zh": (
            "【请同步进展】{{ number }}",
            "请向用户同步 {{ number }} 的处理进展（截止 {{ due }}），否则系统将发送模板进展。",
        ),
        "en": (
            "[Post an update] {{ number }}",
            "Please post a progress update for {{ number }} by {{ due }}, or a templated one goes out.",
        ),
    },
}

CLOCK_ZH = {
    "register": "登记",
    "grade": "分析分级",
    "first_reply": "首次回复",
    "response": "响应",
    "update": "进度同步",
    "verify": "验证",
    "archive": "归档",
    "retrospect": "复盘",
    "improvement": "改进措施",
}

# The stage as a message names it ({{ status_zh }}); the pages' words are in entrypoints/common/labels.py.
STATUS_ZH = {
    "registered": "已登记",
    "triaging": "分析分级中",
    "locating": "问题定位中",
    "planning": "制定修复方案",
    "plan_review": "方案评审中",
    "fixing": "修复中",
    "verifying": "验证中",
    "awaiting_confirmation": "待您确认",
    "releasing": "发布中",
    "resolved": "已解决",
    "archived": "已归档",
    "duplicate": "已合并",
    "not_a_fault": "非故障",
    "cannot_reproduce": "无法复现",
}
