"""Hot queries whose SQL is made once per process.

Building a queryset and compiling it to SQL costs Django more CPU than PostgreSQL spends running
a simple indexed query: for a page of twenty list rows about 0.75 ms against 0.25 ms (bench/).
For the busiest uncached reads (articles/listing.py) a `CompiledQuery` keeps the SQL of its
queryset, compiled with stand-in values, and runs it again with the real ones, returning tuples.
The queryset stays the definition (the published() rule, the columns, the order); only its
compilation is kept. An `int` value may be a slice bound, which the ORM writes into the SQL text
(`LIMIT 20 OFFSET 40` of a subquery): it is put into the text at run time, as an integer.

On PostgreSQL with prepared statements (DATABASE_PREPARED_STATEMENTS), the server soon plans a
statement once for any values (a generic plan), if that plan looks no worse than those made for
the values: so the LIMIT and OFFSET of a run are written into its text, as integers (a generic
plan of an unknown LIMIT expects a tenth of the rows, looks far worse, and is never chosen). A
generic plan suits a query whose best plan is the same for every value; not one scoped to a topic,
whose best plan depends on how many items the topic has: walking the newest-first index suits a
large topic, and costs a small one a walk through most of the index (6 ms against 0.8 at 50,000
articles, worse with more). Two ways out:
- `planned_for=("topic_id",)`: those int values are written into the SQL text, so each topic
  has a statement of its own, prepared and planned for it. Planning each
  run cost more than running a page of a topic (0.8 ms against 0.4). psycopg keeps the 100 most
  used statements per connection (`prepared_max`) and forgets the others.
- `plan_each_run=True`, for values too varied to keep a statement each (the words of a search):
  it is sent unprepared, and planned for its values each time.

On PostgreSQL the rows come back in binary form: Django's loader of times in text form is Python
code, and cost more than running the query (0.5 ms for the hundred rows of a feed's newest
items). A compiled query selects ids, times, text and booleans, whose binary loaders are psycopg's
own (times in the connection's time zone, UTC, as Django sets it)."""

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import psycopg
import psycopg.sql
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import QuerySet


