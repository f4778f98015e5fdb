"""The package uses Django, Jinja and its other dependencies through their public API
only: no name they mark private (a leading underscore) is imported or read, and no
module they document as internal is imported.

Names the package defines itself may start with an underscore (``self._lock``, a
module's ``_helper``), so an ``_x`` attribute is allowed on ``self`` and ``cls`` and
wherever the package defines a name ``_x`` itself; any other ``obj._x`` is taken as
reaching into someone else's object.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import kaffeeklatsch

PACKAGE = Path(kaffeeklatsch.__file__).parent

# Underscore names that are documented public API.
ALLOWED_ATTRIBUTES = {
    # Django documents the model's options and its managers by these names
    # ("Model _meta API", "Managers": _default_manager, _base_manager).
    "_meta",
    "_default_manager",
    "_base_manager",
    # Python documents these methods and attributes of named tuples.
    "_fields",
    "_asdict",
    "_replace",
    "_make",
    "_field_defaults",
    # Documented in the standard library's sys and os modules.
    "_getframe",
    "_exit",
}

# Modules whose documentation calls them internal, although no underscore says so.
INTERNAL_MODULES = (
    "django.utils.translation.trans_real",
    "django.db.models.sql",
    "django.db.backends.postgresql.base",
    "jinja2.compiler",
)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _own_module(module: str | None, level: int) -> bool:
    return level > 0 or module == "kaffeeklatsch" or (module or "").startswith("kaffeeklatsch.")


def _internal(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in INTERNAL_MODULES)


def defined_names(trees: Iterable[ast.AST]) -> set[str]:
    """Underscore names the package defines: functions, classes, variables,
    arguments, and attributes it assigns on ``self`` or ``cls`` (an assignment to
    another object's ``_x`` defines nothing: it writes into that object)."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return {name for name in names if _private(name)}


def private_uses(tree: ast.AST, own: set[str]) -> list[tuple[int, str]]:
    """(line, what) for every private name of someone else that ``tree`` imports or
    reads; ``own``: the underscore names the package defines."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if _own_module(node.module, node.level):
                continue
            module = node.module or ""
            if _internal(module) or any(_private(part) for part in module.split(".")):
                found.append((node.lineno, f"from {module} import ..."))
                continue
            for alias in node.names:
                if _private(alias.name) or _internal(f"{module}.{alias.name}"):
                    found.append((node.lineno, f"from {module} import {alias.name}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _own_module(alias.name, 0):
                    continue
                if _internal(alias.name) or any(_private(p) for p in alias.name.split(".")):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            if node.attr in ALLOWED_ATTRIBUTES or node.attr in own:
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            found.append((node.lineno, f".{node.attr}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
            and node.args[1].value not in ALLOWED_ATTRIBUTES
            and node.args[1].value not in own
        ):
            found.append((node.lineno, f"{node.func.id}(..., {node.args[1].value!r})"))
    return sorted(found)


def inherited_private_uses(tree: ast.AST, namespace: dict[str, Any]) -> list[tuple[int, str]]:
    """(line, what) for every ``self._x``/``cls._x`` in a class of the package that
    names a private attribute of a class of a dependency it derives from: reaching
    into a base class's insides is reaching into someone else's object.
    ``namespace``: the module's globals, where the classes are found."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        cls = namespace.get(node.name)
        if not isinstance(cls, type):
            continue
        foreign = [
            base
            for base in cls.__mro__[1:]
            if base is not object and not base.__module__.startswith("kaffeeklatsch")
        ]
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Attribute)
                and _private(inner.attr)
                and inner.attr not in ALLOWED_ATTRIBUTES
                and isinstance(inner.value, ast.Name)
                and inner.value.id in ("self", "cls")
                and any(inner.attr in vars(base) for base in foreign)
            ):
                found.append((inner.lineno, f"{node.name}: {inner.value.id}.{inner.attr}"))
    return sorted(found)


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _package_trees() -> dict[Path, ast.AST]:
    return {path: ast.parse(path.read_text(), str(path)) for path in PACKAGE.rglob("*.py")}


def test_the_package_uses_no_private_name_of_a_dependency() -> None:
    trees = _package_trees()
    assert len(trees) > 100
    own = defined_names(trees.values())
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path, tree in sorted(trees.items())
        for line, what in private_uses(tree, own)
    ]
    assert found == []


def test_the_packages_classes_use_no_private_part_of_the_classes_they_derive_from() -> None:
    found = []
    for path, tree in sorted(_package_trees().items()):
        if "migrations" in path.parts or path.name in ("__main__.py", "wsgi.py"):
            continue
        classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
        if not classes:
            continue
        namespace = vars(importlib.import_module(_module_name(path)))
        found += [
            f"{path.name}:{line}: {what}" for line, what in inherited_private_uses(tree, namespace)
        ]
    assert found == []


def test_the_check_finds_private_names_and_leaves_the_packages_own_alone() -> None:
    sample = ast.parse(
        """
from django.middleware.csrf import _mask_cipher_secret, get_token
from django.utils.translation import trans_real
from django.db.models.sql.compiler import SQLCompiler
import django.db.backends.postgresql.base
import psycopg._cmodule
from kaffeeklatsch.notifications.emails import _write
from ._local import helper

class Store:
    def load(self, queryset, connection, session):
        self._cache = {}
        iterable = queryset._iterable_class
        lookups = getattr(queryset, "_prefetch_related_lookups")
        session._session_key = None
        fields = Row._fields
        table = queryset.model._meta.db_table
        return self._cache, cls._registry, _write, other._cache
"""
    )
    own = defined_names([sample])
    assert "_cache" in own
    found = private_uses(sample, own)
    assert [what for _line, what in found] == [
        "from django.middleware.csrf import _mask_cipher_secret",
        "from django.utils.translation import trans_real",
        "from django.db.models.sql.compiler import ...",
        "import django.db.backends.postgresql.base",
        "import psycopg._cmodule",
        "._iterable_class",
        "getattr(..., '_prefetch_related_lookups')",
        "._session_key",
    ]


def test_the_check_finds_a_subclass_reaching_into_its_base() -> None:
    source = """
from django.contrib.sessions.backends import db

class SessionStore(db.SessionStore):
    def load(self):
        self._session_key = None
        self._own = 1
        return self._get_session_from_db(), self._own
"""
    namespace: dict[str, Any] = {}
    exec(compile(source, "sample.py", "exec"), namespace)
    found = inherited_private_uses(ast.parse(source), namespace)
    assert [what for _line, what in found] == [
        "SessionStore: self._session_key",
        "SessionStore: self._get_session_from_db",
    ]
