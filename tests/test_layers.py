"""The import contracts of pyproject.toml ([tool.importlinter]), as `make lint` runs them: the
package keeps them, and a module that imports upward, closes a cycle or has no layer breaks them.

The deliberate violations are written into a copy of the package in a temporary folder, which
lint-imports reads instead of the real one (PYTHONPATH first); the tree itself is never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# lint-imports, as the console script of .venv runs it.
LINT_IMPORTS = (
    "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
)


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports over the package and pyproject.toml found in root."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _not_python(folder: str, names: list[str]) -> list[str]:
    """What copytree leaves out: files other than Python, and the folders with none."""
    skipped = {"__pycache__", "static", "templates", "locale"}
    return [
        name
        for name in names
        if name in skipped or not (name.endswith(".py") or (Path(folder) / name).is_dir())
    ]


@pytest.fixture(scope="module")
def copy_of_the_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's Python files and pyproject.toml, in a folder of their own."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(ROOT / "supervision", root / "supervision", ignore=_not_python)
    return root


@pytest.fixture
def tree(copy_of_the_package: Path):
    """The copy, with the files a test adds or changes put back afterwards."""
    touched: dict[Path, str | None] = {}

    def write(relative: str, text: str, append: bool = False) -> None:
        path = copy_of_the_package / relative
        touched.setdefault(path, path.read_text() if path.exists() else None)
        path.write_text((path.read_text() if append else "") + text)

    yield copy_of_the_package, write
    for path, text in touched.items():
        if text is None:
            path.unlink()
        else:
            path.write_text(text)


def test_the_package_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_unchanged_copy_keeps_them_too(tree):
    root, _ = tree
    result = lint_imports(root)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "text", "broken"),
    [
        # A model reaching up into the pages.
        ("supervision/models/upward.py", "import supervision.views.audit\n", "supervision: layers"),
        # A service reading a form.
        (
            "supervision/services/upward.py",
            "from supervision import forms\n",
            "supervision: layers",
        ),
        # The admin borrowing from the pages (siblings of one layer stay apart).
        ("supervision/admin/borrowed.py", "import supervision.views.base\n", "supervision: layers"),
        # One entity's page importing another's.
        (
            "supervision/views/lookup.py",
            "\nimport supervision.views.facilities\n",
            "supervision.views: entities on shared bases",
        ),
    ],
    ids=["model-imports-a-view", "service-imports-a-form", "admin-imports-a-view", "entity-views"],
)
def test_an_upward_import_breaks_the_layers(tree, module, text, broken):
    root, write = tree
    write(module, text, append=module.endswith("lookup.py"))
    result = lint_imports(root)
    assert result.returncode == 1, result.stdout
    assert f"{broken} BROKEN" in result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout  # the report names the import to remove


def test_a_cycle_breaks_the_acyclic_contract(tree):
    root, write = tree
    # models.inspection already imports models.base: base importing it back closes a circle.
    write("supervision/models/base.py", "\nimport supervision.models.inspection\n", append=True)
    result = lint_imports(root)
    assert result.returncode == 1, result.stdout
    assert "supervision: no import cycles BROKEN" in result.stdout
    assert "supervision: layers KEPT" in result.stdout  # only the cycle is wrong here


def test_a_new_module_without_a_layer_breaks_the_layers(tree):
    root, write = tree
    write("supervision/newcomer.py", '"""A module nobody placed."""\n')
    result = lint_imports(root)
    assert result.returncode == 1, result.stdout
    assert "supervision: layers BROKEN" in result.stdout
    assert "supervision.newcomer" in result.stdout
