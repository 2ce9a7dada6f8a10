#!/usr/bin/env python3
"""Regenerate the generated sections of the docs from the code (``--check`` only compares)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from azsbackup.errors import error_table_markdown, exit_code_table_markdown  # noqa: E402
from azsbackup.monitoring.alerts import catalogue_markdown  # noqa: E402
from azsbackup.pwsh import module_data  # noqa: E402

SECTIONS = {
    ("docs/json-api.md", "errors"): error_table_markdown,
    ("docs/json-api.md", "exit-codes"): exit_code_table_markdown,
    ("docs/operations.md", "alerts"): catalogue_markdown,
    ("docs/powershell.md", "powershell-objects"): module_data.objects_markdown,
    ("docs/powershell.md", "powershell-errors"): module_data.errors_markdown,
}


FILES = {
    f"psmodule/AzsBackup/{module_data.FILE_NAME}": module_data.render,
}
"""Files generated whole."""


def regenerate(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- BEGIN GENERATED: {name} -->\n).*?(<!-- END GENERATED: {name} -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"no generated section {name!r}")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for (doc, name), render in SECTIONS.items():
        path = ROOT / doc
        text = path.read_text(encoding="utf-8")
        new = regenerate(text, name, render())
        if new != text:
            stale.append(f"{doc}#{name}")
            if not check:
                path.write_text(new, encoding="utf-8")
    for name, render_file in FILES.items():
        path = ROOT / name
        new = render_file()
        if not path.exists() or path.read_text(encoding="utf-8") != new:
            stale.append(name)
            if not check:
                path.write_text(new, encoding="utf-8")
    if check and stale:
        print("stale generated sections: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
