"""Row locks are taken in one place per app, in the order docs/architecture.md gives.

A `select_for_update` written anywhere else would be a lock the documented order does not see.
"""

import ast
from pathlib import Path

from .test_docs import ARCHITECTURE, ROOT, project_modules


def lock_sites() -> list[str]:
    """`path:line` of every `.select_for_update(` call in the project's code."""
    sites = []
    for path in project_modules():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "select_for_update":
                sites.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return sites


def test_the_walk_finds_the_locks() -> None:
    # Guards the walk: a wrong root or filter would find nothing and prove nothing.
    assert any(site.startswith("listings/locks.py:") for site in lock_sites())


def test_every_row_lock_is_in_a_locks_module() -> None:
    elsewhere = [site for site in lock_sites() if Path(site.split(":")[0]).name != "locks.py"]
    assert not elsewhere, f"select_for_update outside an app's locks.py: {elsewhere}"


def test_every_locks_module_is_named_in_the_architecture() -> None:
    section = ARCHITECTURE.read_text().split("**Row locks.**")[1].split("\n- **")[0]
    apps = sorted({Path(site.split(":")[0]).parent.name for site in lock_sites()})
    assert apps == ["accounts", "business", "chat", "listings", "promotions"]
    assert all(f"`{app}`" in section for app in apps)
