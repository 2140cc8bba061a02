"""The tables. Everything a user can see continue after a restart lives here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Customer(SQLModel, table=True):
    """A customer of the company the bot supports (the demo backend's account)."""

    id: str = Field(primary_key=True, max_length=36)
    name: str
    email: str = ""
    plan: str = "standard"
    created_at: datetime
    is_demo: bool = False
    deleted_at: datetime | None = None


class ChatIdentity(SQLModel, table=True):
    """Which customer a chat user (``platform:user_id``) is."""

    __tablename__ = "chat_identity"
    user_key: str = Field(primary_key=True, max_length=200)
    customer_id: str = Field(index=True, max_length=36)
    display_name: str = ""


class Order(SQLModel, table=True):
    """An order in the demo shop. Ids are unique across customers."""

    __tablename__ = "orders"
    id: str = Field(primary_key=True, max_length=32)
    customer_id: str = Field(index=True, max_length=36)
    item: str
    amount_cents: int
    status: str = "processing"
    created_at: datetime


class Conversation(SQLModel, table=True):
    """One platform/workspace/channel/thread."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    platform: str
    created_at: datetime


class Message(SQLModel, table=True):
    """One message in a conversation, in the provider-neutral shape the core uses.

    ``role`` is user, assistant or tool; an assistant message may carry ``tool_calls``
    (JSON list of {id, name, arguments}); a tool message answers ``tool_call_id``.
    ``user_key`` is the user whose turn produced it: in a shared channel or thread each
    user's history (with their account data) is shown to the model only in their turns.
    """

    __table_args__ = (
        Index("ix_message_conversation_user_id", "conversation_id", "user_key", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int
    role: str
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    tool_calls: str | None = Field(default=None, sa_column=Column(Text))
    tool_call_id: str | None = None
    user_key: str = Field(max_length=200)
    created_at: datetime


class PendingAction(SQLModel, table=True):
    """A destructive tool call waiting for its requester's decision."""

    __tablename__ = "pending_action"
    id: str = Field(primary_key=True, max_length=64)
    conversation_id: int = Field(index=True)
    tool_message_id: int  # the placeholder tool result that the decision replaces
    tool_call_id: str
    tool_name: str
    arguments: str = Field(sa_column=Column(Text, nullable=False))
    arguments_hash: str
    summary: str = Field(sa_column=Column(Text, nullable=False))
    requester: str  # user_key
    requester_name: str = ""
    customer_id: str
    status: str = "pending"  # pending | confirmed | cancelled | expired | done | failed
    created_at: datetime
    expires_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    result: str | None = Field(default=None, sa_column=Column(Text))


class UsageRecord(SQLModel, table=True):
    """One model call: tokens and what it cost (``cost_micros`` is None when unknown)."""

    __tablename__ = "usage_record"
    __table_args__ = (Index("ix_usage_record_created_at", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    day: str = Field(max_length=10)  # UTC date, YYYY-MM-DD: the report's per-day key
    user_key: str = Field(index=True)
    conversation_id: int | None = None
    provider: str
    model: str
    endpoint: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    total_tokens: int
    cost_micros: int | None = Field(default=None, sa_column=Column(BigInteger))
    duration_ms: int


class SpendCounter(SQLModel, table=True):
    """Running totals for the spend guards: one row per scope and period."""

    __tablename__ = "spend_counter"
    scope: str = Field(primary_key=True, max_length=200)  # "user:slack:U1" or "global"
    period: str = Field(primary_key=True, max_length=10)  # "2026-12-04" or "2026-12"
    tokens: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    cost_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class ProcessedEvent(SQLModel, table=True):
    """A platform event already handled; a retry of it is dropped."""

    __tablename__ = "processed_event"
    platform: str = Field(primary_key=True, max_length=32)
    event_id: str = Field(primary_key=True, max_length=200)
    created_at: datetime


class Ticket(SQLModel, table=True):
    """A hand-off to a human (billing disputes and anything the bot should not decide)."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(index=True)
    conversation_id: int | None = None
    summary: str = Field(sa_column=Column(Text, nullable=False))
    status: str = "open"
    created_at: datetime


class AuditEntry(SQLModel, table=True):
    """What happened to a destructive action: who asked, who decided, with what result."""

    __tablename__ = "audit_entry"
    __table_args__ = (UniqueConstraint("pending_id", "event"),)
    id: int | None = Field(default=None, primary_key=True)
    pending_id: str = Field(index=True)
    event: str  # requested | confirmed | cancelled | expired | executed | failed
    tool_name: str
    arguments: str = Field(sa_column=Column(Text, nullable=False))
    requested_by: str
    decided_by: str | None = None
    result: str | None = Field(default=None, sa_column=Column(Text))
    requested_at: datetime
    at: datetime
