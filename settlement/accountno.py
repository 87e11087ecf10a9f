"""Virtual sub-account numbers under a court's master account (一案一账号, FND-02).

Format: ``<master account> <case id, 10 digits> <sub-account, 2 digits> <check, 2 digits>``.
The check digits follow ISO 7064 MOD 97-10 (the IBAN scheme): the whole number, read as an
integer (letters A–Z as 10–35), is congruent to 1 modulo 97. A bank can validate a number
quoted on a transfer without asking us; one wrong or swapped digit is always caught.
Sub-account 00 is the case's own account; 01–99 are per-payer numbers when
``account_granularity = per_person_per_case``. Case id 0 is reserved for the court's
auction account (AUC-30).
"""

from __future__ import annotations

import re

from stdnum.iso7064 import mod_97_10


def _alnum(text: str) -> str:
    if not text.isascii() or not text.isalnum():
        raise ValueError(f"account numbers hold digits and letters only: {text!r}")
    return text.upper()


def clean_master(master_account_no: str) -> str:
    return "".join(ch for ch in master_account_no if ch not in " -")


def check_digits(body: str) -> str:
    """ISO 7064 MOD 97-10 check digits for ``body`` (appended at the end)."""
    return str(mod_97_10.calc_check_digits(_alnum(body)))


def is_valid(account_no: str) -> bool:
    try:
        return len(account_no) > 2 and bool(mod_97_10.is_valid(_alnum(clean_master(account_no))))
    except ValueError:
        return False


def virtual_account_no(master_account_no: str, case_id: int, sub: int = 0) -> str:
    if not 0 <= sub <= 99:
        raise ValueError("sub-account 0..99")
    if case_id < 0 or case_id >= 10**10:
        raise ValueError("case id out of range")
    body = f"{clean_master(master_account_no)}{case_id:010d}{sub:02d}"
    return body + check_digits(body)


def auction_account_no(master_account_no: str) -> str:
    return virtual_account_no(master_account_no, 0, 0)


def split(account_no: str, master_account_no: str) -> tuple[int, int] | None:
    """(case id, sub-account) of a valid virtual number under ``master``, else None."""
    master = clean_master(master_account_no)
    number = clean_master(account_no)
    if not number.startswith(master) or len(number) != len(master) + 14 or not is_valid(number):
        return None
    tail = number[len(master) :]
    return int(tail[:10]), int(tail[10:12])


# ---- payment references (尾款付款参考号, AUC-31) ---------------------------------------------

#: ``WK`` (尾款) + the balance's number, 8 digits + 2 ISO 7064 MOD 97-10 check digits.
PAYMENT_REFERENCE_PREFIX = "WK"
_PAYMENT_REFERENCE = re.compile(r"W\s*K[\s-]*((?:\d[\s-]?){9}\d)", re.IGNORECASE)


def payment_reference(number: int) -> str:
    """The reference a buyer quotes on a transfer of the balance numbered ``number``."""
    if number <= 0 or number >= 10**8:
        raise ValueError("balance number out of range")
    body = f"{PAYMENT_REFERENCE_PREFIX}{number:08d}"
    return body + check_digits(body)


def payment_references_in(text: str) -> list[str]:
    """Every well-formed reference with valid check digits quoted in ``text`` (a memo), in
    order, normalised (``wk 0000 0012-34`` → ``WK0000001234``); a mistyped one is skipped."""
    found: list[str] = []
    for m in _PAYMENT_REFERENCE.finditer(text or ""):
        ref = PAYMENT_REFERENCE_PREFIX + re.sub(r"[\s-]", "", m.group(1))
        if is_valid(ref) and ref not in found:
            found.append(ref)
    return found
