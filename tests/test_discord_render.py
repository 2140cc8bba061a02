"""Splitting answers at Discord's 2,000 characters, and streaming them by editing."""

from __future__ import annotations

import asyncio

import pytest

from adapters.discord.live import LiveReply
from adapters.discord.render import LIMIT, split_message

from fakes.discord_harness import connected, discord_settings
from fakes.discord_payloads import HELP_CHANNEL_ID
from fakes.discord_server import FakeDiscord

POSTS = f"/channels/{HELP_CHANNEL_ID}/messages"


def test_short_text_is_one_message_and_blank_text_none():
    assert split_message("  hello  ") == ["hello"]
    assert split_message(" \n ") == []
    assert split_message("x" * LIMIT) == ["x" * LIMIT]


def test_split_prefers_paragraphs_then_lines_then_sentences_then_words():
    paragraph = "word " * 300  # 1,500 characters
    assert split_message(f"{paragraph}\n\n{paragraph}")[0] == paragraph.strip()
    lines = "\n".join(["a line of text that goes on"] * 100)
    first = split_message(lines)[0]
    assert first.endswith("goes on") and len(first) <= LIMIT
    sentences = "This is a sentence. " * 150
    assert split_message(sentences)[0].endswith("sentence.")
    words = "lorem ipsum " * 250
    assert all(chunk.split() and len(chunk) <= LIMIT for chunk in split_message(words))
    assert " ".join(split_message(words)) == words.strip()


def test_text_without_spaces_is_cut_hard_and_nothing_is_lost():
    text = "x" * 4500
    chunks = split_message(text)
    assert [len(c) for c in chunks] == [1996, 1996, 508] and "".join(chunks) == text


def test_a_code_block_cut_in_two_is_closed_and_reopened():
    code = "\n".join(f"print({i})" for i in range(400))
    chunks = split_message(f"Here you go:\n```python\n{code}\n```\nDone.")
    assert len(chunks) >= 2 and all(len(chunk) <= LIMIT for chunk in chunks)
    assert chunks[0].endswith("\n```") and chunks[1].startswith("```python\n")
    assert all(chunk.count("```") % 2 == 0 for chunk in chunks)
    assert chunks[-1].endswith("```\nDone.")


def test_the_first_message_stops_changing_once_the_text_is_past_the_limit():
    text = "Some words to fill the message with. " * 120
    firsts = {split_message(text[:end])[0] for end in range(2100, len(text), 97)}
    assert len(firsts) == 1


@pytest.fixture
async def channel(make_bot, sqlite_url):  # noqa: ANN201
    async with FakeDiscord() as fake:
        bot = await make_bot(sqlite_url, **discord_settings(fake))
        async with connected(fake, bot) as client:
            yield fake, client.get_channel(int(HELP_CHANNEL_ID))


async def test_updates_within_the_interval_become_one_final_edit(channel):
    fake, where = channel
    live = LiveReply(where, interval=30.0)
    for count in range(1, 21):
        live.show("word " * count)
        await asyncio.sleep(0)
    await fake.wait_for("POST", POSTS)
    await live.close()  # the final text goes out at once, without waiting 30 s
    assert len(fake.find("POST", POSTS)) == 1
    [edit] = fake.find("PATCH", POSTS)
    assert edit.body["content"] == ("word " * 20).strip()


async def test_text_keeps_arriving_as_edits_while_it_streams(channel):
    fake, where = channel
    live = LiveReply(where, interval=0.05)
    live.show("Hello")
    await fake.wait_for("POST", POSTS)
    live.show("Hello there")
    await fake.wait_for("PATCH", POSTS)  # edited before the answer is finished
    live.show("Hello there, " + "more text. " * 200)  # now past 2,000 characters
    await live.close()
    messages = fake.channel_messages(HELP_CHANNEL_ID)
    assert len(messages) == 2 and all(len(m["content"]) <= LIMIT for m in messages)
    assert messages[0]["content"].startswith("Hello there, more text.")
