"""The layout rules of docs/architecture.md, measured on the source every time the suite runs.

A rule a reviewer checks by hand drifts; here each one is a test, so a change that breaks
it fails with the offending module named. Run ``python tests/test_architecture.py`` for the
figures docs/architecture.md quotes.

The source is read with ``ast`` (nothing is imported), so the measurement covers every
first-party module, including those the suite never loads.
"""

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

from centra_ip.permissions import DECLARED

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("centra_ip", "syncs", "exceptions", "returns", "reconciliation")
MAX_LINES = 450

# Modules allowed over MAX_LINES, each with its reason. Declarative tables (data, not
# logic) may stay long; the rest are the mixed-role modules the architecture review's
# point 6 splits, listed so that none grows unseen and none is added.
LONG_MODULES = {
    # declarative tables
    "centra_ip.checklists": "declarative: the CHECKLISTS table",
    "syncs.sandbox.centra.schema": "declarative: the twin's GraphQL schema text",
    # not yet split (review point 6; docs/architecture.md, "Not yet")
    "syncs.catalog.services": "not yet split (review point 6)",
    "syncs.stock.engine": "not yet split (review point 2)",
}
# Cycles not yet untied, each with its reason; the test fails on any other, and on one of
# these once it is gone (so the list is removed with it).
KNOWN_CYCLES: dict[tuple[str, str], str] = {}

# The bottom layer: every app may import these, and they import nothing of ours but each
# other, so the project package's pages (dashboard, docs, checklists) can sit on top of the
# apps without a cycle.
BOTTOM = {
    "centra_ip.env",
    "centra_ip.exports",
    "centra_ip.history",
    "centra_ip.limits",
    "centra_ip.local_urls",
    "centra_ip.pagination",
    "centra_ip.permissions",
    "centra_ip.ratelimit",
    "centra_ip.tables",
    "centra_ip.teams",
}

# Outside the sandbox package, who may import it, and why. Nothing else: importing a twin
# loads both twins and graphql-core into every process.
SANDBOX_USERS = {
    "syncs.clients": "the twins' public credentials (syncs.sandbox.credentials only)",
    "syncs.management.commands.sandbox": "serves the twins",
    "syncs.views.sandbox": "the fault-injection screen, the twins' remote control",
    "reconciliation.config": "the demo command lists the Centra twin's markets",
    "syncs.management.commands.soak_twins": "serves the twins for the soak",
    "syncs.soak.twins": "the soak's twins: faults per call and their ground truth",
    "syncs.soak.setup": "the soak sets the returns warehouse to the twin world's",
    "centra_ip.management.commands.devstack": "plays the demo story's hub beats and settings",
}

