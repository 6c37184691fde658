"""The boundaries of STYLE.md, checked on the source: dependencies point one way (services → registration →
communities), and no module imports another app's views (shared helpers live in communities.platform.web)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIDES = ("communities", "registration", "services")
BELOW = {"communities": set(), "registration": {"communities"}, "services": {"communities", "registration"}}


def imports_of(path: Path) -> list[str]:
    """The absolute module names a file imports (relative imports resolved against its package)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return found


def source_files(side: str):
    return [path for path in (ROOT / side).rglob("*.py") if "migrations" not in path.parts]


def test_dependencies_point_one_way():
    wrong = []
    for side in SIDES:
        for path in source_files(side):
            for name in imports_of(path):
                top = name.split(".")[0]
                if top in SIDES and top != side and top not in BELOW[side]:
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_no_module_imports_another_apps_views():
    wrong = []
    for side in SIDES:
        for path in source_files(side):
            app = ".".join(path.relative_to(ROOT).parts[:2]) if len(path.relative_to(ROOT).parts) > 2 else side
            for name in imports_of(path):
                last = name.rsplit(".", 1)[-1]
                if (last.endswith("views") or last == "admin_rates") and not name.startswith(app):
                    if name.split(".")[0] in SIDES:
                        wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []
