"""Appraisers' sealed documents (issue 16): the public draw record and the commission letter."""

from __future__ import annotations

import pytest

from tests.appraisers.conftest import current_commission, run_public_draw, start_request
from tests.documents_helpers import assert_sealed, issue_queued

pytestmark = pytest.mark.django_db


def test_draw_issues_public_record_with_seed_and_ranking_and_the_commission_letter_apr03(
    setup, documents_ca
):
    req = start_request(setup)
    draw = run_public_draw(setup, req)
    docs = issue_queued()
    record_doc = docs["appraisers.draw_record"]
    assert record_doc.public  # APR-03: the result is published
    record = assert_sealed(record_doc)
    assert draw.seed and draw.seed in record and draw.list_hash in record
    assert "2026125期" in record and draw.algorithm_version in record
    names = {f.pk: f.name for f in setup["firms"]}
    first, second = (names[i] for i in (draw.result or [])[:2])
    ranking = record[record.index("摇号结果（按顺位）") :]
    assert "第1顺位" in ranking and ranking.index(first) < ranking.index(second)
    commission = current_commission(req)
    letter = assert_sealed(docs["appraisers.commission_letter"])
    assert commission.firm.name in letter and setup["case"].number in letter
    assert setup["asset"].name in letter and "确定财产处置参考价" in letter
