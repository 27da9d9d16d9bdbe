"""The layers hold: `cms` <- `topics` <- `articles` <- `editorial` | `newsletters` <- `seeds` <-
`config` (the contract in .importlinter, checked by import-linter)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    lint = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(lint), "--config", str(root / ".importlinter"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
    )


def test_every_app_imports_only_the_layers_below_it():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_the_contract_would_catch_an_app_importing_one_above_it(tmp_path):
    """The check can fail: a module of cms importing an app breaks the contract."""
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "media", "staticfiles", "*.sqlite3")
    )
    (copy / "cms" / "leak.py").write_text("from articles.models import Article  # noqa: F401\n")
    done = lint_imports(copy)
    assert done.returncode == 1
    assert "cms.leak -> articles.models" in done.stdout
