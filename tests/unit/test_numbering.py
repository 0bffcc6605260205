from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultdesk.domain.numbering import InvalidNumberFormat, NumberFormat, registration_day

DEFAULT = NumberFormat.parse("default")
COMPACT = NumberFormat.parse("compact")
DAY = date(2023, 10, 25)


def test_default_number_is_date_type_serial_as_the_template_says():
    assert DEFAULT.render(DAY, "01", 1) == "231025-01-001"


def test_compact_preset_matches_the_templates_example():
    assert COMPACT.render(DAY, "01", 1) == "20231025001"


def test_serial_widens_past_999_instead_of_failing():
    assert DEFAULT.render(DAY, "02", 999) == "231025-02-999"
    assert DEFAULT.render(DAY, "02", 1000) == "231025-02-1000"


def test_default_counts_per_day_and_type_compact_per_day_only():
    assert DEFAULT.scope(DAY, "01") != DEFAULT.scope(DAY, "02")
    assert COMPACT.scope(DAY, "01") == COMPACT.scope(DAY, "02")


def test_custom_template():
    fmt = NumberFormat.parse("GZ-{date:%Y%m%d}-{type}-{serial:04d}")
    assert fmt.render(DAY, "06", 7) == "GZ-20231025-06-0007"


@pytest.mark.parametrize(
    "spec",
    ["{date:%y%m%d}-{type}", "{type}-{serial:03d}", "{date:%y%m%d}-{serial:03d}-{who}", "{date:%y%m%d}-{serial", ""],
)
def test_templates_that_cannot_number_uniquely_are_refused(spec):
    with pytest.raises(InvalidNumberFormat):
        NumberFormat.parse(spec)


def test_serial_must_start_at_one():
    with pytest.raises(ValueError):
        DEFAULT.render(DAY, "01", 0)


def test_number_date_is_the_local_date_not_utc():
    late_utc = datetime(2023, 10, 25, 16, 30, tzinfo=UTC)  # 00:30 on the 26th in Shanghai
    assert registration_day(late_utc, "Asia/Shanghai") == date(2023, 10, 26)
    assert registration_day(late_utc, "UTC") == date(2023, 10, 25)


def test_registration_day_needs_an_aware_time():
    with pytest.raises(ValueError):
        registration_day(datetime(2023, 10, 25, 12, 0), "Asia/Shanghai")  # noqa: DTZ001


@given(a=st.integers(1, 200_000), b=st.integers(1, 200_000), fmt=st.sampled_from([DEFAULT, COMPACT]))
def test_distinct_serials_give_distinct_numbers(a, b, fmt):
    if a != b:
        assert fmt.render(DAY, "01", a) != fmt.render(DAY, "01", b)


@given(
    d1=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    d2=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    s1=st.integers(1, 20_000),
    s2=st.integers(1, 20_000),
)
def test_compact_numbers_never_collide_across_days(d1, d2, s1, s2):
    if (d1, s1) != (d2, s2):
        assert COMPACT.render(d1, "01", s1) != COMPACT.render(d2, "01", s2)
