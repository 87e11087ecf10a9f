"""Core tables: courts and people, audit, calendar, deadlines, rule settings, notifications."""

from core.models.audit import AccessLog, AuditEntry, AuditStream
from core.models.calendar import CalendarDay
from core.models.deadlines import Deadline
from core.models.notifications import InboxMessage, NotificationOptOut, OutboxMessage, ServiceRecord
from core.models.onboarding import EnrolmentLink, SignupCode
from core.models.people import STAFF_ROLES, Court, Role, User
from core.models.settings import RuleSetting

__all__ = [
    "STAFF_ROLES",
    "AccessLog",
    "AuditEntry",
    "AuditStream",
    "CalendarDay",
    "Court",
    "Deadline",
    "EnrolmentLink",
    "InboxMessage",
    "NotificationOptOut",
    "OutboxMessage",
    "Role",
    "RuleSetting",
    "ServiceRecord",
    "SignupCode",
    "User",
]
