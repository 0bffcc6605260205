"""Error reasons in Chinese (default) and English, chosen by Accept-Language; JSON or a page, by Accept."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

# Pydantic error type -> Chinese reason (with its ctx fields); English uses pydantic's own text.
_ZH: dict[str, str] = {
    "missing": "必填字段缺失",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_too_short": "长度至少 {min_length} 个字符",
    "too_long": "最多 {max_length} 项",
    "too_short": "至少 {min_length} 项",
    "enum": "取值须为 {expected} 之一",
    "literal_error": "取值须为 {expected} 之一",
    "string_type": "须为字符串",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "bool_type": "须为布尔值",
    "bool_parsing": "须为布尔值",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "datetime_type": "须为 ISO 8601 时间（如 2026-11-25T10:30:00+08:00）",
    "datetime_parsing": "须为 ISO 8601 时间（如 2026-11-25T10:30:00+08:00）",
    "datetime_from_date_parsing": "须为 ISO 8601 时间（如 2026-11-25T10:30:00+08:00）",
    "date_type": "须为 ISO 8601 日期（如 2026-11-25）",
    "date_parsing": "须为 ISO 8601 日期（如 2026-11-25）",
    "date_from_datetime_parsing": "须为 ISO 8601 日期（如 2026-11-25）",
    "json_invalid": "JSON 格式错误（第 {position} 个字符处）",
    "body_unreadable": "请求体无法解析为 JSON（须为 UTF-8，嵌套不超过数百层，数字位数合理）",
    "json_type": "须为 JSON",
    "form_unreadable": "请求体无法解析为表单（multipart 须带 boundary 且完整）",
    "extra_forbidden": "不允许的字段",
    "greater_than_equal": "须大于或等于 {ge}",
    "greater_than": "须大于 {gt}",
    "less_than_equal": "须小于或等于 {le}",
    "less_than": "须小于 {lt}",
    "list_type": "须为数组",
    "dict_type": "须为 JSON 对象",
    "model_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
    "body_too_large": "请求体过大（上限 {limit} 字节）",
    "datetime_out_of_range": "须在 {first} 与 {last} 之间",
}


def wants_json(request: Request) -> bool:
    """An API client rather than a browser: it asks for JSON and not for a page."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def wants_english(accept_language: str | None) -> bool:
    """The first language the client names wins; anything but English gets Chinese."""
    if not accept_language:
        return False
    first = accept_language.split(",")[0].split(";")[0].strip().lower()
    return first.startswith("en")


def reason_zh(error_type: str, ctx: dict[str, Any] | None, fallback: str) -> str:
    template = _ZH.get(error_type)
    if template is None:
        return fallback
    try:
        return template.format(**(ctx or {})).replace(" or ", "、")
    except (KeyError, IndexError):
        return template
