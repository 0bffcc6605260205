from datetime import UTC, datetime, timedelta

from faultdesk.entrypoints.web.signals import span, time_left

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def test_tones_follow_the_thresholds() -> None:
    assert time_left(NOW + timedelta(hours=2), NOW).tone == "plain"
    assert time_left(NOW + timedelta(minutes=59), NOW).tone == "amber"
    assert time_left(NOW + timedelta(minutes=29), NOW).tone == "red"
    assert time_left(NOW - timedelta(minutes=25), NOW).tone == "breached"
    assert time_left(NOW - timedelta(minutes=25), NOW, paused=True).tone == "paused"
    assert time_left(NOW - timedelta(minutes=25), NOW, met=True).tone == "met"


def test_breached_reads_as_negative_time_in_both_languages() -> None:
    late = time_left(NOW - timedelta(minutes=25, seconds=10), NOW)
    assert late.zh == "超时 25 分钟"
    assert late.en == "25 min overdue"


def test_spans_read_in_days_hours_and_minutes() -> None:
    assert span(3600 + 300) == ("1 小时 5 分钟", "1 h 5 min")
    assert span(86400 * 2) == ("2 天", "2 d")
    assert span(30) == ("0 分钟", "0 min")


def test_every_role_and_permission_has_its_words() -> None:
    from faultdesk.domain.roles import PERMISSION_WORDS, ROLE_WORDS, Permission, Role

    assert set(ROLE_WORDS) == set(Role) and set(PERMISSION_WORDS) == set(Permission)
