"""The package's import structure, read from the source with ast (no module is imported):
no import cycle (module level or inside functions), no import of another module's private
name, and the runtime package never imports the test-only code in ``geoschikt.testing``."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "geoschikt"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(path: Path) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import in the file, wherever
    it is (module level, functions, TYPE_CHECKING blocks)."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in MODULES:  # `from package import submodule`
                    out.append((sub, None, node.lineno))
                else:
                    out.append((base, a.name, node.lineno))
    return out


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        graph.add_node(name)
        for target, _, _ in imports(path):
            if target in MODULES and target != name:
                graph.add_edge(name, target)
    return graph


def test_the_reader_sees_known_imports():
    """The checks below are only as good as the graph: it holds imports we know exist, at
    module level and inside functions."""
    graph = import_graph()
    assert graph.has_edge("geoschikt.pipeline", "geoschikt.scoring")  # module level
    assert graph.has_edge("geoschikt.cli.score", "geoschikt.pipeline")  # inside a function
    assert graph.has_edge("geoschikt.cli", "geoschikt.cli.score")  # registration


def test_no_import_cycles():
    cycles = list(nx.simple_cycles(import_graph()))
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles[:5])


def test_no_module_imports_from_its_own_package_init():
    """``from geoschikt.outputs import x`` inside geoschikt/outputs/ goes through the package's
    ``__init__`` (which imports its modules) from one of those modules: a hidden cycle."""
    bad = []
    for name, path in MODULES.items():
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                base = node.module
                if base != "geoschikt" and name.startswith(base + ".") and base in MODULES:
                    bad.append(f"{name}:{node.lineno} imports from {base}")
    assert bad == []


def test_no_private_names_imported_across_modules():
    bad = [
        f"{name}:{line} imports {target}.{what}"
        for name, path in MODULES.items()
        for target, what, line in imports(path)
        if target.startswith("geoschikt")
        and (
            (what is not None and what.startswith("_") and what != "__version__")
            or any(part.startswith("_") for part in target.split(".")[1:])
        )
    ]
    assert bad == []


def test_runtime_code_does_not_import_test_only_code():
    bad = [
        f"{name} imports {target}"
        for name, path in MODULES.items()
        if not name.startswith("geoschikt.testing")
        for target, _, _ in imports(path)
        if target.startswith("geoschikt.testing")
    ]
    assert bad == []


def test_command_modules_import_only_options_and_common_from_the_cli():
    """Imports in the CLI run one way: ``__init__`` registers the commands; a command module
    takes only ``options`` and ``common``."""
    allowed = {"geoschikt.cli.options", "geoschikt.cli.common"}
    bad = [
        f"{name} imports {target}"
        for name, path in MODULES.items()
        if name.startswith("geoschikt.cli.")
        for target, _, _ in imports(path)
        if target.startswith("geoschikt.cli") and target not in allowed and target != name
    ]
    assert bad == []


def test_computations_do_not_depend_on_writers():
    """Pure computations (scores, curves, routes, the balance) import no output writer."""
    pure = [
        *("scoring", "curves", "routing", "network", "reception", "balance", "config", "geo"),
        *("ways", "criteria", "profiles"),
    ]
    bad = [
        f"geoschikt.{name} imports {target}"
        for name in pure
        for target, _, _ in imports(MODULES[f"geoschikt.{name}"])
        if target.startswith(("geoschikt.outputs", "geoschikt.cli", "geoschikt.batch"))
    ]
    assert bad == []


# The layers of docs/ARCHITECTURE.md: a module imports only from its own layer or lower ones.
LAYERS = [
    # 0: leaves: errors, hashes, CRS, curves, readers of user tables and rasters, kernels
    {
        "errors",
        "hashing",
        "geo",
        "curves",
        "tables",
        "vectorfile",
        "rasters",
        "reception",
        "datasets",
        "workers",
        "notes",
    },
    {"provenance", "config", "inputs", "regions"},  # 1: the config, user files, run records
    {"acquire"},  # 2: OSM in
    # 3: computations
    {
        "features",
        "addresses",
        "floor_area",
        "network",
        "obstacles",
        "routing",
        "scoring",
        "balance",
        "ways",
        "criteria",
        "profiles",
    },
    {"measure"},  # 4
    {"pipeline"},  # 5: the data flow of one run
    {"outputs"},  # 6: writers
    {"rescoring", "decide", "report"},  # 7: work on finished runs
    {"api"},  # 7b: the Python interface (score, read_osm, write_outputs, rescore)
    {"batch"},  # 8
    {"cli", "__main__"},  # 9
]
ANYWHERE = {"geoschikt", "geoschikt.outputs.atomic"}  # the version; the atomic-write helper


def layer_of(module: str) -> int:
    part = module.split(".")[1] if "." in module else ""
    found = [i for i, names in enumerate(LAYERS) if part in names]
    assert found, f"{module} is in no layer: add it to LAYERS and docs/ARCHITECTURE.md"
    return found[0]


def test_imports_go_down_the_layers():
    graph = import_graph()
    bad = [
        f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
        for a, b in graph.edges
        if a != "geoschikt"
        and b not in ANYWHERE
        and not a.startswith("geoschikt.testing")
        and layer_of(a) < layer_of(b)
    ]
    assert bad == []
