"""providers layer of azsbackup (see docs/design.md)."""
