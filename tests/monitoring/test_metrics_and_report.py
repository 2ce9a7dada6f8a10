"""Prometheus metrics parse with Prometheus' own parser; the HTML report is valid, escaped and secret-free."""

from __future__ import annotations

import json
from pathlib import Path

import html5lib
from prometheus_client.parser import text_string_to_metric_families

from tests.engine import Engine

SECRET = "R3port-S3cret-Passw0rd"
HOSTILE = '<script>alert("x")</script>'


def test_metrics_parse_and_reflect_the_catalogue(configured: Engine, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a").write_text("a")
    configured.run("component", "add", "src", "--type", "directory", "--path", str(tmp_path / "src"))
    configured.run("component", "add", "bad", "--type", "command", "--dump-command", "false")
    configured.run("backup", "start", expect=3)
    text = configured.run("metrics", json_mode=False).stdout
    families = {f.name: f for f in text_string_to_metric_families(text)}
    value = {name: fam.samples[0].value for name, fam in families.items() if len(fam.samples) == 1}
    assert value["azsbackup_backups"] == 1
    assert value["azsbackup_last_backup_status"] == 1  # PartialSucceeded
    assert value["azsbackup_last_success_timestamp_seconds"] == 0  # never fully succeeded
    severity = {s.labels["severity"]: s.value for s in families["azsbackup_active_alerts"].samples}
    assert severity == {"Critical": 0, "Warning": 1}
    per_component = {s.labels["component"]: s.value for s in families["azsbackup_last_backup_component_status"].samples}
    assert per_component == {"src": 0, "bad": 2, "controller": 0}


def test_report_is_valid_html_escapes_names_and_holds_no_secret(configured: Engine, tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    configured.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        str(share),
        "--username",
        "CONTOSO\\backup",
        input=json.dumps({"password": SECRET}),
    )
    configured.run("component", "add", "evil", "--type", "command", "--dump-command", f"echo '{HOSTILE}'")
    configured.run("backup", "start")
    configured.run(
        "component", "add", "x", "--type", "command", "--dump-command", "sh -c 'echo \"<b>boom</b>\" >&2; exit 1'"
    )
    configured.run("backup", "start", expect=3)
    out = tmp_path / "status.html"
    configured.run("report", "--html", str(out))
    page = out.read_text()

    html5lib.HTMLParser(strict=True).parse(page)  # raises on any parse error
    assert "<script>" not in page and "<b>boom</b>" not in page
    assert "&lt;b&gt;boom&lt;/b&gt;" in page  # the failure text is shown, escaped
    assert SECRET not in page
    assert "PartialSucceeded" in page and "<svg" in page and "Backup only partially completed" in page
