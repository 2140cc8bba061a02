"""The system prompt: the company's rules, today's date and the customer's context."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.storage.customers import CustomerView

DEFAULT_COMPANY_FILE = Path(__file__).parent / "prompts" / "company.toml"


@dataclass(frozen=True, slots=True)
class Company:
    """The editable description of who the bot works for."""

    name: str
    description: str
    products: tuple[str, ...]
    support_hours: str
    rules: tuple[str, ...]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Company:
        data = tomllib.loads(Path(path or DEFAULT_COMPANY_FILE).read_text(encoding="utf-8"))
        name = data["name"]
        return cls(
            name=name,
            description=data.get("description", "a company"),
            products=tuple(data.get("products", ())),
            support_hours=data.get("support_hours", ""),
            rules=tuple(rule.replace("{company}", name) for rule in data.get("rules", ())),
        )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def quoted(value: str, limit: int = 64) -> str:
    """A user-supplied value (a chat display name) fit for the system prompt: one line,
    short, in quotes, so it reads as data and cannot pose as an instruction."""
    cleaned = _CONTROL.sub(" ", value).replace('"', "'").strip()[:limit]
    return f'"{cleaned or "unknown"}"'


def customer_context(customer: CustomerView | None, display_name: str) -> str:
    """The dynamic part: who the assistant is talking to."""
    if customer is None:
        return f"The user is {quoted(display_name)}; no customer account is linked to them."
    if customer.deleted:
        return f"The user is {quoted(customer.name)}; their account has been deleted."
    lines = [
        f"- Name: {quoted(customer.name)}",
        f"- Plan: {customer.plan}",
        f"- Customer since: {customer.created_at.date().isoformat()}",
        f"- Open support tickets: {customer.open_tickets}",
    ]
    if customer.is_demo:
        lines.append("- This is a demo account with sample orders.")
    return (
        "The current customer:\n"
        + "\n".join(lines)
        + "\nUse the tools to look up their orders and account details."
    )


def build_system_prompt(
    company: Company, customer: CustomerView | None, display_name: str, today: date
) -> str:
    """The full system prompt for one turn."""
    rules = "\n".join(f"{number}. {rule}" for number, rule in enumerate(company.rules, 1))
    products = ", ".join(company.products)
    hours = f" Human support hours: {company.support_hours}." if company.support_hours else ""
    return (
        f"You are the customer support assistant of {company.name}, {company.description}. "
        f"You help customers troubleshoot {company.name}'s products ({products}), "
        f"look up their orders and account through your tools, and hand billing disputes to a human.{hours}\n\n"
        f"Rules:\n{rules}\n\n"
        f"Today's date is {today.isoformat()}.\n\n"
        f"{customer_context(customer, display_name)}"
    )
