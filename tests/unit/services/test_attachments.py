"""Attachments through the intake and the reporter's addition, on the twins: recorded with the
report in one unit of work, the files removed when it fails, staff only to read them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from faultdesk.domain.errors import NotFound, NotPermitted, RuleViolation
from faultdesk.domain.roles import Role
from faultdesk.services import attachments, reporters
from faultdesk.services.attachments import IncomingFile
from faultdesk.services.intake import submit_report
from faultdesk.services.memory import MemoryAttachmentFiles, MemoryReports
from faultdesk.services.records import Actor
from tests.unit.services.conftest import a_draft, outbox, register

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 200


@pytest.fixture
def files() -> MemoryAttachmentFiles:
    return MemoryAttachmentFiles()


@pytest.fixture
def fdesk(desk, files):
    return replace(desk, files=files, attachment_max_bytes=1024)


def _submit(desk, *incoming: IncomingFile):
    return submit_report(desk, a_draft(), actor=Actor.public(), client="203.0.113.7", files=incoming)


def test_a_reports_files_are_recorded_with_it(fdesk, files, staff):
    done = _submit(fdesk, IncomingFile("a.png", PNG), IncomingFile("clip.MOV", MP4))
    found = attachments.of_reports(fdesk, [done.report.id], actor=staff[Role.AGENT])[done.report.id]
    assert [(a.filename, a.file_type.value, a.later) for a in found] == [
        ("a.png", "image/png", False),
        ("clip.mp4", "video/mp4", False),  # named for what it is
    ]
    assert found[0].thumb_key and found[1].thumb_key is None  # a thumbnail for the image only
    assert sorted(files.files) == sorted([found[0].storage_key, found[0].thumb_key, found[1].storage_key])
    assert attachments.open_attachment(fdesk, found[0].id, actor=staff[Role.AGENT], thumb=True).file_type.value == (
        "image/webp"
    )
    opened = attachments.open_attachment(fdesk, found[0].id, actor=staff[Role.DEVELOPER])
    assert opened.data == PNG
    with pytest.raises(NotPermitted):
        attachments.open_attachment(fdesk, found[0].id, actor=Actor.public())
    files.discard(found[1].storage_key)
    with pytest.raises(NotFound):  # a row whose file went missing is a 404, not a 500
        attachments.open_attachment(fdesk, found[1].id, actor=staff[Role.AGENT])


def test_refused_files_store_nothing(fdesk, files, db):
    with pytest.raises(RuleViolation) as refused:
        _submit(fdesk, IncomingFile("ok.png", PNG), IncomingFile("big.mp4", MP4 + b"\x00" * 1024))
    assert [p.field for p in refused.value.problems] == ["attachments"]
    with pytest.raises(RuleViolation):
        _submit(fdesk, *[IncomingFile(f"{i}.png", PNG) for i in range(6)])
    with pytest.raises(RuleViolation):
        _submit(fdesk, IncomingFile("tiny.png", PNG[:10]))  # starts like a PNG, does not decode
    assert files.files == {} and db.tables.reports == {}


def test_a_failed_transaction_takes_its_files_back(fdesk, files, db, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("the store failed")

    monkeypatch.setattr(MemoryReports, "add_attachments", broken)
    with pytest.raises(RuntimeError):
        _submit(fdesk, IncomingFile("a.png", PNG))
    assert files.files == {} and db.tables.reports == {} and db.tables.attachments == {}


def test_a_screenshot_added_later_tells_the_owner(fdesk, files, staff):
    done = _submit(fdesk)
    register(fdesk, staff[Role.AGENT], done.report.id)
    reporters.add_information(fdesk, done.tracking_token, "", [IncomingFile("again.png", PNG)])
    [later] = attachments.of_reports(fdesk, [done.report.id], actor=staff[Role.AGENT])[done.report.id]
    assert later.later and later.filename == "again.png"
    assert reporters.follow(fdesk, done.tracking_token).attachments == ["again.png"]
    [told] = outbox(fdesk, "reporter_added")
    assert told.recipient.startswith("user:") and "上传了 1 个附件" in told.body
    with pytest.raises(RuleViolation):  # neither words nor a file
        reporters.add_information(fdesk, done.tracking_token, "  ", [])
    with pytest.raises(NotFound):
        reporters.add_information(fdesk, "no-such-token", "", [IncomingFile("x.png", PNG)])
    assert len(files.files) == 2  # the screenshot and its thumbnail
