"""``/usage`` on Slack: an ephemeral Block Kit report for admins, a refusal for others."""

from __future__ import annotations

from fake_llm import Say
from fakes.slack_api import fixture, message_text
from fakes.slack_harness import mention_payload

pytest_plugins = ("fakes.slack_harness",)  # the fake_slack and slack fixtures


ADMIN, ADA, OWNER = "U0ADMIN01", "U0ADA0001", "U0OWNER01"


async def usage(app, fake_slack, user: str, text: str = "") -> dict:  # noqa: ANN001
    """Run ``/usage <text>`` as ``user``; returns what was sent to the response_url."""
    fields = fixture("slash_usage")
    fields.update(user_id=user, text=text, response_url=fake_slack.response_url(user))
    status, body = await app.sender.command(fields)
    assert status == 200 and body == ""  # acked at once; the report follows
    await app.settle()
    [answer] = [c for c in fake_slack.calls_to("response_url") if c.args["key"] == user][-1:]
    assert answer.args["response_type"] == "ephemeral"
    return answer.args


async def some_usage(app, fake_slack, fake_llm) -> None:  # noqa: ANN001
    fake_llm.push(Say("Hello Ada."))
    await app.sender.event(mention_payload("hello"))
    await app.settle()


async def test_admin_gets_the_report(slack, fake_slack, fake_llm):
    app = await slack(bot_admins=f"slack:{ADMIN}")
    await some_usage(app, fake_slack, fake_llm)
    report = await usage(app, fake_slack, ADMIN)
    text = message_text(report)
    assert report["blocks"][0]["text"]["text"] == "Usage · last 30 days"
    assert "*Requests*\n1" in text and "gpt-4o-mini" in text
    assert f"<@{ADA}>" in text  # top users as mentions
    trend = next(
        b for b in report["blocks"] if "Requests per day" in b.get("text", {}).get("text", "")
    )
    sparkline = trend["text"]["text"].split("`")[1]
    assert len(sparkline) == 31 and sparkline[-1] == "█"  # 30 days back to today, today busiest


async def test_workspace_owner_is_an_admin_too(slack, fake_slack, fake_llm):
    fake_slack.add_user(OWNER, "Olive", is_owner=True)
    app = await slack()
    report = await usage(app, fake_slack, OWNER, "today")
    assert report["blocks"][0]["text"]["text"] == "Usage · today"
    assert "No model calls in this period." in message_text(report)
    assert [c.args["user"] for c in fake_slack.calls_to("users.info")] == [OWNER]


async def test_anyone_else_is_refused(slack, fake_slack, fake_llm):
    app = await slack(bot_admins=f"slack:{ADMIN}")
    await some_usage(app, fake_slack, fake_llm)
    answer = await usage(app, fake_slack, ADA)
    assert "only admins" in answer["text"]
    assert "Requests" not in message_text(answer)


async def test_period_and_user_narrow_the_report(slack, fake_slack, fake_llm):
    app = await slack(bot_admins=f"slack:{ADMIN}")
    await some_usage(app, fake_slack, fake_llm)
    report = await usage(app, fake_slack, ADMIN, f"7d <@{ADA}|ada>")
    assert report["blocks"][0]["text"]["text"] == "Usage · last 7 days"
    assert f"Only calls made for <@{ADA}>" in message_text(
        report
    ) and "*Requests*\n1" in message_text(report)
    nobody = await usage(app, fake_slack, ADMIN, "7d <@U0NOBODY1>")
    assert "*Requests*\n0" in message_text(nobody)


async def test_unreadable_arguments_get_a_hint(slack, fake_slack):
    app = await slack(bot_admins=f"slack:{ADMIN}")
    assert "I don't understand 'banana'" in (await usage(app, fake_slack, ADMIN, "banana"))["text"]
    assert "couldn't tell who @bob is" in (await usage(app, fake_slack, ADMIN, "@bob"))["text"]
