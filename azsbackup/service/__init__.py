"""service layer of azsbackup (see docs/design.md)."""
