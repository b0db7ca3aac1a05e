"""The store's services are the only writers: no module outside ``appraisal_store`` writes.

Every module of ``records``, ``flows``, ``portal`` and ``commands`` is parsed, and any of
these is a failure naming its file and line:

- a call of ``add``, ``add_all``, ``delete``, ``merge``, ``flush`` or a ``bulk_*`` method
  on a session or connection;
- an ``insert``, ``update`` or ``delete`` statement built with SQLAlchemy (or a table's
  ``.insert()``, ``.update()``, ``.delete()``), or SQL text that inserts, updates or deletes;
- any use of the store's writers: the audit chain's (``record_event``, ``record_events``,
  ``record_event_alone``, ``start_chain``, ``repair_head``), the outbox's
  (``queue_messages``) and the tables' write helpers (``dialect_insert``, ``upsert``).

Callers own the transaction: they open it (``appraisal_store.sessions.write_session``,
``portal.store.unit_of_work``) and call services inside it. ``bench/`` and ``tests/`` are
outside the rule: they load national-scale fixtures and check the store from outside.
The import contract (``.importlinter``, tests/test_import_contract.py) keeps the layers.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE_THE_STORE = ("records", "flows", "portal", "commands")

SESSION_WRITES = frozenset({"add", "add_all", "delete", "merge", "flush", "bulk_save_objects",
                            "bulk_insert_mappings", "bulk_update_mappings"})
STATEMENT_WRITES = frozenset({"insert", "update", "delete"})
STORE_WRITERS = frozenset({"record_event", "record_events", "record_event_alone",
                           "start_chain", "repair_head", "queue_messages", "dialect_insert",
                           "upsert"})
_WRITE_SQL = re.compile(r"^\s*(WITH\b.*\b)?(INSERT|UPDATE|DELETE|MERGE|REPLACE)\b",
                        re.IGNORECASE | re.DOTALL)
# What opens or hands over a session or connection, by the name of the function called.
_OPENS_A_HANDLE = re.compile(r"session|unit_of_work|connect|connection|begin", re.IGNORECASE)
_HANDLE_NAME = re.compile(r"session|connection", re.IGNORECASE)


def _called_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _mentions_table(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "__table__" for n in ast.walk(node))


class _Writes(ast.NodeVisitor):
    """Collects every write of one module as (line, what)."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []
        self.handles: set[str] = set()  # names bound to a session or a connection
        self.tables: set[str] = set()  # names bound to a table (``X.__table__``)
        self.statement_builders: set[str] = set()  # sqlalchemy's insert/update/delete
        self.sqlalchemy_modules: set[str] = set()  # ``import sqlalchemy as sa``

    def _note(self, node: ast.AST, what: str) -> None:
        self.found.append((getattr(node, "lineno", 0), what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in ("sqlalchemy", "sqlmodel"):
                self.sqlalchemy_modules.add((alias.asname or alias.name).split(".")[0])
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            if module.split(".")[0] in ("sqlalchemy", "sqlmodel") and (
                    alias.name in STATEMENT_WRITES):
                self.statement_builders.add(alias.asname or alias.name)
            if alias.name in STORE_WRITERS:
                self._note(node, f"imports the store's writer {alias.name} from {module}")
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        annotation = ast.unparse(node.annotation) if node.annotation is not None else ""
        if "Session" in annotation or "Connection" in annotation:
            self.handles.add(node.arg)
        self.generic_visit(node)

    def visit_withitem(self, node: ast.withitem) -> None:
        if isinstance(node.optional_vars, ast.Name) and _OPENS_A_HANDLE.search(
                _called_name(node.context_expr)):
            self.handles.add(node.optional_vars.id)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if isinstance(node.value, ast.Call) and _OPENS_A_HANDLE.search(
                _called_name(node.value)):
            self.handles.update(names)
        if _mentions_table(node.value):
            self.tables.update(names)
        self.generic_visit(node)

    def _is_handle(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.handles or bool(_HANDLE_NAME.search(node.id))
        if isinstance(node, ast.Attribute):
            return bool(_HANDLE_NAME.search(node.attr))
        if isinstance(node, ast.Call):  # session.connection(), engine.connect()
            return bool(_OPENS_A_HANDLE.search(_called_name(node)))
        return False

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in STORE_WRITERS:
            self._note(node, f"uses the store's writer {node.attr}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Attribute):
            receiver = function.value
            if function.attr in SESSION_WRITES and self._is_handle(receiver):
                self._note(node, f"{ast.unparse(receiver)}.{function.attr}(...) writes "
                                 "through the session")
            elif function.attr.startswith("bulk_") and self._is_handle(receiver):
                self._note(node, f"{ast.unparse(receiver)}.{function.attr}(...) writes in bulk")
            elif function.attr in STATEMENT_WRITES and (
                    (isinstance(receiver, ast.Name) and (receiver.id in self.sqlalchemy_modules
                                                         or receiver.id in self.tables))
                    or _mentions_table(receiver)):
                self._note(node, f"builds an {function.attr} statement "
                                 f"({ast.unparse(function)})")
            elif function.attr in ("exec_driver_sql", "execute", "text") and node.args and (
                    _write_sql(node.args[0])):
                self._note(node, f"writes through SQL text ({function.attr})")
        elif isinstance(function, ast.Name):
            if function.id in self.statement_builders:
                self._note(node, f"builds an {function.id} statement (sqlalchemy)")
            elif function.id == "text" and node.args and _write_sql(node.args[0]):
                self._note(node, "writes through SQL text")
        self.generic_visit(node)


def _write_sql(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and bool(_WRITE_SQL.match(node.value)))


def writes_in(source: str) -> list[tuple[int, str]]:
    """Every write of the module ``source`` outside the store's services, as (line, what)."""
    finder = _Writes()
    tree = ast.parse(source)
    # Twice: the first walk learns the names (a function may use one bound further down).
    finder.visit(tree)
    finder.found = []
    finder.visit(tree)
    return sorted(set(finder.found))


def _modules() -> list[Path]:
    return sorted(path for package in OUTSIDE_THE_STORE
                  for path in (ROOT / package).rglob("*.py") if "static" not in path.parts)


def test_no_module_outside_the_store_writes_to_it() -> None:
    modules = _modules()
    assert len(modules) > 60  # the walk found the packages' modules
    found = [f"{path.relative_to(ROOT)}:{line}: {what}"
             for path in modules for line, what in writes_in(path.read_text(encoding="utf-8"))]
    assert found == [], ("Writes outside appraisal_store (move them into a service in "
                         "appraisal_store/services/):\n" + "\n".join(found))


def test_the_check_finds_each_kind_of_write() -> None:
    """The finder is not blind: each way of writing, in a module of the kind it reads."""
    source = '''
import sqlalchemy as sa
from sqlalchemy import delete, insert as make_insert, select, update
from sqlmodel import Session
from appraisal_store.audit import record_events
from appraisal_store import database, outbox

TABLE = Appraisal.__table__

def store(session: Session, row, connection) -> None:
    session.add(row)
    session.add_all([row])
    session.delete(row)
    session.execute(update(Appraisal).values(state="x"))
    session.execute(delete(Appraisal))
    connection.execute(make_insert(Appraisal))
    connection.execute(sa.insert(Appraisal))
    connection.execute(TABLE.update().values(state="x"))
    database.upsert(session, TABLE, [])
    outbox.queue_messages(session, [])
    session.execute(sa.text("DELETE FROM appraisal"))
    session.bulk_save_objects([row])

def elsewhere(unit_of_work) -> None:
    with unit_of_work() as tx:
        tx.add(1)
    with write_session() as s:
        s.flush()
        s.connection().execute("UPDATE appraisal SET state = 'x'")
'''
    found = writes_in(source)
    lines = {line for line, _ in found}
    assert lines == {5, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 26, 28, 29}, found
    harmless = '''
from sqlalchemy import select
drawing.add(chart)
errors.add("field", "message")
headers.update({"a": "b"})
reports.add(1)
session.execute(select(Appraisal))
'''
    assert writes_in(harmless) == []