def _stand_in(index: int, kind: type):
    """A value no real query uses, to find where a value goes in the compiled parameters."""
    if kind is int:
        return 987_654_321_000 + index * 1_000_003
    if kind is datetime:
        return datetime(1901 + index, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
    if kind is str:
        return f"\x1fcompiled-query-value-{index}\x1f"
    raise TypeError(f"Unsupported kind of value: {kind!r}")


def _prepare(value, connection):
    """A value as the ORM hands it to the database driver."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


class CompiledQuery:
    """`build(**values)` returns a `values_list()` queryset, unsliced; `kinds` names each value and
    its type (`datetime`, `str` or `int`). `rows(limit=..., offset=..., **values)` runs it."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        plan_each_run: bool = False,
        planned_for: tuple[str, ...] = (),
        **kinds: type,
    ):
        if any(kinds.get(name) is not int for name in planned_for):
            raise ImproperlyConfigured(f"Only int values can be planned for: {planned_for!r}")
        self.build = build
        self.plan_each_run = plan_each_run
        self.planned_for = planned_for
        self.stand_ins = {name: _stand_in(index, kind) for index, (name, kind) in enumerate(kinds.items())}
        self._compiled: dict[tuple[str, str], tuple] = {}

    def _compile(self, queryset: QuerySet, alias: str) -> tuple:
        connection = connections[alias]
        compiler = queryset.query.get_compiler(alias)
        sql, params = compiler.as_sql()
        stand_ins = {name: _prepare(value, connection) for name, value in self.stand_ins.items()}
        slots = [
            next((name for name, value in stand_ins.items() if param == value), None) for param in params
        ]
        sql, params, slots = _written_in(sql, params, slots, self.planned_for, stand_ins, connection)
        in_text = {
            name: re.compile(rf"\b{value}\b")
            for name, value in stand_ins.items()
            if isinstance(value, int) and name not in slots
        }
        found = {
            name
            for name, pattern in in_text.items()
            if len(pattern.findall(sql)) == 1 or (name in self.planned_for and pattern.search(sql))
        }
        if set(slots) - {None} | found != set(stand_ins) or queryset.query.is_sliced:
            raise ImproperlyConfigured(f"Cannot compile {queryset.query} with stand-in values.")
        converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
        return sql, list(params), slots, in_text, converters

    def rows(self, *, limit: int | None = None, offset: int = 0, **values) -> list[tuple]:
        connection, sql, params, converters = self.statement(limit, offset, values)
        rows = _fetch(connection, sql, params, plan_each_run=self.plan_each_run)
        return self.converted(rows, converters, connection)

    def statement(self, limit: int | None, offset: int, values: dict) -> tuple:
        """The connection, SQL, parameters and converters of one run."""
        queryset = None
        alias = getattr(self, "_alias", None)
        if alias is None:
            queryset = self.build(**self.stand_ins)
            alias = self._alias = router.db_for_read(queryset.model)
        connection = connections[alias]
        key = (alias, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            queryset = queryset if queryset is not None else self.build(**self.stand_ins)
            compiled = self._compiled[key] = self._compile(queryset, alias)
        sql, constants, slots, in_text, converters = compiled
        for name, pattern in in_text.items():
            sql = pattern.sub(str(int(values[name])), sql)
        params = [
            constant if slot is None else _prepare(values[slot], connection)
            for constant, slot in zip(constants, slots, strict=True)
        ]
        if limit is not None:
            sql, params = self.limited(sql, params, limit, offset)
        return connection, sql, params, converters

    @staticmethod
    def limited(sql: str, params: list, limit: int, offset: int = 0) -> tuple[str, list]:
        # Written in, not parameters: a generic plan guesses that an unknown LIMIT takes a tenth
        # of the rows, so PostgreSQL never chose it and planned every run anew.
        return f"{sql} LIMIT {int(limit)} OFFSET {int(offset)}", params

    def converted(self, rows: list, converters: dict, connection) -> list[tuple]:
        return [self._convert(row, converters, connection) for row in rows] if converters else rows

    @staticmethod
    def _convert(row: tuple, converters: dict, connection) -> tuple:
        row = list(row)
        for position, (functions, expression) in converters.items():
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        return tuple(row)


def union_rows(
    runs: list[tuple[CompiledQuery, dict]], *, limit: int, merged_order: str | None = None
) -> list[list[tuple]]:
    """The first `limit` rows of each compiled query, run with its values, in one round trip
    (UNION ALL of the queries, each limited on its own): a list of rows per query, in order.
    With `merged_order` (an ORDER BY of the union's column positions, 1 being the query's index):
    only the first `limit` of all the rows in that order."""
    statements = [query.statement(limit, 0, values) for query, values in runs]
    connection = statements[0][0]
    sql = " UNION ALL ".join(
        f"SELECT {index} AS compiled_branch, branch.* FROM ({statement}) branch"
        for index, (_, statement, _, _) in enumerate(statements)
    )
    params = [param for _, _, branch_params, _ in statements for param in branch_params]
    if merged_order is not None:
        merged = f"SELECT * FROM ({sql}) merged ORDER BY {merged_order}"
        sql, params = runs[0][0].limited(merged, params, limit)
    found = _fetch(connection, sql, params, plan_each_run=any(query.plan_each_run for query, _ in runs))
    rows: list[list[tuple]] = [[] for _ in runs]
    for row in found:
        rows[row[0]].append(row[1:])
    return [
        query.converted(branch, converters, connection)
        for (query, _), branch, (_, _, _, converters) in zip(runs, rows, statements, strict=True)
    ]


def _written_in(sql: str, params: list, slots: list, names: tuple, stand_ins: dict, connection) -> tuple:
    """The SQL with the stand-ins of `names` written in where their placeholders were, and on
    PostgreSQL the queryset's constants too (a generic plan that does not know the status asked
    for misjudges how many rows are live); the parameters and slots left."""
    literal = None
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        literal = partial(_literal, connection.connection)
    pieces, kept_params, kept_slots, index = [], [], [], 0
    for piece in re.split(r"(%%|%s)", sql):
        if piece == "%s":
            slot, param = slots[index], params[index]
            if slot in names:
                piece = str(int(stand_ins[slot]))
            elif slot is None and literal is not None and isinstance(param, str | int):
                piece = literal(param).replace("%", "%%")
            else:
                kept_params.append(params[index])
                kept_slots.append(slots[index])
            index += 1
        pieces.append(piece)
    return "".join(pieces), kept_params, kept_slots


def _literal(raw_connection, value: str | int) -> str:
    plain = bool if isinstance(value, bool) else int if isinstance(value, int) else str  # choices too
    return psycopg.sql.Literal(plain(value)).as_string(raw_connection)


def _fetch(connection, sql: str, params: list, *, plan_each_run: bool) -> list[tuple]:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    with connection.cursor() as cursor, connection.execute_wrapper(partial(_psycopg_execute, plan_each_run)):
        cursor.execute(sql, params)
        return cursor.fetchall()


def _psycopg_execute(plan_each_run: bool, execute, sql, params, many, context):
    """An execute wrapper (inside Django's query logging): rows in binary form, and the statement
    unprepared when it is planned for its values. Only with server-side binding: without it
    (DATABASE_PREPARED_STATEMENTS=0) psycopg's client-side cursor sends the values in the SQL text,
    so every statement is planned for its values already, and it reads rows as text only."""
    connection, cursor = context["connection"], context["cursor"].cursor
    if isinstance(cursor, psycopg.ClientCursor):
        return execute(sql, params, many, context)
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        return cursor.execute(sql, params, binary=True, **({"prepare": False} if plan_each_run else {}))
