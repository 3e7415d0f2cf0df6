"""No text is translated when a module is imported: a label built at import with eager gettext
keeps the language that happened to be active then (Chinese), and an English page shows it.

The clock badges' labels did exactly that; this reads every module of the package and refuses
an eager gettext call anywhere that runs at import — the module's body and class bodies, not
function bodies (which run per request, in its language).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "supervision"
EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _eager_names(tree: ast.Module) -> set[str]:
    """The names this module binds to an eager gettext of django.utils.translation."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            names |= {alias.asname or alias.name for alias in node.names if alias.name in EAGER}
    return names


def _calls_at_import(body: list[ast.stmt], eager: set[str]) -> list[int]:
    lines = []
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            # Run when called, except their decorators and default values.
            parts = [*statement.decorator_list, *statement.args.defaults]
            parts += [d for d in statement.args.kw_defaults if d is not None]
        elif isinstance(statement, ast.ClassDef):
            lines += _calls_at_import(statement.body, eager)
            parts = [*statement.decorator_list, *statement.bases, *statement.keywords]
        else:
            parts = [statement]
        for part in parts:
            for node in ast.walk(part):
                if isinstance(node, ast.Lambda):
                    continue
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in eager
                    and not _inside_lambda(part, node)
                ):
                    lines.append(node.lineno)
    return lines


def _inside_lambda(root: ast.AST, target: ast.AST) -> bool:
    for node in ast.walk(root):
        if isinstance(node, ast.Lambda) and any(child is target for child in ast.walk(node)):
            return True
    return False


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_translates_text_when_it_is_imported(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    eager = _eager_names(tree)
    if not eager:
        return
    lines = _calls_at_import(tree.body, eager)
    assert not lines, f"{path.name}: eager gettext at import on lines {lines}; use gettext_lazy"
