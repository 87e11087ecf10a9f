"""The case page lists the case's reference-price procedures: staff open the court page, a
party opens their own page of the procedure."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_judge_sees_the_procedure_on_the_case_page(client, judge, procedure):
    client.force_login(judge)
    html = client.get(reverse("cases:case", args=[procedure.case_id])).content.decode()
    assert "参考价" in html
    assert reverse("pricing:procedure", args=[procedure.pk]) in html


def test_a_party_sees_their_own_procedure_page_link(client, procedure, creditor_user):
    client.force_login(creditor_user)
    html = client.get(reverse("cases:portal_case", args=[procedure.case_id])).content.decode()
    assert reverse("pricing:party", args=[procedure.pk]) in html
    assert reverse("pricing:procedure", args=[procedure.pk]) not in html
