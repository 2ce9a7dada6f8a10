"""``python -m azsbackup``: the same as the ``azsbackup`` console script."""

from azsbackup.fastpath import main

if __name__ == "__main__":
    main()
