"""`newswatch alerts test|list|deliver|retry` against real local receivers."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from alerts import events, outbox
from newswatch.cli import main
from newswatch.config import load_config
from newswatch.demo.receivers import Reply, SmtpSink, WebhookReceiver, alerts_toml, free_port
from newswatch.storage import Storage


@pytest.fixture
def receivers():
    with SmtpSink() as smtp, WebhookReceiver(secret="s3cret") as hook:
        yield smtp, hook


def write(tmp_path: Path, alerts: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndatabase = "nw.db"\n\n[alerts]\nbackoff = "50ms"\n\n{alerts}', encoding="utf-8")
    return str(path)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_alerts_test_reaches_every_channel(tmp_path, receivers, monkeypatch):
    smtp, hook = receivers
    monkeypatch.setenv("NW_TEST_SECRET", "s3cret")
    config = write(tmp_path, alerts_toml(smtp, hook, secret_env="NW_TEST_SECRET"))
    result = run("alerts", "test", "--config", config)
    assert result.exit_code == 0, result.output
    assert "email: ok: accepted by 127.0.0.1" in result.output and "webhook: ok: HTTP 200" in result.output
    [mail] = smtp.wait_for(1)
    assert mail["Subject"].strip() == "[newswatch] test: Test alert from newswatch"
    [request] = hook.requests
    assert request.json["event"] == "test" and hook.verify(request)

    assert run("alerts", "test", "--config", config, "--channel", "webhook").exit_code == 0
    assert len(hook.requests) == 2 and len(smtp.messages) == 1
    unknown = run("alerts", "test", "--config", config, "--channel", "pager")
    assert unknown.exit_code == 2 and "no alert channel named 'pager' (channels: email, webhook)" in unknown.output


@pytest.mark.parametrize(
    "channel, expected",
    [
        ('[[alerts.webhook]]\nname = "ops"\nurl = "http://127.0.0.1:{port}/hook"\n', "connection refused by http://127.0.0.1:{port}"),
        ('[[alerts.webhook]]\nname = "ops"\nurl = "http://hooks.nonexistent.invalid/x"\n', "cannot resolve host hooks.nonexistent.invalid"),
    ],
)
def test_alerts_test_names_network_failures(tmp_path, channel, expected):
    port = free_port()
    result = run("alerts", "test", "--config", write(tmp_path, channel.format(port=port)))
    assert result.exit_code == 1 and f"ops: FAILED: {expected.format(port=port)}" in result.output


def test_alerts_test_names_http_tls_and_auth_failures(tmp_path, monkeypatch):
    monkeypatch.setenv("NW_TEST_PASSWORD", "wrong")
    with SmtpSink(users={"alerts": "right"}) as smtp, WebhookReceiver(replies=[Reply(403, body=b"token revoked")]) as hook:
        plain = f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nfrom = "a@newswatch.test"\nto = ["b@newswatch.test"]\n'
        config = write(
            tmp_path,
            f'[[alerts.email]]\nname = "tls"\nsecurity = "tls"\n{plain}\n'
            f'[[alerts.email]]\nname = "auth"\nsecurity = "none"\nusername = "alerts"\npassword_env = "NW_TEST_PASSWORD"\n{plain}\n'
            f'[[alerts.webhook]]\nname = "ops"\nurl = "{hook.url}"\n',
        )
        result = run("alerts", "test", "--config", config)
    assert result.exit_code == 1
    lines = dict(line.split(": FAILED: ", 1) for line in result.output.splitlines())
    assert lines["tls"].startswith(f"TLS failed with 127.0.0.1:{smtp.port}")
    assert lines["auth"].startswith(f"authentication as alerts failed at 127.0.0.1:{smtp.port}: 535")
    assert lines["ops"] == f"HTTP 403 Forbidden from http://127.0.0.1:{hook.port}: token revoked"
    assert "wrong" not in result.output


def test_list_deliver_and_retry(tmp_path):
    with WebhookReceiver(replies=[401]) as hook:
        config_path = write(tmp_path, f'[[alerts.webhook]]\nname = "ops"\nurl = "{hook.url}"\n')
        config = load_config(config_path)
        storage = Storage(config.storage.database)
        alert = events.source_failing("wire", 3, "HTTP 503", at=datetime(2024, 11, 5, tzinfo=timezone.utc))
        outbox.enqueue(storage.db, alert, config.alerts)
        storage.close()

        listed = run("alerts", "list", "--config", config_path, "--status", "pending")
        assert alert.id[:12] in listed.output and "Source wire is failing" in listed.output

        delivered = run("alerts", "deliver", "--config", config_path)
        assert delivered.exit_code == 1 and "sent 0, retrying later 0, failed 1" in delivered.output
        failed = run("alerts", "list", "--config", config_path, "--status", "failed")
        assert "failed" in failed.output and "HTTP 401 Unauthorized" in failed.output
        assert "no alerts with status pending" in run("alerts", "list", "--config", config_path, "--status", "pending").output

        retried = run("alerts", "retry", "--config", config_path)
        assert retried.exit_code == 0 and "re-queued 1 failed delivery" in retried.output and "sent 1" in retried.output
        assert [r.status for r in hook.requests] == [401, 200]
        assert "re-queued 0" in run("alerts", "retry", "--config", config_path).output


def test_missing_secret_stops_the_command_before_anything_runs(tmp_path):
    config = write(tmp_path, '[[alerts.webhook]]\nname = "ops"\nurl = "https://h.example.org/"\nsecret_env = "NW_TEST_NOT_SET"\n')
    env = {k: v for k, v in os.environ.items() if k != "NW_TEST_NOT_SET"}
    result = subprocess.run(
        [sys.executable, "-m", "newswatch", "alerts", "list", "--config", config], capture_output=True, text=True, env=env
    )
    assert result.returncode == 2
    assert "config error" in result.stderr and "alerts.webhook[1] (ops).secret_env" in result.stderr
    assert "NW_TEST_NOT_SET is not set" in result.stderr
    assert not (tmp_path / "nw.db").exists()
