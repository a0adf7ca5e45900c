"""The `ovation` console script: a thin front for Django's management commands.

`ovation serve`, `ovation demo`, `ovation import ...` and every other Django command
(`ovation migrate`, `ovation shell`, `ovation check --deploy`) go through here."""

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if (REPO_ROOT / "config").is_dir() and str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ovation", *argv[1:]])


if __name__ == "__main__":
    main()
