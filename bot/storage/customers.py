"""Customers, their chat identities and the demo data a new chat user gets."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from bot.clock import from_db, to_db
from bot.storage.db import Database
from bot.storage.models import ChatIdentity, Customer, Order, Ticket

CUSTOMERS = Customer.__table__
IDENTITIES = ChatIdentity.__table__
ORDERS = Order.__table__
TICKETS = Ticket.__table__

DEMO_ORDERS = (
    ("Acme Cloud Backup - annual licence", 11900, "delivered", 40),
    ("Acme Rocket Skates (size 42)", 8950, "shipped", 6),
    ("Acme Anvil Pro support add-on", 2900, "processing", 1),
)


@dataclass(frozen=True, slots=True)
class CustomerView:
    """What the core knows about the customer behind a chat user."""

    id: str
    name: str
    email: str
    plan: str
    created_at: datetime
    open_tickets: int
    is_demo: bool
    deleted: bool


def new_order_id() -> str:
    """A shop-wide unique order id such as ``A-7F3K2Q`` (the primary key enforces it)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "A-" + "".join(secrets.choice(alphabet) for _ in range(6))


CUSTOMER_QUERY = (
    select(
        CUSTOMERS,
        select(func.count())
        .where(TICKETS.c.customer_id == CUSTOMERS.c.id, TICKETS.c.status == "open")
        .scalar_subquery()
        .label("open_tickets"),
    )
    .join(IDENTITIES, IDENTITIES.c.customer_id == CUSTOMERS.c.id)
    .where(IDENTITIES.c.user_key == bindparam("user_key"))
)


def customer_for_user(conn: Connection, user_key: str) -> CustomerView | None:
    """The customer linked to ``user_key``, with the count of open tickets."""
    row = conn.execute(CUSTOMER_QUERY, {"user_key": user_key}).mappings().first()
    if row is None:
        return None
    return CustomerView(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        plan=row["plan"],
        created_at=from_db(row["created_at"]),
        open_tickets=row["open_tickets"],
        is_demo=row["is_demo"],
        deleted=row["deleted_at"] is not None,
    )


class CustomerStore:
    """Finds (and, for demo use, creates) the customer behind a chat identity."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def for_user(self, user_key: str) -> CustomerView | None:
        return await self._db.read(lambda conn: customer_for_user(conn, user_key))

    async def create(
        self,
        user_key: str,
        name: str,
        now: datetime,
        *,
        plan: str = "standard",
        email: str = "",
        demo_orders: bool = False,
    ) -> CustomerView:
        """Create a customer linked to ``user_key`` (a concurrent creator wins; we reuse it)."""
        for _attempt in range(3):
            try:
                return await self._db.write(
                    lambda conn: _insert_customer(
                        conn, user_key, name, now, plan, email, demo_orders
                    )
                )
            except IntegrityError:
                found = await self.for_user(user_key)
                if found is not None:
                    return found  # another message from the same new user got there first
            # Not ours and not another's: a generated order id collided; new ids, again.
        raise RuntimeError(f"could not create a customer for {user_key}")


def _insert_customer(
    conn: Connection,
    user_key: str,
    name: str,
    now: datetime,
    plan: str,
    email: str,
    demo_orders: bool,
) -> CustomerView:
    customer_id = str(uuid.uuid4())
    created = now - timedelta(days=90) if demo_orders else now
    conn.execute(
        CUSTOMERS.insert().values(
            id=customer_id,
            name=name,
            email=email,
            plan=plan,
            created_at=to_db(created),
            is_demo=demo_orders,
        )
    )
    conn.execute(
        IDENTITIES.insert().values(user_key=user_key, customer_id=customer_id, display_name=name)
    )
    if demo_orders:
        conn.execute(
            ORDERS.insert(),
            [
                {
                    "id": new_order_id(),
                    "customer_id": customer_id,
                    "item": item,
                    "amount_cents": cents,
                    "status": status,
                    "created_at": to_db(now - timedelta(days=age)),
                }
                for item, cents, status, age in DEMO_ORDERS
            ],
        )
    return CustomerView(customer_id, name, email, plan, created, 0, demo_orders, False)