# Outside the desk, only screens read tickets; an engine hands Conditions to the exceptions
# services (tickets_settle, tickets_raise_many, tickets_clear_many) and never sees a Ticket.
TICKET_READERS = {
    "centra_ip.checklists",
    "centra_ip.dashboard",
    "centra_ip.docs",
    "centra_ip.metrics",
    "centra_ip.today",  # the "today" card of the landing screens
    "returns.views",
    "syncs.views.catalog",
    "syncs.views.orders",
    # the soak checks the tickets against the truth and retries stock-in tickets as people do
    "syncs.soak.harness",
    "syncs.soak.invariants",
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the first-party module imported
    line: int
    in_function: bool
    commented: bool  # a comment on its line, or above its run of imports, says why


def module_files() -> dict[str, Path]:
    """Every first-party module (migrations excluded: generated, never imported by us)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The first-party module ``name`` refers to: itself, or the module that defines it."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _targets(node: ast.AST, module: str, is_package: bool, modules) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = module.split(".")
            anchor = anchor if is_package else anchor[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        # "from pkg import mod" imports the submodule; "from mod import name" the module
        names = [f"{base}.{alias.name}" for alias in node.names]
    targets = {_resolve(name, modules) for name in names}
    return sorted(t for t in targets if t and t != module)


def _commented(lines: list[str], number: int) -> bool:
    """A comment on the import's line, or above the run of imports it belongs to."""
    if "#" in lines[number - 1]:
        return True
    above = number - 2
    while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
        above -= 1
    return above >= 0 and lines[above].strip().startswith("#")


def imports() -> list[Import]:
    """Every first-party import, module-level or inside a function."""
    modules = module_files()
    found = []
    for module, path in modules.items():
        text = path.read_text()
        lines = text.splitlines()
        tree = ast.parse(text)
        functions = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        nested = {id(n) for f in functions for n in ast.walk(f) if n is not f}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            in_function = id(node) in nested
            commented = _commented(lines, node.lineno)
            for target in _targets(node, module, path.name == "__init__.py", modules):
                found.append(Import(module, target, node.lineno, in_function, commented))
    return found


def cycles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def long_modules() -> dict[str, int]:
    return {
        module: count
        for module, path in module_files().items()
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    }


def uncommented_function_imports() -> list[str]:
    return sorted(
        f"{edge.source}:{edge.line} -> {edge.target}"
        for edge in imports()
        if edge.in_function and not edge.commented
    )


def test_no_import_cycle_among_first_party_modules_module_level_or_in_functions():
    assert [tuple(cycle) for cycle in cycles(imports())] == sorted(KNOWN_CYCLES)


def test_no_module_over_450_lines_but_the_listed_exceptions():
    assert sorted(set(long_modules()) - set(LONG_MODULES)) == []


def test_every_listed_long_module_is_still_long():
    """An exception that is no longer needed is removed from the list, so it stays true."""
    assert sorted(set(LONG_MODULES) - set(long_modules())) == []


def test_every_function_level_import_says_why():
    assert uncommented_function_imports() == []


def permission_literals() -> list[str]:
    """Where a permission is named by its string rather than by centra_ip.permissions."""
    literals = {f'"centra_ip.{codename}"' for codename, _ in DECLARED}
    return sorted(
        f"{module}:{number}"
        for module, path in module_files().items()
        if module != "centra_ip.permissions"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if any(literal in line for literal in literals)
    )


def test_permissions_are_named_only_in_centra_ip_permissions():
    assert permission_literals() == []


def test_the_bottom_layer_imports_nothing_of_ours_above_it():
    above = sorted(
        f"{edge.source} -> {edge.target}"
        for edge in imports()
        if edge.source in BOTTOM and edge.target not in BOTTOM
    )
    assert above == []


def test_only_the_listed_modules_import_the_sandbox():
    users = {
        edge.source
        for edge in imports()
        if edge.target.startswith("syncs.sandbox")
        and not edge.source.startswith("syncs.sandbox")
        and edge.target != "syncs.sandbox"
    }
    assert sorted(users - set(SANDBOX_USERS)) == []
    clients = {edge.target for edge in imports() if edge.source == "syncs.clients"}
    assert sorted(t for t in clients if t.startswith("syncs.sandbox")) == [
        "syncs.sandbox.credentials"
    ]


def test_outside_the_desk_only_screens_read_the_ticket_model():
    readers = {
        edge.source
        for edge in imports()
        if edge.target == "exceptions.models" and not edge.source.startswith("exceptions")
    }
    assert sorted(readers - TICKET_READERS) == []


def test_the_measurement_sees_function_level_imports_and_cycles():
    """The scanner itself: a function-level import counts as an edge, and a loop is found."""
    edges = [Import("a", "b", 1, False, False), Import("b", "a", 9, True, True)]
    assert cycles(edges) == [["a", "b"]]
    assert cycles(edges[:1]) == []
    assert any(edge.in_function for edge in imports())


if __name__ == "__main__":
    edges = imports()
    function_level = [edge for edge in edges if edge.in_function]
    print(f"modules: {len(module_files())}")
    print(f"first-party imports: {len(edges)} ({len(function_level)} inside functions)")
    for cycle in cycles(edges):
        print(f"import cycle: {' <-> '.join(cycle)} ({KNOWN_CYCLES.get(tuple(cycle), 'NEW')})")
    print(f"modules over {MAX_LINES} lines:")
    for module, count in sorted(long_modules().items(), key=lambda item: -item[1]):
        print(f"  {module}: {count} ({LONG_MODULES.get(module, 'NOT LISTED')})")
    print(f"function-level imports without a comment: {uncommented_function_imports() or 0}")
