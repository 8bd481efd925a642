"""The import rules fail the build.

Most rules are import-linter contracts in pyproject.toml ([tool.importlinter]); `make lint` runs them and
so does this module. What import-linter cannot say is checked here over the grimp import graph:
- areas import only the areas before them in `voltline/areas/catalog.py`, never a later one, not even
  through a platform module;
- an area never imports another area's manifest, api, ocpp, sql or schemas (its domain modules are fine;
  tables only for the SQL of the importing area, the audit trail only for its HTTP edge);
- no two modules of voltline import each other, directly or through others (TYPE_CHECKING imports count).

Run as a script (`python tests/test_import_rules.py`), this module prints what breaks these rules for the
`voltline` found first on sys.path; the tests below use that on a copy with a deliberate violation.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = REPO / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# What an area's module is, by its name under the area package (the first part: `ocpp` for ocpp/v16.py).
CLOSED_EDGES = frozenset({"manifest", "api", "schemas"})
# Edge modules another area may use, and from which of its own modules.
SHARED_EDGES = {
    "tables": frozenset({"sql", "tables"}),  # joins and foreign keys between areas' tables
    # A lower area's payload shapes (1.6 IdTagInfo, 2.0.1 IdTokenInfo) reused by a higher area's adapters,
    # and its row mappers by a higher area's repositories: each shape is spelled once, by its owner.
    "ocpp": frozenset({"ocpp"}),
    "sql": frozenset({"sql"}),
    "trail": frozenset({"api", "trail"}),  # request handlers annotate the audit trail
}
# -- the rules over the grimp graph ---------------------------------------------------------------------


def build_graph() -> grimp.ImportGraph:
    return grimp.build_graph("voltline", cache_dir=None)


def voltline_directory() -> Path:
    spec = importlib.util.find_spec("voltline")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent


def area_packages(catalog: Path) -> list[str]:
    """The area packages in the order of `AREAS` in voltline/areas/catalog.py.

    Read from the source rather than imported: the rules are about the code as written, and hold (or
    not) whether or not every area imports cleanly at this moment.
    """
    tree = ast.parse(catalog.read_text(), str(catalog))
    manifests = {
        alias.asname or alias.name: node.module.removesuffix(".manifest")
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith(".manifest")
        for alias in node.names
    }
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "AREAS" and isinstance(node.value, ast.Tuple | ast.List):
            names = [element.id for element in node.value.elts if isinstance(element, ast.Name)]
            if len(names) == len(node.value.elts) and all(name in manifests for name in names):
                return [manifests[name] for name in names]
    raise AssertionError(f"{catalog}: AREAS is no longer a tuple of imported manifests; update area_packages")


def _role(module: str, package: str) -> str:
    rest = module[len(package) + 1 :]
    return rest.split(".", 1)[0]


def _area_of(module: str, packages: Sequence[str]) -> str | None:
    return next((p for p in packages if module == p or module.startswith(p + ".")), None)


def area_violations(graph: grimp.ImportGraph, packages: Sequence[str]) -> list[str]:
    problems: list[str] = []
    for index, earlier in enumerate(packages):
        for later in packages[index + 1 :]:
            if graph.chain_exists(importer=earlier, imported=later, as_packages=True):
                chain = graph.find_shortest_chain(importer=earlier, imported=later, as_packages=True) or ()
                problems.append(f"{earlier} imports the later area {later}: {' -> '.join(chain)}")
    for importer in sorted(graph.modules):
        own = _area_of(importer, packages)
        if own is None:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            other = _area_of(imported, packages)
            if other is None or other == own:
                continue
            role, importer_role = _role(imported, other), _role(importer, own)
            if role not in CLOSED_EDGES and importer_role in SHARED_EDGES.get(role, {importer_role}):
                continue  # a domain module (no entry: anyone), or a shared edge used by the right module
            problems.append(f"{importer} imports {imported}, an edge ({role}) of another area")
    return problems


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm).

    Recursive: a chain of imports is at most as deep as there are modules (a few hundred).
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component: list[str] = []
            while not component or component[-1] != module:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def rule_violations() -> list[str]:
    graph = build_graph()
    problems = area_violations(graph, area_packages(voltline_directory() / "areas" / "catalog.py"))
    problems += [f"import cycle: {', '.join(cycle)}" for cycle in import_cycles(graph)]
    return problems


# -- this project ---------------------------------------------------------------------------------------


def lint_imports(root: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run import-linter on this project's contracts, over the voltline in `root` (default: this one)."""
    env = {**os.environ, "COLUMNS": "400"}  # one line per contract, whatever the terminal
    if root is not None:
        env["PYTHONPATH"] = str(root)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(PYPROJECT)],
        cwd=root or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def contract_name(contract_id: str) -> str:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    return next(str(c["name"]) for c in contracts if c["id"] == contract_id)


def test_the_contracts_are_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


def test_areas_import_only_the_areas_before_them_and_not_their_edges() -> None:
    packages = area_packages(voltline_directory() / "areas" / "catalog.py")
    on_disk = {f"voltline.areas.{m.parent.name}" for m in (voltline_directory() / "areas").glob("*/manifest.py")}
    assert sorted(packages) == sorted(on_disk), "every area package is listed in the catalog, once"
    assert area_violations(build_graph(), packages) == []


def test_no_import_cycles() -> None:
    assert import_cycles(build_graph()) == []


def test_the_cycle_finder_sees_a_cycle_through_several_modules() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"), ("p.d", "p.e")]:
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == [["p.a", "p.b", "p.c"]]


# -- a deliberate violation breaks the build --------------------------------------------------------------


@pytest.fixture
def copy_root(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "voltline", tmp_path / "voltline", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def append(root: Path, module: str, line: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{line}  # deliberate violation\n")


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("voltline.kernel.clock", "import voltline.areas.stations.service", "kernel"),
        ("voltline.areas.stations.service", "import sqlalchemy", "sqlalchemy"),
        ("voltline.areas.stations.model", "import voltline.areas.stations.service", "area-layers"),
        ("voltline.gateway.registry", "import voltline.areas.stations.admission", "gateway"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(copy_root: Path, module: str, line: str, contract: str) -> None:
    append(copy_root, module, line)
    result = lint_imports(copy_root)
    assert result.returncode != 0, result.stdout
    assert f"{contract_name(contract)} BROKEN" in result.stdout, result.stdout
    assert " 1 broken" in result.stdout, result.stdout


def test_a_later_area_or_a_cycle_breaks_the_grimp_rules(copy_root: Path) -> None:
    append(copy_root, "voltline.areas.stations.model", "import voltline.areas.transactions.model")
    append(copy_root, "voltline.simulator.display", "import voltline.simulator.station")
    result = subprocess.run(
        [sys.executable, __file__],
        env={**os.environ, "PYTHONPATH": str(copy_root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert str(copy_root / "voltline") in result.stdout  # the copy was checked, not this project
    assert "voltline.areas.stations imports the later area voltline.areas.transactions" in result.stdout
    assert "import cycle: " in result.stdout and "voltline.simulator.station" in result.stdout


if __name__ == "__main__":
    print(f"checking {voltline_directory()}")
    found = rule_violations()
    print("\n".join(found) or "no violations")
    sys.exit(1 if found else 0)
