"""Uploaded files behind permissions (REC-14, issue 15 item 3).

Every stored file is served by one guarded route (``core.files.serve``): an asset's photo,
video or document is public once the announcement of its lot shows it (AUC-09), otherwise
only the case's court staff and parties read it; an appraisal report's PDF only the firm, the
court and the parties it was served on (tests/appraisers/test_report_file_access.py). There is
no public media route and new uploads have unguessable names.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django_sendfile.utils import _get_sendfile

from cases.models import AssetFile
from cases.services import asset_file_add
from core.files import protected_fields
from tests.conftest import make_court, make_user
from tests.factories import (
    AssetFactory,
    AuctionFactory,
    CaseFactory,
    CreditorFactory,
    LotFactory,
    PartyUserFactory,
)

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path)


@pytest.fixture
def world(court: Any, judge: Any) -> dict[str, Any]:
    case = CaseFactory.create(court=court, judge=judge)
    party = CreditorFactory.create(case=case, user=PartyUserFactory.create())
    asset = AssetFactory.create(case=case)
    other_case = CaseFactory.create(court=court, judge=judge)
    other_party = CreditorFactory.create(case=other_case, user=PartyUserFactory.create())
    doc = asset_file_add(
        asset=asset,
        kind="document",
        title="产权证",
        file=SimpleUploadedFile("张三-身份证-360102199001011234.pdf", PDF),
        actor=judge,
    )
    photo = asset_file_add(
        asset=asset, kind="photo", title="客厅", file=SimpleUploadedFile("a.png", PNG), actor=judge
    )
    video = asset_file_add(
        asset=asset, kind="video", title="看房", file=SimpleUploadedFile("v.mp4", MP4), actor=judge
    )
    return {
        "case": case,
        "asset": asset,
        "party": party.user,
        "other_party": other_party.user,
        "other_judge": make_user("judge", make_court()),
        "doc": doc,
        "photo": photo,
        "video": video,
    }


def test_every_file_field_of_every_app_is_served_only_through_a_permission() -> None:
    registered = {(p.model, p.field) for p in protected_fields()}
    fields = {
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.get_fields()
        if isinstance(f, models.FileField)
    }
    assert fields, "no file field found: the test looks in the wrong place"
    assert fields <= registered, f"file fields without a read permission: {fields - registered}"


def test_new_uploads_get_unguessable_names_without_the_uploaders_file_name(world: Any) -> None:
    name = world["doc"].file.name
    assert re.fullmatch(r"assets/[0-9a-f]{32}\.pdf", name), name
    assert "360102" not in name and world["photo"].file.name != name
    assert world["doc"].file.url == f"/files/{name}"


@pytest.mark.parametrize(("kind", "content"), [("doc", PDF), ("photo", PNG), ("video", MP4)])
def test_an_unannounced_assets_files_are_read_by_its_court_and_parties_only(
    client: Any, world: Any, judge: Any, kind: str, content: bytes
) -> None:
    """REC-14, each kind of asset file: anonymous 404, another court's judge 403, a party of
    another case 403; the case's judge and its party 200, with the file's bytes."""
    url = world[kind].file.url
    assert client.get(url).status_code == 404
    for outsider in (world["other_judge"], world["other_party"]):
        client.force_login(outsider)
        assert client.get(url).status_code == 403
    for reader in (judge, world["party"]):
        client.force_login(reader)
        resp = client.get(url)
        assert resp.status_code == 200 and resp.content == content
        assert resp["Cache-Control"] == "private, no-store"


def test_lot_files_become_public_when_the_auction_is_announced(client: Any, world: Any) -> None:
    """AUC-09: the announcement shows the lot's photos and documents to everyone; a draft
    auction publishes nothing."""
    lot = LotFactory.create(case=world["case"], assets=[world["asset"]])
    auction = AuctionFactory.create(lot=lot, state="draft")
    url = world["photo"].file.url
    assert client.get(url).status_code == 404
    auction.state = "scheduled"
    auction.save(update_fields=["state"])
    resp = client.get(url)
    assert resp.status_code == 200 and resp.content == PNG
    assert client.get(world["doc"].file.url).status_code == 200
    assert client.get(world["video"].file.url).status_code == 200


def test_the_public_media_route_is_gone_and_unknown_names_are_404(
    client: Any, world: Any, judge: Any
) -> None:
    client.force_login(judge)
    name = world["doc"].file.name
    assert client.get(f"/media/{name}").status_code == 404
    assert client.get("/files/assets/0123456789abcdef0123456789abcdef.pdf").status_code == 404
    assert client.get(f"/files/assets/../{name}").status_code == 404
    AssetFile.objects.filter(pk=world["doc"].pk).update(file="../../etc/passwd")
    assert client.get("/files/../../etc/passwd").status_code == 404


def test_production_hands_the_file_to_nginx_with_x_accel_redirect(
    client: Any, world: Any, judge: Any, settings: Any
) -> None:
    """The nginx backend: the application decides, nginx sends the bytes from an internal
    location; nothing of the file is in the application's answer."""
    settings.SENDFILE_BACKEND = "django_sendfile.backends.nginx"
    settings.SENDFILE_URL = "/protected-media"
    _get_sendfile.cache_clear()
    try:
        client.force_login(judge)
        resp = client.get(world["doc"].file.url)
        assert resp.status_code == 200
        assert resp["X-Accel-Redirect"] == f"/protected-media/{world['doc'].file.name}"
        assert resp.content == b""
        client.force_login(world["other_judge"])
        assert "X-Accel-Redirect" not in client.get(world["doc"].file.url)
    finally:
        _get_sendfile.cache_clear()
