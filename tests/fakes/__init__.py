"""Loopback fakes of the platforms the bot talks to."""

import pytest

# The modules here are also pytest plugins (fixtures); let pytest rewrite their asserts.
pytest.register_assert_rewrite("fakes.slack_api", "fakes.slack_harness")
