"""The lot-draw (摇号) algorithm, version ``gavel-draw-v1``: pure Python standard library only.

Gavel's one commit–reveal lot draw (APR-03, REC-07). Two draws use it, differing only in data
(``DrawKind``): the appraisal-firm draw (``FIRM_DRAW``: three ranked firms) and the draw among
creditors of equal rank taking a lot in lieu (``IN_LIEU_DRAW``, bidding, AUC-36: the whole
order). Anyone can re-run either draw from its published record with this file alone:

    python draw_algorithm.py record.json

where ``record.json`` is the record the public verification page offers for download (a record
with ``"kind": "bidding.in_lieu_draw"`` is an in-lieu draw; any other, a firm draw). The steps
are documented in docs/appraisers.md ("The draw algorithm").

1. The frozen list is a JSON array of entries ``{"id", …the kind's fields}`` sorted by ``id``
   (firms: ``licence_no``, ``name``; creditors: ``name``, ``priority``);
   ``list_hash = sha256(canonical_json(list))``.
2. A commitment is ``sha256(secret)`` (hex, lower case) of the UTF-8 secret.
3. Valid reveals are the secrets whose sha256 equals the participant's commitment; a
   commitment with no valid reveal is ignored (so nobody blocks a draw by keeping quiet).
4. ``seed = sha256(canonical_json({"algorithm", "draw", "list_hash", "public_value",
   "reveals": [[participant_ref, secret], …] sorted by participant_ref}))``; the public value is
   the record's ``public_value`` (firms) or ``context`` (in lieu).
5. Each entry's score is ``HMAC-SHA256(key=bytes.fromhex(seed), msg=str(id))``; entries are
   ordered by (score, id); the result is the first three (firms) or the whole order (in lieu).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ALGORITHM_VERSION = "gavel-draw-v1"
RANKED_COUNT = 3
SECRET_MIN_LENGTH = 16
SECRET_MAX_LENGTH = 200
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class DrawKind:
    """What differs between the draws that use this algorithm: data only, never a step."""

    #: The record's ``kind`` (a firm draw's record, older than the field, carries none).
    name: str
    #: The fields of a frozen-list entry besides ``id``.
    entry_fields: tuple[str, ...]
    #: The record field mixed into the seed as the public value.
    public_value_key: str
    #: How many places the result lists; ``None``: the whole order.
    ranked: int | None


FIRM_DRAW = DrawKind("appraisers.lot_draw", ("licence_no", "name"), "public_value", RANKED_COUNT)
IN_LIEU_DRAW = DrawKind("bidding.in_lieu_draw", ("name", "priority"), "context", None)
KINDS = {k.name: k for k in (FIRM_DRAW, IN_LIEU_DRAW)}


def kind_of(record: Mapping[str, Any]) -> DrawKind:
    """The draw kind a record names (a record without ``kind`` is a firm draw)."""
    return KINDS.get(str(record.get("kind") or ""), FIRM_DRAW)


def canonical_json(value: Any) -> bytes:
    """The byte form every hash in the draw is taken over."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def frozen_entry(*, firm_id: int, licence_no: str, name: str) -> dict[str, Any]:
    return {"id": int(firm_id), "licence_no": licence_no, "name": name}


def normalise_list(
    entries: Iterable[Mapping[str, Any]], kind: DrawKind = FIRM_DRAW
) -> list[dict[str, Any]]:
    """The frozen list in its canonical form and order (by id)."""
    return sorted(
        ({"id": int(e["id"]), **{f: e.get(f) for f in kind.entry_fields}} for e in entries),
        key=lambda e: int(e["id"]),
    )


def list_hash(entries: Iterable[Mapping[str, Any]], kind: DrawKind = FIRM_DRAW) -> str:
    return sha256_hex(canonical_json(normalise_list(entries, kind)))


def commitment_of(secret: str) -> str:
    """sha256 of the UTF-8 secret, lower-case hex: what a participant publishes first."""
    return sha256_hex(secret.encode("utf-8"))


def is_commitment(value: str) -> bool:
    """A commitment as published: 64 lower-case hex digits."""
    return bool(_HEX64.match(value))


def is_secret(secret: str) -> bool:
    """A secret of the allowed length (16–200 characters)."""
    return SECRET_MIN_LENGTH <= len(secret) <= SECRET_MAX_LENGTH


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
        "reveals": sorted(list(r) for r in reveals),
    }
    return sha256_hex(canonical_json(material))


