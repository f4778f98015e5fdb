"""No two modules of the package import each other, directly or through others.

import-linter (``lint-imports``, configured in pyproject.toml) keeps the layers
between apps; this test keeps the modules themselves free of cycles, counting every
import grimp finds (also those inside functions), but not those only read by a type
checker. A cycle is reported as the modules of one strongly connected component.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import grimp
import pytest

# Packages left out of the check (none: every module of the package is checked).
NOT_YET_CHECKED: tuple[str, ...] = ()


def cycles(modules: Iterable[str], imports_of: Callable[[str], Iterable[str]]) -> list[list[str]]:
    """The groups of modules that import each other (the strongly connected
    components of more than one module, or a module importing itself), each sorted,
    by Tarjan's algorithm without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(imports_of(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(imports_of(target)))))
                    break
                if target in on_stack:
                    low[module] = min(low[module], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1 or module in imports_of(module):
                        found.append(sorted(component))
    return sorted(found)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("kaffeeklatsch", exclude_type_checking_imports=True, cache_dir=None)


def _checked(module: str) -> bool:
    return not any(module == p or module.startswith(p + ".") for p in NOT_YET_CHECKED)


def test_no_module_of_the_package_is_part_of_an_import_cycle(graph: grimp.ImportGraph) -> None:
    found = cycles(graph.modules, graph.find_modules_directly_imported_by)
    assert [c for c in found if any(_checked(m) for m in c)] == []


def test_the_search_finds_cycles_of_every_length_and_nothing_else() -> None:
    imports = {
        "a": {"b"},
        "b": {"c"},
        "c": {"a", "d"},
        "d": {"e"},
        "e": set(),
        "f": {"f"},
        "g": {"h"},
        "h": {"g", "e"},
    }
    assert cycles(imports, imports.__getitem__) == [["a", "b", "c"], ["f"], ["g", "h"]]
    assert cycles({"x": {"y"}, "y": set()}, {"x": {"y"}, "y": set()}.__getitem__) == []
