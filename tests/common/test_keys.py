"""The registry of names that must not collide: lock keys and cache prefixes."""

import ast
import re
from pathlib import Path

from apps.common import keys

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [path for folder in ("apps", "tasks", "config") for path in (ROOT / folder).rglob("*.py")]


def test_lock_keys_are_distinct():
    locks = keys.lock_keys()
    assert len(locks) >= 4
    assert len(set(locks.values())) == len(locks), locks


def test_cache_prefixes_are_distinct_and_none_starts_another():
    prefixes = list(keys.cache_prefixes().values())
    assert len(set(prefixes)) == len(prefixes), prefixes
    for prefix in prefixes:
        assert ":" not in prefix
        clashes = [other for other in prefixes if other != prefix and other.startswith(prefix + ":")]
        assert not clashes


def test_no_lock_key_or_cache_prefix_is_defined_outside_the_registry():
    """An integer given to an advisory lock, or a literal cache key, anywhere else would escape the check above."""
    registry = ROOT / "apps/common/keys.py"
    offenders = []
    for path in SOURCES:
        if path == registry:
            continue
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                names = [target.id for target in node.targets if isinstance(target, ast.Name)]
                if any(name.endswith("_LOCK") for name in names) and isinstance(node.value.value, int):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "cache"
                and node.args
                and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        offenders += [
            f"{path.relative_to(ROOT)}: {match}"
            for match in re.findall(r"advisory_(?:xact_)?(?:try_)?lock\(\s*\d+", source)
        ]
    assert not offenders, offenders


def test_cache_key_joins_prefix_and_parts():
    assert keys.cache_key(keys.SEARCH_CATEGORIES_CACHE, "x", 3) == "search-categories:x:3"
