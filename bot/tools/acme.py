"""The Acme Corp sample backend, on the project's own tables.

Every query is scoped to ``ctx.customer_id``: an order id that belongs to someone else
answers exactly like one that does not exist.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, func, select, update

from bot.clock import from_db, to_db
from bot.storage.models import Customer, Order, Ticket
from bot.tools.registry import Prepared, Tool, ToolContext, ToolRegistry, ToolResult

CUSTOMERS = Customer.__table__
ORDERS = Order.__table__
TICKETS = Ticket.__table__
CANCELLABLE = ("processing", "shipped")


class NoArguments(BaseModel):
    """No arguments."""


class OrderArguments(BaseModel):
    order_id: str = Field(description="The order id, e.g. A-7F3K2Q", min_length=1, max_length=32)

    @field_validator("order_id")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return value.strip().upper()


class EscalateArguments(BaseModel):
    summary: str = Field(
        description="A short summary of the issue for the human agent",
        min_length=1,
        max_length=2000,
    )


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def _order_view(row) -> ToolResult:  # noqa: ANN001 (a result row)
    return {
        "order_id": row.id,
        "item": row.item,
        "amount": _money(row.amount_cents),
        "status": row.status,
        "ordered_on": from_db(row.created_at).date().isoformat(),
    }


def _customer(conn: Connection, customer_id: str):  # noqa: ANN202
    return conn.execute(select(CUSTOMERS).where(CUSTOMERS.c.id == customer_id)).first()


def _own_order(conn: Connection, customer_id: str, order_id: str):  # noqa: ANN202
    query = select(ORDERS).where(ORDERS.c.id == order_id, ORDERS.c.customer_id == customer_id)
    return conn.execute(query).first()


NOT_FOUND = {"error": "order not found"}
ACCOUNT_GONE = {"error": "this account has been deleted"}


async def get_account(ctx: ToolContext, _: NoArguments) -> ToolResult:
    def work(conn: Connection) -> ToolResult:
        customer = _customer(conn, ctx.customer_id)
        if customer is None or customer.deleted_at is not None:
            return ACCOUNT_GONE
        open_tickets = conn.execute(
            select(func.count()).where(
                TICKETS.c.customer_id == ctx.customer_id, TICKETS.c.status == "open"
            )
        ).scalar_one()
        return {
            "name": customer.name,
            "email": customer.email or "(none on file)",
            "plan": customer.plan,
            "member_since": from_db(customer.created_at).date().isoformat(),
            "open_tickets": open_tickets,
            "demo_account": customer.is_demo,
        }

    return await ctx.db.read(work)


async def list_orders(ctx: ToolContext, _: NoArguments) -> ToolResult:
    query = (
        select(ORDERS)
        .where(ORDERS.c.customer_id == ctx.customer_id)
        .order_by(ORDERS.c.created_at.desc())
        .limit(50)
    )
    rows = await ctx.db.read(lambda conn: conn.execute(query).all())
    return {"orders": [_order_view(row) for row in rows]}


async def get_order(ctx: ToolContext, args: OrderArguments) -> ToolResult:
    row = await ctx.db.read(lambda conn: _own_order(conn, ctx.customer_id, args.order_id))
    return NOT_FOUND if row is None else _order_view(row)


async def prepare_cancel(ctx: ToolContext, args: OrderArguments) -> Prepared:
    row = await ctx.db.read(lambda conn: _own_order(conn, ctx.customer_id, args.order_id))
    if row is None:
        return Prepared(refusal=NOT_FOUND)
    if row.status not in CANCELLABLE:
        return Prepared(
            refusal={"error": f"order {row.id} is {row.status} and cannot be cancelled"}
        )
    return Prepared(summary=f"Cancel order {row.id} ({row.item}, {_money(row.amount_cents)})")


async def cancel_order(ctx: ToolContext, args: OrderArguments) -> ToolResult:
    statement = (
        update(ORDERS)
        .where(
            ORDERS.c.id == args.order_id,
            ORDERS.c.customer_id == ctx.customer_id,
            ORDERS.c.status.in_(CANCELLABLE),
        )
        .values(status="cancelled")
    )
    changed = await ctx.db.write(lambda conn: conn.execute(statement).rowcount)
    if changed != 1:
        return {
            "error": f"order {args.order_id} could not be cancelled (not found or no longer cancellable)"
        }
    return {
        "order_id": args.order_id,
        "status": "cancelled",
        "refund": "issued to the original payment method",
    }


async def prepare_delete(ctx: ToolContext, _: NoArguments) -> Prepared:
    customer = await ctx.db.read(lambda conn: _customer(conn, ctx.customer_id))
    if customer is None or customer.deleted_at is not None:
        return Prepared(refusal=ACCOUNT_GONE)
    return Prepared(
        summary=f"Permanently delete the Acme account of {customer.name}"
        + (f" ({customer.email})" if customer.email else "")
        + " and cancel its open orders"
    )


async def delete_account(ctx: ToolContext, _: NoArguments) -> ToolResult:
    now = to_db(ctx.clock.now())

    def work(conn: Connection) -> ToolResult:
        deleted = conn.execute(
            update(CUSTOMERS)
            .where(CUSTOMERS.c.id == ctx.customer_id, CUSTOMERS.c.deleted_at.is_(None))
            .values(deleted_at=now)
        )
        if deleted.rowcount != 1:
            return ACCOUNT_GONE
        cancelled = conn.execute(
            update(ORDERS)
            .where(ORDERS.c.customer_id == ctx.customer_id, ORDERS.c.status.in_(CANCELLABLE))
            .values(status="cancelled")
        )
        return {"account": "deleted", "orders_cancelled": cancelled.rowcount}

    return await ctx.db.write(work)


async def escalate_to_human(ctx: ToolContext, args: EscalateArguments) -> ToolResult:
    insert = TICKETS.insert().values(
        customer_id=ctx.customer_id,
        conversation_id=ctx.conversation_id,
        summary=args.summary,
        status="open",
        created_at=to_db(ctx.clock.now()),
    )
    ticket = await ctx.db.write(lambda conn: conn.execute(insert).inserted_primary_key[0])
    return {
        "ticket": f"T-{ticket}",
        "status": "open",
        "next": "a human agent will reply within one business day",
    }


def acme_tools() -> ToolRegistry:
    """The demo backend's tools."""
    return ToolRegistry(
        [
            Tool(
                "get_account",
                "The customer's account: name, email, plan, member since, open tickets.",
                NoArguments,
                get_account,
            ),
            Tool("list_orders", "The customer's orders, newest first.", NoArguments, list_orders),
            Tool("get_order", "One of the customer's orders by id.", OrderArguments, get_order),
            Tool(
                "cancel_order",
                "Cancel one of the customer's orders (asks the customer to confirm first).",
                OrderArguments,
                cancel_order,
                destructive=True,
                prepare=prepare_cancel,
            ),
            Tool(
                "delete_account",
                "Permanently delete the customer's account (asks the customer to confirm first).",
                NoArguments,
                delete_account,
                destructive=True,
                prepare=prepare_delete,
            ),
            Tool(
                "escalate_to_human",
                "Open a ticket for a human agent. Use for billing disputes, refunds beyond a cancellation, and anything you cannot resolve.",
                EscalateArguments,
                escalate_to_human,
            ),
        ]
    )
