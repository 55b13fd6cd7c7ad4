"""The package reads top-down: no import cycles, and nothing imports upward.

Every ``import`` of a ``dprk_stance`` module counts, at module level or inside a function
(a lazy import is still a dependency).
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dprk_stance"
STAGES = {"ingest", "external", "split", "train", "evaluate", "crossval", "leaderboard"}
TOP = {"cli", "stage"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__") or "__init__"


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target.startswith("dprk_stance."):
                    inner = target.removeprefix("dprk_stance.")
                    if inner in modules and inner != name:
                        graph[name].add(inner)
    return graph


def test_import_graph_has_no_cycle():
    graph = import_graph()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_nothing_imports_upward():
    graph = import_graph()
    for name, targets in graph.items():
        assert not targets & TOP - {"stage"} or name in TOP, (name, targets & TOP)
        if name not in TOP:
            assert "cli" not in targets, name
        if name not in STAGES | TOP | {"label"}:
            assert not targets & STAGES, (name, targets & STAGES)


def test_the_check_finds_a_cycle(tmp_path, monkeypatch):
    """The cycle check can fail: a two-module cycle is reported."""
    fake = tmp_path / "dprk_stance"
    fake.mkdir()
    (fake / "a.py").write_text("from dprk_stance import b\nimport dprk_stance.b\n")
    (fake / "b.py").write_text("def f():\n    import dprk_stance.a\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    try:
        test_import_graph_has_no_cycle()
    except AssertionError as exc:
        assert "a -> b -> a" in str(exc)
    else:
        raise AssertionError("cycle not found")
