"""archive layer of azsbackup (see docs/design.md)."""
