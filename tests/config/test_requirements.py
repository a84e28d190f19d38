"""Every third-party package the code imports directly is pinned in requirements.txt."""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = {"apps", "bench", "config", "recsys", "tasks", "tests", "manage"}


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> set[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return {normalised(re.split(r"[\[=]", line)[0]) for line in lines if "==" in line and not line.startswith("#")}


def imported_modules() -> set[str]:
    modules = set()
    for folder in ["apps", "bench", "config", "recsys", "tasks", "tests"]:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module.split(".")[0])
    bench_siblings = {path.stem for path in (ROOT / "bench").glob("*.py")}
    return modules - OURS - bench_siblings - set(sys.stdlib_module_names)


def test_every_directly_imported_package_is_pinned():
    distributions = packages_distributions()
    unpinned = {
        module
        for module in imported_modules()
        if not any(normalised(name) in pinned() for name in distributions.get(module, [module]))
    }
    assert not unpinned, f"imported but not pinned in requirements.txt: {sorted(unpinned)}"
