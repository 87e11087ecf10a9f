"""Schemathesis against the API's own OpenAPI document (issue 15, proof): generated requests,
valid and invalid, for every operation, signed in as a judge and as a bidder, through the
Django WSGI handler in this process. Every response: no 5xx, a documented status, the
documented content type and a body matching the documented schema (errors included:
``{"code","message"[,"rule","data"]}``). Bounded (``MAX_EXAMPLES`` per operation and role)
so the whole file stays well under three minutes on two cores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.api import api
from tests.factories import AuctionFactory, BidderFactory, CaseFactory, JudgeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MAX_EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CSRF = "a" * 32  # the csrftoken cookie's secret; the header carries the same (Django accepts it)

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = WSGIHandler()


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """The WSGI handler closes the connection after each request (it would end the test's
    transaction): as Django's test client, keep it open for the test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=["judge", "bidder"])
def signed_in(
    request: pytest.FixtureRequest, settings: Any, wsgi_in_test_transaction: None
) -> dict[str, dict[str, str]]:
    """The cookies of a signed-in session (the API's ``django_auth``) and its CSRF header."""
    settings.GAVEL_STAFF_2FA_REQUIRED = False
    judge = JudgeFactory.create()
    case = CaseFactory.create(court=judge.court, judge=judge, with_parties=True)
    AuctionFactory.create(lot__case=case)
    user = judge if request.param == "judge" else BidderFactory.create()
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    return {
        "cookies": {"sessionid": session, "csrftoken": CSRF},
        "headers": {"X-CSRFToken": CSRF},
    }


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],  # no explicit/coverage phase: bounded, see MAX_EXAMPLES
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case: Any, signed_in: dict[str, Any]) -> None:
    # The checks raise schemathesis' failure (with a curl line to reproduce) on any breach.
    response = case.call_and_validate(checks=CHECKS, **signed_in)
    assert response.status_code < 500
