"""An appraisal report's PDF is read only by those the report page lets read it (REC-14, PRC-10).

Issue 15 item 3: the PDF was public at a guessable media path while the report view refused
the same people. Now the stored file (``/files/<name>``) and the report view ask the same
permission, ``appraisers.read_report``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse

from appraisers import services
from core import clock
from tests.appraisers.conftest import (
    PDF_BYTES,
    current_commission,
    firm_user_for,
    make_case,
    pdf_upload,
    report_data,
    run_public_draw,
    start_request,
)
from tests.conftest import make_court, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(setup: dict[str, Any]) -> dict[str, Any]:
    s = setup
    c = current_commission(run_public_draw(s, start_request(s)).request)
    own = firm_user_for(c.firm)
    services.commission_accept(commission=c, actor=own)
    services.inspection_notice(
        commission=c, at=clock.now() + dt.timedelta(hours=1), place="现场", actor=own
    )
    clock.advance(dt.timedelta(hours=1))
    services.inspection_record(commission=c, witness="见证人", actor=own)
    report = services.report_submit(
        commission=c, upload=pdf_upload(), actor=own, **report_data(c.firm)
    )
    _, other_creditor, _, _ = make_case(s["court"], s["judge"])
    return {**s, "c": c, "own": own, "report": report, "other_party": other_creditor.user}


def _both(client: Any, report: Any) -> tuple[int, int]:
    """Status of the stored file's URL and of the report view."""
    file_resp = client.get(report.file.url)
    view_resp = client.get(reverse("appraisers:report_download", args=[report.pk]))
    if file_resp.status_code == 200:
        assert file_resp.content == PDF_BYTES
    if view_resp.status_code == 200:
        assert view_resp.content == PDF_BYTES
    return file_resp.status_code, view_resp.status_code


def test_the_report_pdf_has_an_unguessable_name_and_no_public_path(client, delivered):
    report = delivered["report"]
    assert re.fullmatch(r"appraisers/reports/[0-9a-f]{32}\.pdf", report.file.name)
    assert f"report-c{delivered['c'].pk}" not in report.file.name
    assert client.get(f"/media/{report.file.name}").status_code == 404


def test_who_reads_the_report_pdf(client, delivered):
    """Anonymous 404 (the view: sign in first); another court's judge, a party of another case
    and another firm 403; the case's party only once served (PRC-10); the firm and the judge
    200."""
    d = delivered
    report = d["report"]
    file_status, view_status = _both(client, report)
    assert file_status == 404 and view_status == 302
    other_firm = next(f for f in d["firms"] if f.pk != d["c"].firm_id)
    outsiders = [make_user("judge", make_court()), d["other_party"], firm_user_for(other_firm)]
    for outsider in outsiders:
        client.force_login(outsider)
        assert _both(client, report) == (403, 403), outsider
    client.force_login(d["debtor"].user)
    assert _both(client, report) == (403, 403)  # not served yet
    for reader in (d["own"], d["judge"]):
        client.force_login(reader)
        assert _both(client, report) == (200, 200), reader
    services.report_review(commission=d["c"], actor=d["judge"])  # serves every party
    client.force_login(d["debtor"].user)
    assert _both(client, report) == (200, 200)
