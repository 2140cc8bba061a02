"""The Discord adapter (discord.py): ``run(settings, sync)`` is ``python -m bot discord``."""

from adapters.discord.app import run, serve
from adapters.discord.client import SupportClient

__all__ = ["SupportClient", "run", "serve"]
