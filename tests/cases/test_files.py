"""Photos, videos and documents of an asset (AUC-09): type by content, size limits."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import AssetFile
from cases.services import asset_file_add
from core.errors import DomainError
from core.models import AuditEntry

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path)


def test_a_photo_is_stored_with_its_sniffed_type_and_audited(flat, judge):
    af = asset_file_add(
        asset=flat, kind="photo", title="客厅", file=SimpleUploadedFile("a.png", PNG), actor=judge
    )
    assert (af.content_type, af.size_bytes, af.uploaded_by) == ("image/png", len(PNG), judge)
    assert af.file.read() == PNG
    assert AuditEntry.objects.filter(
        stream=f"case:{flat.case_id}", action="asset.file_added"
    ).exists()


def test_a_wrong_extension_is_corrected_from_the_content(flat, judge):
    af = asset_file_add(
        asset=flat,
        kind="document",
        title="产权证",
        file=SimpleUploadedFile("scan.jpg", PDF),
        actor=judge,
    )
    assert af.content_type == "application/pdf" and af.file.name.endswith(".pdf")


@pytest.mark.parametrize(
    ("kind", "name", "content", "code"),
    [
        ("photo", "photo.jpg", b"not really an image", "file_type_not_allowed"),
        ("photo", "doc.pdf", PDF, "file_type_not_allowed"),
        ("video", "clip.png", PNG, "file_type_not_allowed"),
        ("photo", "empty.png", b"", "file_empty"),
        ("photo", "huge.png", PNG + b"\x00" * (10 * 1024 * 1024), "file_too_large"),
    ],
)
def test_files_of_the_wrong_type_or_size_are_refused(flat, judge, kind, name, content, code):
    with pytest.raises(DomainError) as info:
        asset_file_add(
            asset=flat, kind=kind, title="x", file=SimpleUploadedFile(name, content), actor=judge
        )
    assert info.value.code == code
    assert not AssetFile.objects.exists()


def test_uploading_on_the_page(client, case, flat, judge):
    client.force_login(judge)
    url = reverse("cases:file_new", args=[case.pk, flat.pk])
    resp = client.post(
        url, {"kind": "photo", "title": "外观", "file": SimpleUploadedFile("x.gif", b"GIF89a...")}
    )
    assert "照片只接受 JPEG、PNG、WEBP 格式" in resp.content.decode()
    resp = client.post(
        url,
        {"kind": "photo", "title": "外观", "file": SimpleUploadedFile("x.png", PNG)},
        follow=True,
    )
    assert "已上传：外观" in resp.content.decode()
    assert AssetFile.objects.get().title == "外观"
