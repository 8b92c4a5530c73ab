"""The layout holds: views stay thin, every recorded action has words people read,
and the import contracts (`.importlinter`) are kept."""
import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from sms.labels import ACTION_LABELS
from storage import events

ROOT = Path(__file__).resolve().parent.parent
LONGEST_VIEW = 30  # lines, decorators and docstring included
WRITES = ("write_transaction", "db.atomic", ".execute(", ".query(", ".table(",
          "checkpoint_and_truncate_wal", "events.record(")


def test_every_action_mend_records_has_a_label_people_read():
    assert set(events.ACTIONS) - set(ACTION_LABELS) == set()


def test_every_label_names_an_action_mend_can_record():
    assert set(ACTION_LABELS) - set(events.ACTIONS) == set()


def test_recording_an_action_without_a_label_is_refused(db):
    with pytest.raises(ValueError, match="add it to events.ACTIONS"):
        events.record(db, action="message.teleported", subject_type="message")


@pytest.mark.parametrize("path", sorted((ROOT / "web").glob("*.py")), ids=lambda p: p.name)
def test_no_view_opens_a_transaction_or_writes_sql(path):
    source = path.read_text()
    assert [word for word in WRITES if word in source] == []


def test_every_route_handler_is_short(app):
    long_views = {}
    for endpoint, view in app.view_functions.items():
        view = inspect.unwrap(view)
        if not view.__module__.startswith("web."):
            continue
        lines, _ = inspect.getsourcelines(view)
        if len(lines) > LONGEST_VIEW:
            long_views[endpoint] = len(lines)
    assert long_views == {}


def test_workflows_import_no_web_framework():
    """Belt and braces for the import contract: actions/ is plain Python."""
    for path in (ROOT / "actions").glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module and not node.level}
        assert imported & {"flask", "flask_login", "flask_wtf", "wtforms", "click", "web"} \
            == set(), path.name


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert "0 broken" in result.stdout, result.stdout[-2000:]
