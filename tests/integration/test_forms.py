"""Multipart bodies are parsed by entrypoints/common/forms.py (the ``multipart`` push parser), on both
stores: a body that is no multipart, a text part past 1 MB or more than 1,000 parts is a 422 (the unreadable-body envelope), never
a 500; a well-formed one gives every field and file to the route, once for all who read it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.attachment_files import image_with_gps
from tests.integration.session_helpers import form
from tests.integration.test_web_attachments import raw_post, stored_rows, tracking_path
from tests.integration.test_web_reporter import HTML, a_form, report_id_of

BOUNDARY = "----fdformtest"


def _post(client: TestClient, body: bytes, boundary: str = BOUNDARY):
    client.get("/report", headers=HTML)  # the CSRF cookie
    headers = {**HTML, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    return client.post("/report", content=body, headers=headers, follow_redirects=False)


def _parts(fields: list[tuple[str, str]]) -> bytes:
    body = "".join(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields)
    return (body + f"--{BOUNDARY}--\r\n").encode()


def test_a_body_that_is_no_multipart_is_a_422(client):
    res = _post(client, b"no parts here at all")
    assert res.status_code == 422
    assert "Traceback" not in res.text
    assert _post(client, b"--" + BOUNDARY.encode() + b"\r\nbroken").status_code == 422  # ends mid-part
    headers = {**HTML, "Content-Type": "multipart/form-data"}  # no boundary
    assert client.post("/report", content=b"x", headers=headers).status_code == 422


def test_a_text_part_past_a_megabyte_or_too_many_parts_is_a_422(client):
    assert _post(client, _parts([("symptom", "长" * 400_000)])).status_code == 422  # 1.2 MB of UTF-8
    assert _post(client, _parts([(f"f{i}", "x") for i in range(1001)])).status_code == 422


def test_a_well_formed_form_reaches_the_route_whole(client):
    client.get("/report", headers=HTML)
    fields = form(client, **a_form(symptom="表单里的每个字段都到了", scenario="在登录页面点「忘记密码」时提示错误"))
    res = _post(client, _parts(list(fields.items())))
    assert res.status_code == 303, res.text
    page = client.get(tracking_path(client), headers=HTML)
    assert "表单里的每个字段都到了" in page.text


def test_a_file_part_arrives_as_an_upload(client, wiring):
    res = raw_post(client, b"shot.png", image_with_gps("PNG"))
    assert res.status_code == 303, res.text
    [row] = stored_rows(wiring, report_id_of(wiring, tracking_path(client)))
    assert row.filename == "shot.png" and row.size > 0  # the spooled part was read whole
