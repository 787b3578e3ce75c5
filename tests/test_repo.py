"""The repository's own promises: Space settings agree, CI runs the README's test command,
the README's method table matches the registry."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from inpaint_core.method_table import (BEGIN, END, RESTORATION_BEGIN, RESTORATION_END, method_table_markdown,
                                       restoration_table_markdown)

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _front_matter() -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", README, re.S)
    assert match, "README.md must start with Hugging Face Space front matter"
    return yaml.safe_load(match.group(1))


def test_space_yaml_agrees_with_readme_front_matter():
    space = yaml.safe_load((ROOT / "space.yaml").read_text())
    assert _front_matter() == space
    assert space["sdk"] == "gradio" and (ROOT / space["app_file"]).exists()
    pinned = re.search(r"^gradio==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pinned and pinned.group(1) == str(space["sdk_version"])


def _commands() -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", README.split("## Run it", 1)[1].split("##", 1)[0], re.S)


def test_readme_gives_two_commands_and_ci_runs_the_test_one():
    setup, tests = _commands()
    assert "python app.py" in setup and "requirements.txt" in setup
    assert "pytest" in tests
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci_lines, ".ci/run must run the README's test command verbatim"


def test_method_table_is_current():
    table = README.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == method_table_markdown(), "run: python -m inpaint_core.method_table --write"
    table = README.split(RESTORATION_BEGIN, 1)[1].split(RESTORATION_END, 1)[0].strip()
    assert table == restoration_table_markdown(), "run: python -m inpaint_core.method_table --write"


def test_torch_is_pinned_to_the_cpu_build_if_required():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if re.match(r"^torch\b", line):
            assert line.strip() == "torch==2.13.0"
