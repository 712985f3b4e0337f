"""The house's rules, checked on the source: no import cycles between lambda_local's modules, and moto imported only
inside the seam, lambda_local/aws/ (see docs/architecture.md).

The graph counts every import, at module level and inside functions (a function-level import is still a
dependency; it only runs later), and leaves out imports under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lambda_local"
SEAM = "lambda_local.aws"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).parts
        if all(part.replace(".py", "").isidentifier() for part in relative):  # course files are not modules
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST):
    """Every node under ``node``, leaving out the body of ``if TYPE_CHECKING:`` (never run)."""
    if isinstance(node, ast.If) and _is_type_checking(node):
        children = node.orelse
    else:
        yield node
        children = list(ast.iter_child_nodes(node))
    for child in children:
        yield from _walk(child)


def _import_nodes(tree: ast.AST):
    for node in _walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (isinstance(node, ast.Call) and _dynamic_import(node)):
            yield node


def _dynamic_import(call: ast.Call) -> str | None:
    """The module named by ``importlib.import_module("...")`` or ``__import__("...")`` with a literal name."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name in ("import_module", "__import__") and call.args and isinstance(call.args[0], ast.Constant) \
            and isinstance(call.args[0].value, str) and not call.args[0].value.startswith("."):
        return call.args[0].value
    return None


def imported_names(module: str, path: Path) -> set[str]:
    """Every module ``module`` imports (absolute dotted names, resolved against lambda_local's modules)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Call):
            names.add(_dynamic_import(node))
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                names.add(candidate if candidate in MODULES else base)
    return names


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        graph[module] = {name for name in imported_names(module, path) if name in MODULES and name != module}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_graph_sees_function_level_and_relative_imports():
    graph = import_graph()
    assert "lambda_local.aws.state" in graph["lambda_local.triggers.sqs"]  # from ..aws import state
    assert "lambda_local.aws.patches" in graph["lambda_local.sandbox"]
    assert "lambda_local.provisioned" in graph["lambda_local.aws.patches"]  # imported inside a function


def test_imports_for_type_checking_only_are_not_dependencies(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import moto\n"
                      "def f():\n    import moto.sqs\n    __import__('boto3')\n")
    assert imported_names("lambda_local.m", source) == {"typing", "moto.sqs", "boto3"}


def test_find_cycles_finds_a_cycle_and_only_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules():
    assert find_cycles(import_graph()) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_moto_is_imported_only_inside_the_seam(module):
    if module == SEAM or module.startswith(SEAM + "."):
        return
    moto = sorted(n for n in imported_names(module, MODULES[module]) if n == "moto" or n.startswith("moto."))
    assert moto == [], f"{module} imports {moto}: go through lambda_local.aws (docs/architecture.md)"


def test_the_seam_has_at_most_four_modules():
    seam = [m for m in MODULES if m == SEAM or m.startswith(SEAM + ".")]
    assert SEAM in seam and len(seam) <= 4


def _host_names() -> set[str]:
    tree = ast.parse((PACKAGE / "triggers" / "host.py").read_text())
    protocol = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "TriggerHost")
    names = {n.name for n in protocol.body if isinstance(n, ast.FunctionDef)}
    return names | {n.target.id for n in protocol.body if isinstance(n, ast.AnnAssign)}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("lambda_local.triggers.")))
def test_triggers_use_only_the_trigger_host_protocol_of_the_sandbox(module):
    """``sandbox.x`` / ``self.sandbox.x`` in a trigger names only what TriggerHost declares (no private parts)."""
    allowed = _host_names()
    used = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Attribute):
            base = node.value
            if (isinstance(base, ast.Name) and base.id == "sandbox") or (
                    isinstance(base, ast.Attribute) and base.attr == "sandbox"
                    and isinstance(base.value, ast.Name) and base.value.id == "self"):
                used.add(node.attr)
    assert used <= allowed, f"{module} uses {sorted(used - allowed)} of the sandbox, outside TriggerHost"


# The floors of docs/architecture.md: a module imports only from its own floor or the floors below.
FLOORS = {
    "lambda_local.quotas": 0, "lambda_local.clock": 0, "lambda_local.billing": 0, "lambda_local.packaging": 0,
    "lambda_local.events": 0, "lambda_local.browser": 0,
    "lambda_local.aws": 1, "lambda_local.aws.state": 1, "lambda_local.policy": 1, "lambda_local.coldstart": 1,
    "lambda_local.iam": 2, "lambda_local.iam_reference": 2, "lambda_local.iam_requests": 2,
    "lambda_local.iam_conditions": 2, "lambda_local.iam_variables": 2, "lambda_local.outside": 2,
    "lambda_local.iam_http": 2,
    "lambda_local.logs": 2, "lambda_local.metrics": 2, "lambda_local.destinations": 2,
    "lambda_local.aws.validation": 2, "lambda_local.emf": 2, "lambda_local.xray": 2, "lambda_local.alarms": 2,
    "lambda_local.sam": 2,
    "lambda_local.runtime": 3,
    "lambda_local.registry": 4, "lambda_local.dispatch": 4, "lambda_local.provisioned": 4, "lambda_local.triggers": 4,
    "lambda_local.triggers.scheduler_targets": 4, "lambda_local.triggers.firehose_http": 4,
    "lambda_local.aws.patches": 5, "lambda_local.sandbox": 5, "lambda_local.simulate": 5,
    "lambda_local.server": 5, "lambda_local.server_websocket": 5,
    "lambda_local.grading": 6, "lambda_local.exercises": 6,
    "lambda_local.cli": 7, "lambda_local": 7,
}


def floor_of(module: str) -> int:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in FLOORS:
            return FLOORS[prefix]
    raise KeyError(f"{module} has no floor: add it to FLOORS and to docs/architecture.md")


def test_every_module_imports_only_from_its_floor_or_below():
    upward = sorted(f"{a} (floor {floor_of(a)}) imports {b} (floor {floor_of(b)})"
                    for a, targets in import_graph().items() for b in targets if floor_of(b) > floor_of(a))
    assert upward == []
