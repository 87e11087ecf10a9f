"""Tables of the pricing app: the procedure, online inquiry, valuation models."""

from pricing.models.inquiry import (
    Inquiry,
    InquiryPlatform,
    InquiryReport,
    InquiryRequest,
    Objection,
    PlatformLateness,
    ReportDelivery,
)
from pricing.models.procedure import (
    Method,
    PricingProcedure,
    PricingStep,
    ReferencePrice,
)
from pricing.models.training import ValuationTrainingRun
from pricing.models.valuation import ValuationModel

__all__ = [
    "Inquiry",
    "InquiryPlatform",
    "InquiryReport",
    "InquiryRequest",
    "Method",
    "Objection",
    "PlatformLateness",
    "PricingProcedure",
    "PricingStep",
    "ReferencePrice",
    "ReportDelivery",
    "ValuationModel",
    "ValuationTrainingRun",
]
