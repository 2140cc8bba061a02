"""The bot's settings: read once from the environment (and an optional ``.env``), frozen."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Provider = Literal["openai", "anthropic"]

DEFAULT_MODELS: dict[str, tuple[str, str]] = {
    # provider: (default tier, premium tier)
    "openai": ("gpt-4o-mini", "gpt-4o"),
    "anthropic": ("claude-haiku-4-5", "claude-sonnet-4-6"),
}


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment, validated at start-up."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    database_url: str = "sqlite+aiosqlite:///./supportbot.db"

    llm_provider: Provider = "openai"
    llm_model: str | None = None
    llm_premium_model: str | None = None
    llm_fallback_provider: Provider | None = None
    llm_fallback_model: str | None = None
    llm_timeout_s: float = Field(30.0, gt=0)
    llm_max_retries: int = Field(2, ge=0, le=10)
    llm_max_tool_rounds: int = Field(5, ge=1, le=20)
    llm_max_output_tokens: int = Field(1024, ge=16)

    openai_api_key: str | None = None
    openai_base_url: str | None = None
    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None

    bot_admins: Annotated[frozenset[str], NoDecode] = frozenset()
    # Guilds whose Manage Server members count as admins; anyone can invite a public bot to
    # a server of their own, so Manage Server elsewhere must not open the usage report.
    discord_admin_guilds: Annotated[frozenset[str], NoDecode] = frozenset()
    premium_plans: Annotated[frozenset[str], NoDecode] = frozenset({"premium", "enterprise"})

    rate_limit_per_minute: int = Field(10, ge=1)
    premium_rate_limit_per_minute: int = Field(3, ge=1)
    daily_token_cap_per_user: int = Field(200_000, ge=0)  # 0 = no cap
    monthly_cost_cap_usd: Decimal = Field(Decimal("100"), ge=0)  # 0 = no cap
    # Per-model price overrides, USD per 1M tokens: "model=input/output,model2=in/out".
    llm_price_overrides: Annotated[dict[str, tuple[Decimal, Decimal]], NoDecode] = {}

    pending_action_ttl_s: int = Field(600, ge=10)
    demo_data: bool = True
    company_file: str | None = None  # path to a TOML that replaces bot/prompts/company.toml

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    port: int = Field(3000, ge=1, le=65535)

    discord_bot_token: str | None = None
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None

    @field_validator("bot_admins", "premium_plans", "discord_admin_guilds", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("bot_admins")
    @classmethod
    def _admin_shape(cls, value: frozenset[str]) -> frozenset[str]:
        for item in value:
            platform, _, user = item.partition(":")
            if not platform or not user:
                raise ValueError(f"{item!r} is not platform:user_id (e.g. slack:U0123)")
        return value

    @field_validator("llm_price_overrides", mode="before")
    @classmethod
    def _prices(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        prices: dict[str, tuple[Decimal, Decimal]] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            model, _, pair = item.partition("=")
            input_price, _, output_price = pair.partition("/")
            try:
                prices[model.strip()] = (Decimal(input_price), Decimal(output_price))
            except ArithmeticError as exc:
                raise ValueError(f"{item!r} is not model=input/output (USD per 1M tokens)") from exc
        return prices

    @field_validator("company_file")
    @classmethod
    def _company_file(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            data = tomllib.loads(Path(value).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"cannot read {value}: {exc}") from None
        if not isinstance(data.get("name"), str):
            raise ValueError(f'{value} has no name = "..." line')
        return value

    def model_for(self, provider: str, premium: bool) -> str:
        """The model name used for ``provider`` at the given tier."""
        default, premium_default = DEFAULT_MODELS[provider]
        if provider == self.llm_provider:
            chosen = self.llm_premium_model if premium else self.llm_model
            return chosen or (premium_default if premium else default)
        if provider == self.llm_fallback_provider and self.llm_fallback_model:
            return self.llm_fallback_model
        return premium_default if premium else default

    def is_admin(self, platform: str, user_id: str) -> bool:
        """Whether ``platform:user_id`` is listed in ``BOT_ADMINS``."""
        return f"{platform}:{user_id}" in self.bot_admins


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; a bad value raises :class:`ConfigError` naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "_".join(str(part) for part in error["loc"]).upper() or "settings"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigError("Invalid configuration: " + "; ".join(problems)) from None
