"""The service's rooms hold what they say (``docs/architecture.md``):

- ``store/`` (the domain) and ``jobs/`` (the outbox's work) never import a web framework, nor the rooms
  above them (``api``, ``web``, the request glue);
- no module of the service imports, through any chain, a module that imports it back (an import circle);
- one error family: every error answer is made in ``answers`` (or, before a request reaches the app, by
  the server from ``ServiceError``); no view builds ``{"error": ...}`` itself;
- no module is over 400 lines unless its first lines say why.

Every import counts, a lazy one inside a function included. A test of each checker shows it finds the
faults this service used to have."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from test_layering import ROOT, imports, python_files

WEB = {"flask", "werkzeug", "jinja2", "flask_limiter"}
ABOVE_STORE = {"sync_service.api", "sync_service.web", "sync_service.context", "sync_service.db",
               "sync_service.checking", "sync_service.responses", "sync_service.answers", "sync_service.throttle",
               "sync_service.request_log", "sync_service.hardening", "sync_service.reports", "sync_service.cli"}
ABOVE_JOBS = ABOVE_STORE - {"sync_service.reports"}
MAX_LINES = 400
LONG_BECAUSE = "Long because"          # how a module's first lines say why it is longer


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def service_modules() -> dict[str, Path]:
    return {module_name(p): p for p in python_files("sync_service") if "migrations" not in p.parts}


def targets(module: str, names: list[str], known: dict[str, Path]) -> list[str]:
    """The service's modules an import reaches: ``from . import db`` is the module db; ``from .store import
    outbox`` the module outbox; ``from .errors import X`` the module errors."""
    if not module.startswith("sync_service"):
        return []
    found = [f"{module}.{n}" for n in names if f"{module}.{n}" in known]
    if len(found) < len(names) or not names:
        while module not in known and "." in module:
            module = module.rsplit(".", 1)[0]
        found.append(module)
    return found


def edges(sources: dict[str, str], known: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in sources}
    for module, source in sources.items():
        for _, imported, names in imports(source, known[module]):
            graph[module] |= {t for t in targets(imported, names, known) if t != module}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles (strongly connected groups of more than one module), by Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def room_problems(path: Path, source: str) -> list[str]:
    """What is wrong with the imports of a module in ``store/`` or ``jobs/``."""
    rel = path.relative_to(ROOT)
    above = ABOVE_STORE if rel.parts[1] == "store" else ABOVE_JOBS
    bad = []
    for line, module, names in imports(source, path):
        if module.split(".")[0] in WEB:
            bad.append(f"{rel}:{line} imports {module}, a web framework")
        reached = [module] + [f"{module}.{n}" for n in names]
        for target in reached:
            if any(target == a or target.startswith(a + ".") for a in above):
                bad.append(f"{rel}:{line} imports {target}, which sits above it")
                break
    return bad


def hand_built_errors(path: Path, source: str) -> list[str]:
    """Error bodies built by hand: a ``{"error": ...}`` dict or ``jsonify(error=...)`` outside ``answers``."""
    rel = path.relative_to(ROOT)
    bad = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "error" for k in node.keys):
            value = node.values[[getattr(k, "value", None) for k in node.keys].index("error")]
            if isinstance(value, ast.Dict):
                bad.append(f"{rel}:{node.lineno} builds an error body")
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "jsonify" and \
                any(k.arg == "error" for k in node.keywords):
            bad.append(f"{rel}:{node.lineno} builds an error body")
    return bad


ROOMS = [p for p in python_files("sync_service") if p.relative_to(ROOT).parts[1] in ("store", "jobs")]


@pytest.mark.parametrize("path", ROOMS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_store_and_the_jobs_import_no_web_framework_and_nothing_above_them(path):
    assert not room_problems(path, path.read_text())


def test_there_is_no_import_circle_in_the_service():
    known = service_modules()
    assert "sync_service.store.records" in known and "sync_service.web.base" in known
    graph = edges({m: p.read_text() for m, p in known.items()}, known)
    assert sum(map(len, graph.values())) > 100          # the graph is really read
    assert not circles(graph)


OWN_ERROR_SHAPES = {"answers.py", "whole_requests.py", "receiver.py"}   # the one handler; the server's 408/413;
                                                                        # the institution's receiver (its own app)


@pytest.mark.parametrize("path", python_files("sync_service"), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_error_answer_is_made_in_one_place(path):
    if path.name in OWN_ERROR_SHAPES or "openapi" in path.name or path.parent.name in ("store", "jobs"):
        return                        # the store and the jobs raise; they never answer
    assert not hand_built_errors(path, path.read_text())


@pytest.mark.parametrize("folder", ["addin", "sync_service", "google_sheets", "workbook_templates"])
def test_no_module_is_long_unless_it_says_why(folder):
    long = []
    for path in python_files(folder):
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        if text.count("\n") > MAX_LINES and LONG_BECAUSE not in "\n".join(text.splitlines()[:12]):
            long.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
    assert not long


# The checkers find the faults the service used to have.

def test_the_circle_checker_finds_the_old_circles():
    sources = {
        "sync_service.pages": "from .record_pages import record_page\n",
        "sync_service.record_pages": "def f():\n    from .pages import signed_in\n",
        "sync_service.records": "from .sheets.linked import pull\nfrom .models import CpdRecord\n",
        "sync_service.sheets.linked": "from ..submissions import store\n",
        "sync_service.submissions": "from .records import prepare\n",
        "sync_service.sheets": "", "sync_service.models": "",
    }
    fake = {m: ROOT / "sync_service" / (m.split(".", 1)[1].replace(".", "/") + ".py") for m in sources}
    fake["sync_service.sheets"] = ROOT / "sync_service" / "sheets" / "__init__.py"
    found = circles(edges(sources, fake))
    assert sorted(found) == [["sync_service.pages", "sync_service.record_pages"],
                             ["sync_service.records", "sync_service.sheets.linked", "sync_service.submissions"]]


@pytest.mark.parametrize("where,source,finds", [
    ("sync_service/store/mentoring.py", "from flask import request\n", "a web framework"),
    ("sync_service/store/records.py", "from flask import current_app\n", "a web framework"),
    ("sync_service/store/submissions.py", "def f():\n    from ..context import submission_limits\n", "above it"),
    ("sync_service/jobs/mail.py", "from flask import current_app\n", "a web framework"),
    ("sync_service/store/records.py", "from ..web.base import signed_in\n", "above it"),
    ("sync_service/jobs/delivery.py", "from .. import db\n", "above it"),
])
def test_the_room_checker_finds_web_code_in_the_domain(where, source, finds):
    problems = room_problems(ROOT / where, source)
    assert problems and finds in problems[0], problems


@pytest.mark.parametrize("source", [
    'def f():\n    return jsonify(error={"code": "x", "message": "y"}), 400\n',
    'def f():\n    return {"error": {"code": "x", "message": "y"}}, 400\n',
])
def test_the_error_checker_finds_hand_built_bodies(source):
    assert hand_built_errors(ROOT / "sync_service/web/member.py", source)
