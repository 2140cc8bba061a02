"""``python -m bot <command>`` / ``supportbot <command>``."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.config import ConfigError, Settings, load_settings


def missing_credentials(settings: Settings) -> str | None:
    """What to set when the chosen provider cannot be reached at all."""
    if settings.llm_provider == "openai" and not (
        settings.openai_api_key or settings.openai_base_url
    ):
        return (
            "No model configured. Set OPENAI_API_KEY (for OpenAI), or OPENAI_BASE_URL for any "
            "OpenAI-compatible server, e.g. OPENAI_BASE_URL=http://127.0.0.1:8765/v1 with "
            "`python scripts/fake_llm.py --port 8765`. Or set LLM_PROVIDER=anthropic and ANTHROPIC_API_KEY."
        )
    if settings.llm_provider == "anthropic" and not (
        settings.anthropic_api_key or settings.anthropic_base_url
    ):
        return (
            "No model configured. Set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL for a compatible "
            "server), or LLM_PROVIDER=openai with OPENAI_API_KEY or OPENAI_BASE_URL."
        )
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supportbot",
        description="A customer-support bot for Slack, Discord and the terminal.",
    )
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.add_parser("chat", help="talk to the bot in the terminal")
    commands.add_parser("slack", help="run the Slack app (Socket Mode or HTTP on $PORT)")
    discord = commands.add_parser("discord", help="run the Discord bot")
    discord.add_argument(
        "--sync", action="store_true", help="register the application commands with Discord"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    problem = missing_credentials(settings)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if args.command == "chat":
        from adapters.console import run

        return run(settings)
    if args.command == "slack":
        from adapters.slack import run

        return run(settings)
    from adapters.discord import run

    return run(settings, sync=args.sync)
