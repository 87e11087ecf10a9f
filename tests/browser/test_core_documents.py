"""Issue 16: the buyer downloads the sealed 成交确认书 from their account; the public
verification page says genuine, and refuses a copy with one byte changed."""

from __future__ import annotations

from playwright.sync_api import expect

from bidding import services as bidding_services
from core import clock
from core.documents import documents_issue_pending
from core.documents.seal import ca_create, court_cert_issue
from tests.bidding.engine_factories import YUAN, bid, make_case, make_live_auction, register_paid
from tests.conftest import documents_paths, make_court
from tests.race import in_thread


def test_buyer_downloads_confirmation_and_verification_says_genuine_edited_refused(
    page, sign_in, screenshot, channels_live_server, settings, tmp_path, page_errors
):
    documents_paths(settings, channels_live_server.documents_dir)  # the server's CA
    ca_create()
    court = make_court(name="江西省南昌市东湖区人民法院")
    court_cert_issue(court)
    _case, lot, _c, _d = make_case(court)
    auction = make_live_auction(court, lot, start=500_000 * YUAN, deposit=50_000 * YUAN)
    loser, winner = register_paid(auction), register_paid(auction)
    bid(auction, loser, 500_000 * YUAN)
    bid(auction, winner, 501_000 * YUAN)
    channels_live_server.set_time(auction.end_at)
    # In a thread of its own (no event loop there), as the worker runs them.
    in_thread(bidding_services.auction_close_due)  # AuctionClosed queues the confirmation
    assert in_thread(documents_issue_pending) >= 1  # the worker task
    channels_live_server.reset_time()
    clock.reset()

    sign_in(page, winner.user)
    page.goto("/marketplace/account/")
    docs = page.locator("#documents")
    expect(docs).to_contain_text("网络司法拍卖成交确认书")
    screenshot(page, "account-documents")
    with page.expect_download() as info:
        docs.get_by_role("link", name="下载 PDF").first.click()
    original = tmp_path / "confirmation.pdf"
    info.value.save_as(original)
    data = original.read_bytes()
    assert data.startswith(b"%PDF")

    page.goto("/documents/verify/")
    page.locator(".verify-upload input[type=file]").set_input_files(str(original))
    page.locator(".verify-upload button").click()
    expect(page.locator(".verdict-title")).to_have_text("真实：本文件为平台出具的原件")
    expect(page.locator(".verdict")).to_contain_text(court.name)
    screenshot(page, "verify-genuine")

    at = data.index(b"stream") + 40
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :])
    page.goto("/documents/verify/")
    page.locator(".verify-upload input[type=file]").set_input_files(str(edited))
    page.locator(".verify-upload button").click()
    expect(page.locator(".verdict-title")).to_have_text("非真实文书")
    expect(page.locator(".problems")).to_contain_text("已被改动")
    screenshot(page, "verify-edited")
    assert page_errors == []
