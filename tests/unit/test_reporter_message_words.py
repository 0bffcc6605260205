"""The automatic progress message names the fault's state in the reporter's words, in each
language (UI.md: reporters never see the staff's stage names; English once showed "locating")."""

from __future__ import annotations

import jinja2
import pytest

from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.reporter_status import status_words
from faultdesk.services.message_texts import DEFAULTS, STATUS_ZH


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("status", list(FaultStatus))
def test_progress_auto_says_the_reporters_word(lang: str, status: FaultStatus) -> None:
    _, body = DEFAULTS["progress_auto"][lang]
    context = {
        "status": status.value,
        "status_zh": STATUS_ZH[status.value],
        "reporter_status_zh": status_words(status, "zh")[0],
        "reporter_status_en": status_words(status, "en")[0],
        "public_title": None,
    }
    text = jinja2.Environment(autoescape=False).from_string(body).render(context)
    assert status_words(status, lang)[0] in text
    assert status.value not in text.replace(status_words(status, "en")[0].lower(), "")
    if STATUS_ZH[status.value] != status_words(status, "zh")[0]:
        assert STATUS_ZH[status.value] not in text
