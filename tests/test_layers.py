"""The layers of design.md hold: some packages may import only what they own."""

import ast
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent / "onboarding"


def imported_modules(package: Path) -> dict[str, set[str]]:
    found = {}
    for path in package.rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(PACKAGE_ROOT))] = names
    return found


def test_the_sandbox_uses_the_standard_library_and_itself_only():
    for module, names in imported_modules(PACKAGE_ROOT / "sandbox").items():
        for name in names:
            top = name.split(".")[0]
            allowed = top in sys.stdlib_module_names or name.startswith(
                "onboarding.sandbox"
            )
            assert allowed, f"{module} imports {name}"


def test_the_client_knows_nothing_of_django_or_the_sandbox():
    for module, names in imported_modules(PACKAGE_ROOT / "chatapp").items():
        for name in names:
            assert not name.startswith("django"), f"{module} imports {name}"
            assert not name.startswith("onboarding.sandbox"), f"{module} imports {name}"
            if name.startswith("onboarding"):
                assert name.startswith("onboarding.chatapp"), f"{module} imports {name}"
