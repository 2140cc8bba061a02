"""What the core hands back to adapters: data, never SDK calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class NoticeKind(StrEnum):
    """Why the core answered with a notice instead of a model reply."""

    HELP = "help"
    INVALID = "invalid"
    RATE_LIMITED = "rate_limited"
    OVER_BUDGET = "over_budget"
    PROVIDER_ERROR = "provider_error"
    NOT_PENDING = "not_pending"
    EXPIRED = "expired"
    WRONG_USER = "wrong_user"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the reply as the model writes it (for streaming adapters)."""

    text: str


@dataclass(frozen=True, slots=True)
class Reply:
    """The model's complete answer for this turn."""

    text: str


@dataclass(frozen=True, slots=True)
class ConfirmationRequest:
    """A destructive action waiting for the requester's Confirm or Cancel."""

    pending_id: str
    summary: str
    tool_name: str
    requester_user_id: str
    requester_name: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Notice:
    """A refusal or an error, worded for the user. ``retry_after_s`` when waiting helps."""

    kind: NoticeKind
    text: str
    retry_after_s: int | None = None
    private: bool = False  # adapters show it only to the user who caused it, where they can


@dataclass(frozen=True, slots=True)
class Resolution:
    """A pending action was decided; the adapter updates the button message.

    ``status`` is ``confirmed``, ``cancelled`` or ``expired``.
    """

    pending_id: str
    status: str
    decided_by: str
    summary: str
    result_text: str


Outcome = Reply | ConfirmationRequest | Notice | Resolution
Event = TextDelta | Outcome
