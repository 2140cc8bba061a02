"""Building providers from settings; each SDK is imported only when it is used."""

from __future__ import annotations

import importlib

from bot.config import Settings
from bot.llm.types import Provider

_MODULES = {"openai": "bot.llm.openai_provider", "anthropic": "bot.llm.anthropic_provider"}


def import_provider_module(name: str) -> None:
    """Import a provider's SDK ahead of use. It takes seconds for anthropic on a small
    machine, so callers run this in a thread rather than stall the event loop."""
    importlib.import_module(_MODULES[name])


def make_provider(name: str, settings: Settings) -> Provider:
    """The provider called ``name`` (``openai`` or ``anthropic``), configured from settings."""
    if name == "openai":
        from bot.llm.openai_provider import OpenAIProvider

        return OpenAIProvider(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    if name == "anthropic":
        from bot.llm.anthropic_provider import AnthropicProvider

        return AnthropicProvider(
            api_key=settings.anthropic_api_key,
            base_url=settings.anthropic_base_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    raise ValueError(f"unknown provider {name!r}")
