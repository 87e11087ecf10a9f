"""Appraisers' tables: the roster, requests and lot draws, commissions, reports, objections, fees."""

from appraisers.models.commission import (
    Commission,
    ExtensionRequest,
    Objection,
    Report,
    ReviewRequest,
)
from appraisers.models.draw import (
    AgreementSubmission,
    AppraisalRequest,
    DrawCommitment,
    DrawExclusion,
    LotDraw,
    RankedFirm,
)
from appraisers.models.fees import AppraisalFee
from appraisers.models.roster import Appraiser, Firm, FirmUser, RosterEntry

__all__ = [
    "AgreementSubmission",
    "AppraisalFee",
    "AppraisalRequest",
    "Appraiser",
    "Commission",
    "DrawCommitment",
    "DrawExclusion",
    "ExtensionRequest",
    "Firm",
    "FirmUser",
    "LotDraw",
    "Objection",
    "RankedFirm",
    "Report",
    "ReviewRequest",
    "RosterEntry",
]
