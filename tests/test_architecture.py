"""Guards on the layout of the package, read from its source with `ast`, so the floors do not come back.

- No import circle between the package's modules (function-level imports included: an import moved into a
  function to dodge a circle is still a circle).
- No module imports an underscored name from another module, nor another subpackage's private module.
- At most one own-package import inside a function outside the CLI (the CLI imports lazily so that
  `jaxscale --help` stays fast).
- Every module imports on its own, first, with nothing of jaxscale loaded before it.
"""

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "jaxscale"
INNER_IMPORTS_ALLOWED = 1


def _module_name(path: pathlib.Path) -> str:
    parts = ("jaxscale",) + path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute name of what `from <node.module> import ...` (possibly relative) imports from."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _own_imports(module: str):
    """(imported module, imported names, whether inside a function, line) for every own-package import."""
    tree = ast.parse(MODULES[module].read_text())
    inside = set()
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(function) if n is not function)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            if source == "jaxscale" or source.startswith("jaxscale."):
                for alias in node.names:
                    # `from . import laws` imports a module; `from .x import name` a name of module x.
                    target = f"{source}.{alias.name}"
                    if target in MODULES:
                        yield target, None, id(node) in inside, node.lineno
                    else:
                        yield source, alias.name, id(node) in inside, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "jaxscale" or alias.name.startswith("jaxscale."):
                    yield alias.name, None, id(node) in inside, node.lineno


def _edges() -> dict[str, set[str]]:
    graph = {module: set() for module in MODULES}
    for module in MODULES:
        for target, _, _, _ in _own_imports(module):
            if target in MODULES and target != module:
                graph[module].add(target)
    return graph


def _cycles(graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            visit(v)
    return found


def _package_of(module: str) -> str:
    return module if _is_package(module) else module.rpartition(".")[0]


def test_the_import_graph_has_no_cycle():
    graph = _edges()
    # The root face imports everything; nothing below may import it back.
    assert [m for m in graph if "jaxscale" in graph[m] and not m.startswith("jaxscale.cli")] == []
    assert _cycles(graph) == []


def test_no_private_name_or_module_is_imported_from_another_module():
    crossings = []
    for module in MODULES:
        for target, name, _, line in _own_imports(module):
            if name is not None and name.startswith("_"):
                crossings.append(f"{module}:{line} imports {name} from {target}")
            # A private module is read only by the package that holds it (its face re-exports what others need).
            last = target.rpartition(".")[2]
            if last.startswith("_") and last != "__init__" and not _package_of(module).startswith(target.rpartition(".")[0]):
                crossings.append(f"{module}:{line} imports the private module {target}")
    assert crossings == []


def test_at_most_one_own_package_import_inside_a_function_outside_the_cli():
    inner = sorted({
        f"{module}:{line}"
        for module in MODULES
        if not module.startswith("jaxscale.cli")
        for target, _, in_function, line in _own_imports(module)
        if in_function
    })
    assert len(inner) <= INNER_IMPORTS_ALLOWED, inner


def test_the_guard_sees_a_cycle_and_a_private_import():
    """The checks above could fail: the graph code finds a planted circle."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "jaxscale._multistart" in _edges()["jaxscale._fit"]


def test_every_module_imports_first_on_its_own():
    """In a fresh interpreter, each module is imported with nothing of jaxscale loaded before it. The root
    package is stood in for by a bare module, so its own imports do not decide the order; everything is then
    dropped again before the next module."""
    script = f"""
import importlib, sys, types
failed = []
for name in {sorted(m for m in MODULES if m != "jaxscale")!r}:
    for loaded in [m for m in sys.modules if m == "jaxscale" or m.startswith("jaxscale.")]:
        del sys.modules[loaded]
    root = types.ModuleType("jaxscale")
    root.__path__ = [{str(PACKAGE)!r}]
    sys.modules["jaxscale"] = root
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{{name}}: {{type(error).__name__}}: {{error}}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
