"""The court-documents bench (issue 16): render (WeasyPrint) + seal (pyHanko PAdES) time.

    .venv/bin/python bench/documents/run.py              # 20 documents
    .venv/bin/python bench/documents/run.py -n 50

Renders the 成交确认书 template (A4, Noto Serif CJK, QR code, seal picture) from a fixed
context, seals it with a court key certified by a CA made in a temp dir, and validates the
signature against that CA (pyHanko). No database: numbering and the row insert are a few
milliseconds beside these. Target: render + seal < 1 s per document. Prints the load average
before and after, since the machine is shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--save", type=Path, help="write the last sealed PDF here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gavel-docs-bench-"))
    os.environ["GAVEL_DOCUMENTS_CA_CERT"] = str(tmp / "ca.cert.pem")
    os.environ["GAVEL_DOCUMENTS_CA_KEY"] = str(tmp / "ca.key.pem")
    os.environ["GAVEL_DOCUMENTS_CRL"] = str(tmp / "ca.crl.pem")
    os.environ["GAVEL_DOCUMENTS_KEY_DIR"] = str(tmp / "courts")
    import django

    django.setup()
    import io
    from types import SimpleNamespace

    from django.template.loader import render_to_string
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from core.documents import rmb_upper
    from core.documents.render import court_header_template, html_to_pdf, qr_data_uri
    from core.documents.seal import ca_create, court_seal
    from core.documents.sign import asn1_cert, seal_pdf
    from core.models import Court

    load_before = os.getloadavg()
    ca_create()
    court = Court(
        pk=1,
        name="江西省南昌市东湖区人民法院",
        code="赣0102",
        master_account_no="36010200000000000000",
        master_account_bank="中国建设银行南昌分行",
        master_account_name="南昌市东湖区人民法院执行款专户",
    )
    seal = court_seal(court)
    now = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
    auction = SimpleNamespace(title="南昌市东湖区某小区 3 栋 1201 室", start_at=now)
    base = {
        "court": court,
        "auction": auction,
        "case": SimpleNamespace(number="（2026）赣0102执1234号"),
        "assets": [SimpleNamespace(name="住宅 1201 室", address="南昌市东湖区某路 88 号")],
        "buyer": "张三（居民身份证 360***********1234）",
        "bidder_code": "K7Q2MZ",
        "price": {"figures": "1,235,567.89", "upper": rmb_upper(123556789)},
        "deposit": {"figures": "120,000.00", "upper": rmb_upper(12000000)},
        "balance": {"figures": "1,115,567.89", "upper": rmb_upper(111556789)},
        "closed_at": "2026年11月02日 10:00:00",
        "balance_due": "",
        "balance_days": 30,
        "header_template": court_header_template(1),
    }
    render_s, seal_s, verify_s, sizes, cpu_s = [], [], [], [], []
    for i in range(args.n):
        code = f"BENCH{i:05d}"
        url = f"https://gavel.example/documents/verify/{code}/"
        doc = {
            "title": "网络司法拍卖成交确认书",
            "number": f"（2026）赣0102执拍确字第{i + 1}号",
            "code": code,
            "verify_url": url,
            "qr": qr_data_uri(url),
            "issued_at": now,
            "issued_date": now.date(),
            "version": 1,
        }
        c0 = time.process_time()
        t0 = time.perf_counter()
        pdf = html_to_pdf(
            render_to_string("bidding/documents/sale_confirmation.html", {**base, "doc": doc})
        )
        t1 = time.perf_counter()
        sealed = seal_pdf(pdf, seal, reason=str(doc["number"]), location=court.name)
        t2 = time.perf_counter()
        cpu_s.append(time.process_time() - c0)
        sig = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
        status = validate_pdf_signature(
            sig, ValidationContext(trust_roots=[asn1_cert(seal.ca)], allow_fetching=False)
        )
        t3 = time.perf_counter()
        assert status.intact and status.valid and status.trusted
        render_s.append(t1 - t0)
        seal_s.append(t2 - t1)
        verify_s.append(t3 - t2)
        sizes.append(len(sealed))
    load_after = os.getloadavg()
    if args.save:
        args.save.write_bytes(sealed)
    total = [r + s for r, s in zip(render_s, seal_s, strict=True)]

    def row(name: str, xs: list[float]) -> str:
        warm = sorted(xs[1:]) or xs
        p95 = warm[min(len(warm) - 1, int(len(warm) * 0.95))]
        return (
            f"| {name} | {xs[0] * 1000:.0f} | {statistics.median(warm) * 1000:.0f} | "
            f"{p95 * 1000:.0f} | {max(warm) * 1000:.0f} |"
        )

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU, "
        f"Python {platform.python_version()}"
    )
    print(f"documents: {args.n}; PDF size {statistics.median(sizes) / 1024:.0f} KiB (median)")
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    print(f"load average after:  {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print("| step | first (ms) | median (ms) | p95 (ms) | max (ms) |")
    print("|---|---|---|---|---|")
    print(row("render (WeasyPrint)", render_s))
    print(row("seal (pyHanko PAdES)", seal_s))
    print(row("render + seal", total))
    print(row("validate (pyHanko)", verify_s))
    print(row("render + seal, CPU time of this process", cpu_s))
    under = sum(1 for t in total[1:] if t < 1.0)
    print(f"render + seal under 1 s: {under}/{len(total) - 1} warm documents")


if __name__ == "__main__":
    main()
