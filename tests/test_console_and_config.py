"""The terminal adapter through the real entry point, and start-up configuration."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

from fake_llm import Call, Say

ROOT = Path(__file__).resolve().parents[1]


async def run_chat(stdin: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "chat",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(cwd), **env},
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    return process.returncode, out.decode(), err.decode()


async def test_chat_cancel_flow_and_usage(fake_llm, tmp_path):
    env = {
        "OPENAI_BASE_URL": fake_llm.openai_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        "USER": "tester",
    }
    code, out, err = await run_chat("show my orders\n", env, tmp_path)
    assert code == 0, err
    assert "Acme Corp support" in out and "Here is what I found" in out
    order = re.search(
        r'"order_id": "(A-\w+)", "item": "[^"]+", "amount": "[^"]+", "status": "processing"', out
    ).group(1)

    fake_llm.push(Call([("cancel_order", {"order_id": order})]), Say("Your order is cancelled."))
    code, out, err = await run_chat(f"cancel {order}\ny\n/usage 7d\n", env, tmp_path)
    assert code == 0, err
    assert f"Confirm: Cancel order {order}" in out and "[y/n]" in out
    assert "[confirmed:" in out and "Your order is cancelled." in out
    assert "Usage, last 7 days:" in out and "gpt-4o-mini" in out


async def test_chat_says_what_to_set_without_a_model(tmp_path):
    code, _, err = await run_chat("hi\n", {}, tmp_path)
    assert code == 2
    assert "OPENAI_API_KEY" in err and "OPENAI_BASE_URL" in err


async def test_invalid_setting_names_the_variable(tmp_path):
    code, _, err = await run_chat("", {"LLM_TIMEOUT_S": "soon", "OPENAI_API_KEY": "x"}, tmp_path)
    assert code == 2 and "LLM_TIMEOUT_S" in err


def test_settings_are_frozen_and_validated():
    settings = load_settings(_env_file=None, bot_admins="slack:U1, discord:42")
    assert settings.is_admin("discord", "42") and not settings.is_admin("slack", "U2")
    with pytest.raises(Exception):  # noqa: B017 (pydantic's frozen error type varies)
        settings.llm_timeout_s = 1  # type: ignore[misc]
    with pytest.raises(ConfigError, match="BOT_ADMINS"):
        load_settings(_env_file=None, bot_admins="nocolon")
    with pytest.raises(ConfigError, match="LLM_PROVIDER"):
        load_settings(_env_file=None, llm_provider="gemini")
    assert load_settings(_env_file=None).database_url == "sqlite+aiosqlite:///./supportbot.db"
    assert load_settings(_env_file=None).llm_timeout_s == 30


async def test_help_lists_the_commands(tmp_path):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--help",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    for command in ("chat", "slack", "discord"):
        assert command in out.decode()


def test_company_file_is_checked_at_start_up(tmp_path):
    with pytest.raises(ConfigError, match="COMPANY_FILE"):
        load_settings(_env_file=None, company_file=str(tmp_path / "missing.toml"))
    nameless = tmp_path / "company.toml"
    nameless.write_text('description = "x"\n')
    with pytest.raises(ConfigError, match="COMPANY_FILE"):
        load_settings(_env_file=None, company_file=str(nameless))
    good = tmp_path / "good.toml"
    good.write_text('name = "Globex"\nrules = ["Be kind to {company} customers."]\n')
    assert load_settings(_env_file=None, company_file=str(good)).company_file == str(good)
