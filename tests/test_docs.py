"""The registry table of docs/architecture.md names every `register_*` function of the project.

A higher app plugs into a lower one only through these functions; a reader of the docs must
find each of them in the table, so one added without a row fails here.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
# Not project code: the virtualenv, the tests and migrations, generated or vendored folders.
SKIPPED_PARTS = {".venv", "venv", "node_modules", "migrations", "tests", ".git", "media"}


def project_modules() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if not SKIPPED_PARTS.intersection(path.relative_to(ROOT).parts)
    ]


def register_functions() -> list[str]:
    """`module.register_name` for every module-level `def register_*` of the project."""
    found = []
    for path in project_modules():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("register_"):
                found.append(f"{module}.{node.name}")
    return found


def test_the_project_has_registries() -> None:
    # Guards the walk itself: a wrong root or filter would find nothing and prove nothing.
    assert "accounts.hooks.register_listing_quota" in register_functions()
    assert "promotions.purposes.register_purpose" in register_functions()


def test_every_registry_is_in_the_architecture_table() -> None:
    text = ARCHITECTURE.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    missing = [name for name in register_functions() if not any(f"`{name}`" in row for row in rows)]
    assert not missing, f"docs/architecture.md's registry table lacks {missing}"
