"""Slack bot: signed Events API / slash-command / interaction requests answered in Block Kit."""
