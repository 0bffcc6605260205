import pytest
from pydantic import ValidationError

from faultdesk.config import Settings


def test_defaults_follow_the_brief(tmp_path):
    s = Settings(home=tmp_path)
    assert s.timezone == "Asia/Shanghai"
    assert s.number_format == "default"
    assert s.effective_database_url == f"sqlite:///{(tmp_path / 'faultdesk.db').resolve()}"


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("FAULTDESK_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("FAULTDESK_NUMBER_FORMAT", "compact")
    monkeypatch.setenv("FAULTDESK_HOME", str(tmp_path))
    s = Settings()
    assert (s.timezone, s.number_format, s.home) == ("Europe/Berlin", "compact", tmp_path)


def test_toml_file_supplies_the_rest(monkeypatch, tmp_path):
    cfg = tmp_path / "faultdesk.toml"
    cfg.write_text('intake_rate_limit = "5/second"\nnumber_format = "{date:%Y%m%d}-{serial:04d}"\n')
    monkeypatch.setenv("FAULTDESK_CONFIG", str(cfg))
    s = Settings()
    assert s.intake_rate_limit == "5/second"
    assert s.numbers.render(__import__("datetime").date(2023, 10, 25), "01", 3) == "20231025-0003"


@pytest.mark.parametrize(("field", "value"), [("timezone", "Mars/Olympus"), ("number_format", "{type}")])
def test_bad_configuration_is_refused(field, value):
    with pytest.raises(ValidationError):
        Settings(**{field: value})


def test_missing_secret_key_says_how_to_make_one(tmp_path):
    with pytest.raises(RuntimeError, match="faultdesk init"):
        Settings(home=tmp_path, secret_key="").resolved_secret_key()
