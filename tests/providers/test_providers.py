"""Provider behaviour that the end-to-end tests do not reach: globs, warnings, secrets kept from children."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from azsbackup.errors import CommandFailed, InvalidValue, SourceMissing
from azsbackup.items import Item, Readable
from azsbackup.providers.base import ProviderContext
from azsbackup.providers.command import CommandProvider
from azsbackup.providers.directory import SMALL_FILE, DirectoryProvider


class ListSink:
    """An ItemSink that keeps everything in memory (small test trees only)."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[Item, bytes | None]] = {}

    def add(self, item: Item, content: Readable | None = None) -> None:
        data = None
        if content is not None:
            parts, left = [], item.size
            while left and (chunk := content.read(left)):
                parts.append(chunk)
                left -= len(chunk)
            data = b"".join(parts)
        self.items[item.name] = (item, data)


def back_up(provider: DirectoryProvider | CommandProvider) -> tuple[ListSink, ProviderContext]:
    sink, ctx = ListSink(), ProviderContext("test")
    provider.backup(sink, ctx)
    return sink, ctx


def test_include_and_exclude_globs(tmp_path: Path) -> None:
    for name in ("etc/a.conf", "etc/b.tmp", "var/log/x.log", "var/cache/big.bin"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    provider = DirectoryProvider.from_settings(
        "t", {"path": str(tmp_path), "include": ["*.conf", "*.log"], "exclude": ["*.tmp", "var/cache"]}
    )
    sink, _ = back_up(provider)
    files = {n for n, (item, _) in sink.items.items() if item.kind == "file"}
    assert files == {"etc/a.conf", "var/log/x.log"}
    assert "var/cache" not in sink.items and "var/cache/big.bin" not in sink.items


def test_outward_links_and_special_files_are_skipped_with_warnings(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("ok")
    (tmp_path / "inside").symlink_to("ok.txt")
    (tmp_path / "outside").symlink_to("/etc/passwd")
    (tmp_path / "climb").symlink_to("../../x")
    os.mkfifo(tmp_path / "pipe")
    sink, ctx = back_up(DirectoryProvider.from_settings("t", {"path": str(tmp_path)}))
    assert set(sink.items) == {"ok.txt", "inside"}
    codes = sorted((w.code, w.subject) for w in ctx.warnings)
    assert codes == [("link-outside", "climb"), ("link-outside", "outside"), ("special-file", "pipe")]


@pytest.mark.parametrize("size", [1000, SMALL_FILE, SMALL_FILE + 1, 3 * SMALL_FILE])  # read whole, or streamed
@pytest.mark.parametrize("new_size", [10, "grown"])
def test_a_file_that_changes_while_read_is_reported(tmp_path: Path, size: int, new_size: int | str) -> None:
    path = tmp_path / "growing.log"
    path.write_bytes(b"x" * size)
    replacement = b"y" * (10 if new_size == 10 else 2 * size)

    class ChangingSink(ListSink):
        def add(self, item: Item, content: Readable | None = None) -> None:
            if item.name == "growing.log":
                path.write_bytes(replacement)  # changed by a writer between stat and read
            super().add(item, content)

    sink, ctx = ChangingSink(), ProviderContext("t")
    DirectoryProvider.from_settings("t", {"path": str(tmp_path)}).backup(sink, ctx)
    item, data = sink.items["growing.log"]
    assert item.size == size and data is not None and len(data) == size  # the archive stays consistent
    assert [w.code for w in ctx.warnings] == ["file-changed"] and ctx.warnings[0].subject == "growing.log"


def test_unchanged_files_of_every_size_are_read_exactly(tmp_path: Path) -> None:
    sizes = [0, 1, 511, 512, SMALL_FILE - 1, SMALL_FILE, SMALL_FILE + 1, 5 * SMALL_FILE + 7]
    for size in sizes:
        (tmp_path / f"f{size}").write_bytes(os.urandom(size))
    sink, ctx = back_up(DirectoryProvider.from_settings("t", {"path": str(tmp_path)}))
    assert ctx.warnings == []
    for size in sizes:
        item, data = sink.items[f"f{size}"]
        assert item.size == size and data == (tmp_path / f"f{size}").read_bytes()


def test_missing_source_and_bad_settings(tmp_path: Path) -> None:
    with pytest.raises(SourceMissing):
        back_up(DirectoryProvider.from_settings("t", {"path": str(tmp_path / "nope")}))
    with pytest.raises(InvalidValue, match="--path, --include, --exclude"):
        DirectoryProvider.from_settings("t", {"path": str(tmp_path), "dump_command": "x"})
    with pytest.raises(InvalidValue, match="absolute"):
        DirectoryProvider.from_settings("t", {"path": "relative"})
    with pytest.raises(InvalidValue, match="timeout"):
        CommandProvider.from_settings("t", {"dump_command": "true", "timeout": 0})


def test_command_child_never_sees_secret_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZSBACKUP_PASSWORD", "share-secret")
    monkeypatch.setenv("AZSBACKUP_PFX_PASSWORD", "pfx-secret")
    monkeypatch.setenv("AZSBACKUP_REMOTE_PASSWORD", "remote-secret")
    dump = f'{sys.executable} -c "import os, json; print(json.dumps(dict(os.environ)))"'
    sink, _ = back_up(CommandProvider.from_settings("t", {"dump_command": dump}))
    output = b"".join(data or b"" for _, data in sink.items.values())
    for secret in (b"share-secret", b"pfx-secret", b"remote-secret", b"AZSBACKUP_"):
        assert secret not in output
    assert b"PATH" in output


def test_command_timeout_and_failure(tmp_path: Path) -> None:
    slow = CommandProvider.from_settings(
        "t", {"dump_command": f'{sys.executable} -c "import time; time.sleep(30)"', "timeout": 1}
    )
    with pytest.raises(CommandFailed, match="timed out after 1 s"):
        back_up(slow)
    failing = CommandProvider.from_settings(
        "t", {"dump_command": f"{sys.executable} -c \"import sys; sys.stderr.write('boom' * 2000); sys.exit(7)\""}
    )
    with pytest.raises(CommandFailed) as caught:
        back_up(failing)
    assert "exited with 7" in caught.value.message and len(caught.value.message) < 4500


def test_large_dump_is_stored_in_bounded_chunks() -> None:
    dump = f"{sys.executable} -c \"import sys; sys.stdout.buffer.write(b'z' * (20 * 1024 * 1024 + 3))\""
    sink, _ = back_up(CommandProvider.from_settings("t", {"dump_command": dump}))
    sizes = [item.size for item, _ in sink.items.values()]
    assert sizes == [8 << 20, 8 << 20, 4 * 1024 * 1024 + 3] and list(sink.items) == [
        "stdout.000000",
        "stdout.000001",
        "stdout.000002",
    ]


def test_a_name_the_format_refuses_is_skipped_alone(tmp_path: Path) -> None:
    """`c:x` at the top of a tree reads as a drive letter in every reader (format.md 3.2, rule 2): the
    provider skips it, and a directory of that name with its subtree, instead of failing the component."""
    import io

    from azsbackup.archive.writer import ArchiveWriter
    from tests.archive.helpers import BACKUP_ID, SEGMENT, key_pair, read_all

    (tmp_path / "c:x").write_text("refused")
    (tmp_path / "d:").mkdir()
    (tmp_path / "d:" / "inner.txt").write_text("refused with its directory")
    (tmp_path / "ok:fine").write_text("kept: only a second character ':' is a drive letter")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c:x").write_text("kept: not at the top")
    out = io.BytesIO()
    ctx = ProviderContext("t")
    writer = ArchiveWriter(
        out, backup_id=BACKUP_ID, component="tree", recipients=[key_pair().cert], segment_size=SEGMENT, workers=2
    )
    with writer:
        DirectoryProvider.from_settings("t", {"path": str(tmp_path)}).backup(writer, ctx)
    names = {item.name for item, _ in read_all(out.getvalue())}
    assert names == {"ok:fine", "sub", "sub/c:x"}
    assert sorted((w.code, w.subject) for w in ctx.warnings) == [("unsafe-name", "c:x"), ("unsafe-name", "d:")]
