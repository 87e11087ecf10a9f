"""The admin never shows an identity number in full (REC-05), not even to the operator."""

import pytest
from django.urls import reverse

from tests.conftest import make_user


@pytest.fixture
def operator_client(client, db):
    op = make_user("operator", is_staff=True, is_superuser=True)
    client.force_login(op)
    return client


def test_identity_numbers_are_masked_in_admin_lists_and_pages(operator_client, debtor_party):
    number = debtor_party.identity.number
    for url in (
        reverse("admin:cases_identity_changelist"),
        reverse("admin:cases_identity_change", args=[debtor_party.identity.pk]),
        reverse("admin:cases_party_changelist"),
        reverse("admin:cases_party_change", args=[debtor_party.pk]),
        reverse("admin:cases_case_change", args=[debtor_party.case_id]),
    ):
        resp = operator_client.get(url)
        html = resp.content.decode()
        assert resp.status_code == 200, url
        assert number not in html, url
        assert debtor_party.identity.masked_number in html, url


def test_cases_are_not_added_or_deleted_in_the_admin(operator_client, case):
    assert operator_client.get(reverse("admin:cases_case_add")).status_code == 403
    assert (
        operator_client.get(reverse("admin:cases_case_delete", args=[case.pk])).status_code == 403
    )
