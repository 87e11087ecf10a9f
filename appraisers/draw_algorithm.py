"""The lot-draw (摇号) algorithm, version ``gavel-draw-v1``: pure Python standard library only.

Anyone can re-run a draw from its published record (APR-03, REC-07) with this file alone:

    python draw_algorithm.py record.json

where ``record.json`` is the record the public verification page offers for download. The
steps are documented in docs/appraisers.md ("The draw algorithm").

1. The frozen list is a JSON array of ``{"id", "licence_no", "name"}`` sorted by ``id``;
   ``list_hash = sha256(canonical_json(list))``.
2. A commitment is ``sha256(secret)`` (hex, lower case) of the UTF-8 secret.
3. Valid reveals are the secrets whose sha256 equals the participant's commitment; a
   commitment with no valid reveal is ignored (so nobody blocks a draw by keeping quiet).
4. ``seed = sha256(canonical_json({"algorithm", "draw", "list_hash", "public_value",
   "reveals": [[participant_ref, secret], …] sorted by participant_ref}))``.
5. Each firm's score is ``HMAC-SHA256(key=bytes.fromhex(seed), msg=str(id))``; firms are
   ordered by (score, id) and the first three are the ranked result.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ALGORITHM_VERSION = "gavel-draw-v1"
RANKED_COUNT = 3
SECRET_MIN_LENGTH = 16
SECRET_MAX_LENGTH = 200


def canonical_json(value: Any) -> bytes:
    """The byte form every hash in the draw is taken over."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def frozen_entry(*, firm_id: int, licence_no: str, name: str) -> dict[str, Any]:
    return {"id": int(firm_id), "licence_no": licence_no, "name": name}


def normalise_list(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The frozen list in its canonical order (by firm id)."""
    return sorted(
        (
            frozen_entry(firm_id=e["id"], licence_no=e["licence_no"], name=e["name"])
            for e in entries
        ),
        key=lambda e: e["id"],
    )


def list_hash(entries: Sequence[Mapping[str, Any]]) -> str:
    return sha256_hex(canonical_json(normalise_list(entries)))


def commitment_of(secret: str) -> str:
    """sha256 of the UTF-8 secret, lower-case hex: what a participant publishes first."""
    return sha256_hex(secret.encode("utf-8"))


def valid_reveals(commitments: Iterable[Mapping[str, Any]]) -> list[list[str]]:
    """``[[participant_ref, secret], …]`` for reveals matching their commitment, sorted by ref."""
    out = []
    for c in commitments:
        secret = c.get("secret") or ""
        if secret and commitment_of(secret) == c.get("commitment"):
            out.append([str(c["participant_ref"]), secret])
    return sorted(out)


def seed_of(
    *, draw_id: int, list_hash_hex: str, reveals: Sequence[Sequence[str]], public_value: str = ""
) -> str:
    material = {
        "algorithm": ALGORITHM_VERSION,
        "draw": int(draw_id),
        "list_hash": list_hash_hex,
        "public_value": public_value or "",
        "reveals": [list(r) for r in sorted(reveals)],
    }
    return sha256_hex(canonical_json(material))


def score(seed_hex: str, firm_id: int) -> str:
    return hmac.new(
        bytes.fromhex(seed_hex), str(int(firm_id)).encode("ascii"), hashlib.sha256
    ).hexdigest()


def ordering(seed_hex: str, firm_ids: Iterable[int]) -> list[int]:
    """Every firm of the list, ordered by its HMAC score (ties, never seen in practice, by id)."""
    return sorted((int(i) for i in firm_ids), key=lambda i: (score(seed_hex, i), i))


def rank(seed_hex: str, firm_ids: Iterable[int], count: int = RANKED_COUNT) -> list[int]:
    return ordering(seed_hex, firm_ids)[:count]


def recompute(record: Mapping[str, Any]) -> dict[str, Any]:
    """Recompute a draw from its published record; report every disagreement found."""
    problems: list[str] = []
    if record.get("algorithm_version") != ALGORITHM_VERSION:
        problems.append(f"算法版本不符：{record.get('algorithm_version')!r}")
    entries = normalise_list(record.get("frozen_list") or [])
    lh = sha256_hex(canonical_json(entries))
    if lh != record.get("list_hash"):
        problems.append("冻结名单的哈希与记录不符")
    commitments = record.get("commitments") or []
    for c in commitments:
        secret = c.get("secret") or ""
        if secret and commitment_of(secret) != c.get("commitment"):
            problems.append(f"{c.get('participant_ref')} 的揭示值与其承诺不符")
    reveals = valid_reveals(commitments)
    seed = seed_of(
        draw_id=int(record["draw_id"]),
        list_hash_hex=lh,
        reveals=reveals,
        public_value=record.get("public_value") or "",
    )
    if seed != record.get("seed"):
        problems.append("由记录重新计算的种子与记录不符")
    ranking = rank(seed, [e["id"] for e in entries])
    if ranking != list(record.get("result") or []):
        problems.append("由记录重新计算的排序与公布结果不符")
    return {
        "ok": not problems,
        "problems": problems,
        "seed": seed,
        "ranking": ranking,
        "list_hash": lh,
    }


def main(argv: Sequence[str]) -> int:  # pragma: no cover - a command-line convenience
    if len(argv) != 2:
        print("usage: python draw_algorithm.py record.json")
        return 2
    with open(argv[1], encoding="utf-8") as fh:
        record = json.load(fh)
    out = recompute(record)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0 if out["ok"] else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv))
