"""The README stays true to the code: its settings table names every setting, and its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_settings_table_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `ASSISTANT_([A-Z_]+)` \|", readme, re.M))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_readme_opens_with_the_two_make_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```bash", 1)[1].split("```", 1)[0]
    assert [line.split()[1] for line in first_block.strip().splitlines()] == ["run", "test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
