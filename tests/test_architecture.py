"""The shape docs/architecture.md promises: no import cycles in server/, and handlers that
reach the database only through services."""

from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parents[1] / "server"


def _module(path: Path) -> str:
    return ".".join(path.relative_to(SERVER.parent).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path, module: str, modules: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """What a module imports; ``from pkg import mod`` counts as importing ``pkg.mod`` only."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = {f"{base}.{alias.name}" for alias in node.names}
            out.update(names)
            if not names & modules:
                out.add(base)
    return out


def _graph() -> dict[str, set[str]]:
    paths = {_module(p): p for p in SERVER.rglob("*.py")}
    modules = set(paths)
    return {
        m: {n for n in _imports(p, m, modules) if n in paths and n != m} for m, p in paths.items()
    }


def test_server_has_no_import_cycles() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert cycles == []


def test_handlers_run_no_sql() -> None:
    """HTTP and Socket.IO handlers import no SQL toolkit and no store query module."""
    handlers = [*SERVER.glob("api/*.py"), *SERVER.glob("dashboard/*.py")]
    handlers += [*SERVER.glob("signaling/*.py"), SERVER / "pages.py"]
    for path in handlers:
        imported = _imports(path, _module(path))
        offending = {
            name
            for name in imported
            if name.startswith("sqlalchemy")
            or (name.startswith("server.store.") and name not in _STORE_TYPES)
        }
        assert not offending, (path.name, offending)


def test_the_store_imports_no_edge() -> None:
    """server/store/ sits below the edges: it imports no handler or signaling module (the
    types it returns live with the domain, e.g. server/telephony/ports.py)."""
    edges = ("server.signaling", "server.api", "server.dashboard", "server.pages")
    for path in SERVER.glob("store/*.py"):
        imported = _imports(path, _module(path))
        offending = {n for n in imported if n.startswith(edges)}
        assert not offending, (path.name, offending)


# Plain types handlers may name (no queries): the database handle and a filter value.
_STORE_TYPES = {
    "server.store.db",
    "server.store.db.Database",
    "server.store.webhooks",
    "server.store.webhooks.DeadLetterFilter",
}
