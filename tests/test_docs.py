"""The README and .env.example stay true to the code."""
import re
from pathlib import Path

import settings

ROOT = Path(__file__).resolve().parent.parent


def env_example_keys():
    return [line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
            if re.match(r"^[A-Z_]+=", line)]


def test_env_example_lists_every_setting():
    assert sorted(env_example_keys()) == sorted(settings.DEFAULTS)


def test_readme_settings_table_lists_every_setting():
    readme = (ROOT / "README.md").read_text()
    rows = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.M))
    assert rows == set(settings.DEFAULTS)


def test_readme_shows_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert ci_lines[-1] == "make test"


def test_every_test_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text()
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", readme)
    shorthand = re.findall(r"`(tests/[\w/]+\.py)::\w+`((?:, `::\w+`)+)", readme)
    for path, extra in shorthand:
        named += [(path, name) for name in re.findall(r"`::(\w+)`", extra)]
    assert len(named) > 20
    missing = [f"{path}::{name}" for path, name in named
               if f"def {name}(" not in (ROOT / path).read_text()]
    assert missing == []
