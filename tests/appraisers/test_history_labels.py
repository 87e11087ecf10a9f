"""The appraisal request's history names other apps' actions in its stream (a document issued)
by their registered names, not the raw action code (found on the court request page: a row
read ``document.issued``)."""

from __future__ import annotations

from django.utils import translation

from appraisers.selectors import action_label


def test_a_document_issued_in_the_stream_is_named() -> None:
    with translation.override("zh-hans"):
        assert action_label("document.issued") == "出具文书"
        assert action_label("commission.offered") == "委托评估机构"
    with translation.override("en"):
        assert action_label("document.issued") == "Document issued"


def test_an_unknown_action_still_shows_its_code() -> None:
    assert action_label("nobody.registered.this") == "nobody.registered.this"
