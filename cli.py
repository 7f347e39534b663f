"""Run the `triage` command from a checkout: `python cli.py assess examples/statutory-parent.json`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from triage.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