def score(seed_hex: str, firm_id: int) -> str:
    return hmac.new(
        bytes.fromhex(seed_hex), str(int(firm_id)).encode("ascii"), hashlib.sha256
    ).hexdigest()


def ordering(seed_hex: str, firm_ids: Iterable[int]) -> list[int]:
    """Every entry of the list, ordered by its HMAC score (ties, never seen in practice, by id)."""
    return sorted((int(i) for i in firm_ids), key=lambda i: (score(seed_hex, i), i))


def rank(seed_hex: str, firm_ids: Iterable[int], count: int = RANKED_COUNT) -> list[int]:
    return ordering(seed_hex, firm_ids)[:count]


@dataclass(frozen=True)
class Outcome:
    """What a draw derives from its list and commitments (``draw``)."""

    reveals: list[list[str]]
    seed: str
    result: list[int]


def draw(
    *,
    draw_id: int,
    list_hash_hex: str,
    commitments: Iterable[Mapping[str, Any]],
    public_value: str,
    ids: Iterable[int],
    kind: DrawKind = FIRM_DRAW,
) -> Outcome:
    """Steps 3–5: the valid reveals, the seed and the result (the first ``kind.ranked`` of the
    order, or all of it)."""
    reveals = valid_reveals(commitments)
    seed = seed_of(
        draw_id=draw_id, list_hash_hex=list_hash_hex, reveals=reveals, public_value=public_value
    )
    order = ordering(seed, ids)
    return Outcome(reveals, seed, order if kind.ranked is None else order[: kind.ranked])


@dataclass(frozen=True)
class Problem:
    """One disagreement between a record and its recomputation.

    ``code``: ``algorithm_version`` (``detail``: the record's version), ``list_hash``,
    ``reveal_mismatch`` (``participant``: the commitment's ref, ``label``: its label),
    ``seed``, ``result``.
    """

    code: str
    participant: str = ""
    label: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Check:
    """A record recomputed (``check``): the problems found and what was recomputed."""

    problems: list[Problem] = field(default_factory=list)
    list_hash: str = ""
    seed: str = ""
    result: list[int] = field(default_factory=list)


def check(record: Mapping[str, Any], kind: DrawKind | None = None) -> Check:
    """Recompute a draw from its record; every disagreement found, as codes (each draw's pages
    word them in their own language)."""
    kind = kind or kind_of(record)
    problems: list[Problem] = []
    if record.get("algorithm_version") != ALGORITHM_VERSION:
        problems.append(Problem("algorithm_version", detail=repr(record.get("algorithm_version"))))
    entries = normalise_list(record.get("frozen_list") or [], kind)
    lh = sha256_hex(canonical_json(entries))
    if lh != record.get("list_hash"):
        problems.append(Problem("list_hash"))
    commitments = record.get("commitments") or []
    for c in commitments:
        secret = c.get("secret") or ""
        if secret and commitment_of(secret) != c.get("commitment"):
            problems.append(
                Problem(
                    "reveal_mismatch",
                    participant=str(c.get("participant_ref")),
                    label=str(c.get("participant_label")),
                )
            )
    out = draw(
        draw_id=int(record["draw_id"]),
        list_hash_hex=lh,
        commitments=commitments,
        public_value=str(record.get(kind.public_value_key) or ""),
        ids=[e["id"] for e in entries],
        kind=kind,
    )
    if out.seed != record.get("seed"):
        problems.append(Problem("seed"))
    if out.result != list(record.get("result") or []):
        problems.append(Problem("result"))
    return Check(problems=problems, list_hash=lh, seed=out.seed, result=out.result)


def _message(problem: Problem) -> str:
    messages = {
        "algorithm_version": f"算法版本不符：{problem.detail}",
        "list_hash": "冻结名单的哈希与记录不符",
        "reveal_mismatch": f"{problem.participant} 的揭示值与其承诺不符",
        "seed": "由记录重新计算的种子与记录不符",
        "result": "由记录重新计算的排序与公布结果不符",
    }
    return messages[problem.code]


def recompute(record: Mapping[str, Any]) -> dict[str, Any]:
    """Recompute a draw from its published record; report every disagreement found."""
    out = check(record)
    problems = [_message(p) for p in out.problems]
    return {
        "ok": not problems,
        "problems": problems,
        "seed": out.seed,
        "ranking": out.result,
        "list_hash": out.list_hash,
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
