"""The example Prometheus alerting rules of docs/operations.md, exactly as printed there, pass
``promtool check rules`` and behave as the unit tests in azsbackup_rules_test.yml say."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.fixtures.prometheus import binary

ROOT = Path(__file__).resolve().parents[2]
RULES = re.compile(r"<!-- BEGIN PROMETHEUS RULES -->\n```yaml\n(.*?)```\n<!-- END PROMETHEUS RULES -->", re.S)


def rules_from_the_docs() -> str:
    found = RULES.findall((ROOT / "docs" / "operations.md").read_text(encoding="utf-8"))
    assert len(found) == 1, "docs/operations.md must hold exactly one marked block of Prometheus rules"
    return str(found[0])


def test_the_documented_rules_pass_promtool(tmp_path: Path) -> None:
    (tmp_path / "azsbackup.rules.yml").write_text(rules_from_the_docs())
    shutil.copy(Path(__file__).with_name("azsbackup_rules_test.yml"), tmp_path / "azsbackup_rules_test.yml")
    promtool = binary("promtool")
    check = subprocess.run(
        [promtool, "check", "rules", "azsbackup.rules.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0 and "SUCCESS: 4 rules found" in check.stdout, check.stdout + check.stderr
    test = subprocess.run(
        [promtool, "test", "rules", "azsbackup_rules_test.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert test.returncode == 0 and "SUCCESS" in test.stdout, test.stdout + test.stderr
