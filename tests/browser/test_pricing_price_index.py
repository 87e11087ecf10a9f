"""In a real browser, the judge opens the models page and sees the active model's price index
drawn by ECharts (issue 20: the index that brings sales to the valuation date)."""

from playwright.sync_api import expect

from tests.conftest import make_court, make_user
from tests.pricing.conftest import built_models  # noqa: F401 (the session's small models)


def test_judge_sees_the_price_index_chart(
    page,
    channels_live_server,
    sign_in,
    screenshot,
    page_errors,
    built_models,  # noqa: F811
):
    from django.db import transaction

    from pricing.valuation.training import register_artifact

    path, built = built_models["gbm"]
    with transaction.atomic():
        record = register_artifact(
            path=path, artifact=built.artifact, fingerprint_=built.fingerprint
        )
        record.is_active = True
        record.save(update_fields=["is_active"])
    court = make_court("赣0102", name="南昌市东湖区人民法院（测试）")
    judge = make_user("judge", court, display_name="王法官")
    sign_in(page, judge)
    page.goto("/pricing/models/")
    section = page.locator("#price-index")
    expect(section).to_contain_text("房价指数")
    page.wait_for_function(
        f"document.querySelector('[data-index-chart=\"index-{record.pk}\"] canvas') !== null"
    )
    section.scroll_into_view_if_needed()
    screenshot(page, "price-index")
    assert not page_errors
