"""The README as a newcomer follows it in a fresh clone: ``podium`` is put on the PATH
before the first command that uses it, and every link of the README and docs/ leads to a
file of the repository (nothing outside it, such as a sibling ``shared/`` folder)."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_venv_is_activated_before_the_first_podium_command():
    activate = README.index(". .venv/bin/activate")
    first_use = re.search(r"(?m)(^|`|\$ )podium (run|dev|validate|plan|status)", README)
    assert first_use is not None and activate < first_use.start()
    assert activate < README.index("make demo") + 2_000  # right after the two commands


def test_every_link_of_the_readme_and_docs_is_a_file_of_the_repository():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text()
        assert "shared/docs" not in text, f"{page.name} points outside the repository"
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            path = (page.parent / target).resolve()
            assert path.is_relative_to(ROOT), f"{page.name}: {target} is outside the repository"
            assert path.exists(), f"{page.name}: {target} does not exist"
