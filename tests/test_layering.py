"""The layering rule (CONTRIBUTING.md): core is a library, the console lives in wizard/cli,
and tests share helpers through tests/support/.

- Importing core loads no UI package (textual, questionary, rich) and nothing of wizard.
- core never imports a UI package or wizard, not even lazily inside a function.
- Only core's developer entry points (`__main__.py`) parse arguments, print or exit; the
  Lambda's own code may print too (Lambda sends stdout to its log group).
- No test module imports from another test module or from conftest.py.
- No core module is over 500 lines.

The source checks read the syntax tree, so strings and comments never count.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"
TESTS = ROOT / "tests"
UI_PACKAGES = ("textual", "questionary", "rich", "wizard")
# Third-party packages that load a UI package themselves: httpx's __init__ imports its optional
# command line (httpx._main), which imports rich when it is installed (textual brings it).
THIRD_PARTY_LOADS = {("httpx", "rich")}
ENTRY_POINT = "__main__.py"
LAMBDA_CODE = CORE / "lambda_code" / "forwarder.py"
MAX_LINES = 500

# Imports every core module in one fresh interpreter and reports which module first imported
# each UI package (a meta-path finder that only watches, never finds).
IMPORT_ALL_OF_CORE = """
import importlib, json, os, pkgutil, sys

WATCHED = set(sys.argv[1].split(","))
first_importer = {}


def _machinery(filename):
    folder = os.path.basename(os.path.dirname(filename))
    return filename.startswith("<frozen importlib") or folder == "importlib"


def _importer():
    frame = sys._getframe(2)  # past find_spec: the import system, then the importing module
    while frame is not None and _machinery(frame.f_code.co_filename):
        frame = frame.f_back
    return "?" if frame is None else frame.f_globals.get("__name__", "?")


class Watch:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name in WATCHED:
            first_importer.setdefault(name, _importer())
        return None


sys.meta_path.insert(0, Watch())
import core

modules = ["core"]
for info in pkgutil.walk_packages(core.__path__, "core."):
    importlib.import_module(info.name)
    modules.append(info.name)
loaded = sorted(name for name in sys.modules if name.split(".")[0] in WATCHED)
print(json.dumps({"modules": modules, "first_importer": first_importer, "loaded": loaded}))
"""


def python_files(folder: Path) -> Iterator[Path]:
    return (path for path in sorted(folder.rglob("*.py")) if "__snapshots__" not in path.parts)


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imports(tree: ast.Module) -> Iterator[tuple[ast.stmt, int, list[str]]]:
    """(statement, relative level, every dotted module name it may import) per import statement."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield node, 0, [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            # `from tests import test_x` imports the module tests.test_x
            names = [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
            yield node, node.level, [base, *names] if base else names


def shown(path: Path, node: ast.stmt) -> str:
    return f"{relative(path)}:{node.lineno}: {ast.unparse(node)}"


def listed(problems: list[str]) -> str:
    return "\n  " + "\n  ".join(problems)


def test_importing_core_loads_no_ui_package_and_nothing_of_wizard() -> None:
    result = subprocess.run([sys.executable, "-c", IMPORT_ALL_OF_CORE, ",".join(UI_PACKAGES)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])

    assert "core.aws.stackset" in report["modules"] and "core.sandbox.runner" in report["modules"]
    problems = [f"{package}, first imported by {importer}"
                for package, importer in sorted(report["first_importer"].items())
                if (importer.split(".")[0], package) not in THIRD_PARTY_LOADS]
    assert not problems, "importing core loads:" + listed(problems)
    unexplained = {name.split(".")[0] for name in report["loaded"]} - set(report["first_importer"])
    assert not unexplained, f"loaded without an import the watch saw: {sorted(unexplained)}"


def test_core_never_imports_a_ui_package_or_wizard_even_lazily() -> None:
    problems = [shown(path, node)
                for path in python_files(CORE)
                for node, level, names in imports(parsed(path))
                if level == 0 and any(name.split(".")[0] in UI_PACKAGES for name in names)]
    assert not problems, "core imports UI code (it belongs in wizard/):" + listed(problems)


def console_only(node: ast.AST, may_print: bool) -> bool:
    """A print() call (unless the module may print), sys.exit()/exit()/quit(), raise SystemExit."""
    if isinstance(node, ast.Call):
        called = ast.unparse(node.func)
        return (called == "print" and not may_print) or called in ("sys.exit", "exit", "quit")
    return isinstance(node, ast.Raise) and node.exc is not None and "SystemExit" in ast.unparse(node.exc)


def test_only_core_entry_points_parse_arguments_print_or_exit() -> None:
    problems: list[str] = []
    for path in python_files(CORE):
        if path.name == ENTRY_POINT:
            continue
        tree = parsed(path)
        problems += [shown(path, node) for node, level, names in imports(tree)
                     if level == 0 and any(name.split(".")[0] == "argparse" for name in names)]
        may_print = path == LAMBDA_CODE
        problems += [shown(path, node) for node in ast.walk(tree) if console_only(node, may_print)]
    assert not problems, ("core is a library (parse arguments, print and exit in wizard/cli):"
                          + listed(problems))


def names_a_test_module(level: int, name: str) -> bool:
    parts = name.split(".")
    if level == 0 and parts[0] not in ("tests", "conftest") and not parts[0].startswith("test_"):
        return False  # another package (pytest, textual, ...)
    return any(part == "conftest" or part.startswith("test_") for part in parts)


def test_no_test_module_imports_another_test_module_or_conftest() -> None:
    problems = [shown(path, node)
                for path in python_files(TESTS)
                for node, level, names in imports(parsed(path))
                if any(names_a_test_module(level, name) for name in names)]
    assert not problems, "share helpers and fixtures through tests/support/:" + listed(problems)


def test_no_core_module_is_over_500_lines() -> None:
    sizes = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in python_files(CORE)}
    over = [f"{relative(path)}: {lines} lines" for path, lines in sizes.items() if lines > MAX_LINES]
    assert not over, f"split along the seams, at most {MAX_LINES} lines a module:" + listed(over)
