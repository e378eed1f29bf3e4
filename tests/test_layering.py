"""DESIGN §9: data flows one way, and imports follow it. Read from the source (ast), not at run time."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE_ROOT = Path(__file__).parents[1] / "reconciler"

# package -> (imports it must not make, why)
FORBIDDEN: dict[str, tuple[tuple[str, ...], str]] = {
    "reconciler.plan": (
        (
            "httpx",
            "reconciler.providers",
            "reconciler.apply",
            "reconciler.render",
            "reconciler.commands",
            "reconciler.cli",
        ),
        "planning is pure: no HTTP, no providers, no execution or output",
    ),
    "reconciler.providers": (
        ("reconciler.plan", "reconciler.apply", "reconciler.render", "reconciler.commands", "reconciler.cli"),
        "providers only speak to stores",
    ),
    "reconciler.model": (
        (
            "reconciler.kinds",
            "reconciler.config",
            "reconciler.providers",
            "reconciler.plan",
            "reconciler.apply",
            "reconciler.render",
            "reconciler.commands",
            "reconciler.cli",
        ),
        "models are the bottom layer",
    ),
    "reconciler.kinds": (
        (
            "httpx",
            "reconciler.config",
            "reconciler.providers",
            "reconciler.plan",
            "reconciler.apply",
            "reconciler.render",
            "reconciler.commands",
            "reconciler.cli",
            "reconciler.emulator",
        ),
        "the registry of provider kinds states facts: it reads only models",
    ),
    "reconciler.emulator": (
        ("reconciler.model", "reconciler.kinds", "reconciler.config", "reconciler.plan"),
        "the emulator is a test oracle with its own tables from the API documents, never the tool's knowledge",
    ),
}
# who may import a concrete provider package (reconciler.providers.<name>/)
WIRING = ("reconciler.commands", "reconciler.cli", "reconciler.providers", "reconciler.emulator")


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, name, names it may mean) per imported name: `from a import b` may mean a.b or a's b."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, (alias.name,)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}", (base, f"{base}.{alias.name}")


def violations(root: Path) -> list[str]:
    """Every forbidden import under `root` (the reconciler package directory), as readable lines."""
    providers = root / "providers"
    concrete = sorted(
        f"{root.name}.providers.{d.name}" for d in providers.iterdir() if d.is_dir() and (d / "__init__.py").exists()
    ) if providers.is_dir() else []  # fmt: skip
    found = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        where = path.relative_to(root.parent)
        for line, name, meanings in _imports(path, module):
            for package, (banned, why) in FORBIDDEN.items():
                if _within(module, package) and any(_within(m, b) for m in meanings for b in banned):
                    found.append(f"{where}:{line}: {module} imports {name}: {why}")
            if any(_within(m, c) for m in meanings for c in concrete) and not any(_within(module, w) for w in WIRING):
                found.append(f"{where}:{line}: {module} imports {name}: only commands wire concrete providers in")
    return sorted(set(found))


def test_imports_follow_the_architecture() -> None:
    assert violations(PACKAGE_ROOT) == []


def test_a_violation_names_module_and_import(tmp_path: Path) -> None:
    root = tmp_path / "reconciler"
    for package in ("plan", "providers/s3", "model", "apply", "commands"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("", encoding="utf-8")
    (root / "__init__.py").write_text("", encoding="utf-8")
    (root / "plan" / "planner.py").write_text("import httpx\nfrom ..providers import s3\n", encoding="utf-8")
    (root / "model" / "rule.py").write_text(
        "from reconciler.config.loader import load_configuration\n", encoding="utf-8"
    )
    (root / "providers" / "s3" / "client.py").write_text("from reconciler.plan import planner\n", encoding="utf-8")
    (root / "apply" / "engine.py").write_text("from reconciler.providers.s3.client import S3Client\n", encoding="utf-8")
    (root / "commands" / "plan.py").write_text("from reconciler.providers.s3 import client\n", encoding="utf-8")
    assert violations(root) == [
        (
            "reconciler/apply/engine.py:1: reconciler.apply.engine imports reconciler.providers.s3.client.S3Client: "
            "only commands wire concrete providers in"
        ),
        (
            "reconciler/model/rule.py:1: reconciler.model.rule imports reconciler.config.loader.load_configuration: "
            "models are the bottom layer"
        ),
        (
            "reconciler/plan/planner.py:1: reconciler.plan.planner imports httpx: planning is pure: no HTTP, no providers, "
            "no execution or output"
        ),
        (
            "reconciler/plan/planner.py:2: reconciler.plan.planner imports reconciler.providers.s3: only commands wire "
            "concrete providers in"
        ),
        (
            "reconciler/plan/planner.py:2: reconciler.plan.planner imports reconciler.providers.s3: planning is pure: no "
            "HTTP, no providers, no execution or output"
        ),
        (
            "reconciler/providers/s3/client.py:1: reconciler.providers.s3.client imports reconciler.plan.planner: "
            "providers only speak to stores"
        ),
    ]
