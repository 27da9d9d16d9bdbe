"""Hot queries whose SQL is made once per process.

Building a queryset and compiling it to SQL costs Django more CPU than PostgreSQL spends running
a simple indexed query: for a page of twenty list rows about 0.75 ms against 0.25 ms (bench/).
For the busiest uncached reads (articles/listing.py) a `CompiledQuery` keeps the SQL of its
queryset, compiled with stand-in values, and runs it again with the real ones, returning tuples.
The queryset stays the definition (the published() rule, the columns, the order); only its
compilation is kept. An `int` value may be a slice bound, which the ORM writes into the SQL text
(`LIMIT 20 OFFSET 40` of a subquery): it is put into the text at run time, as an integer.

On PostgreSQL with prepared statements (DATABASE_PREPARED_STATEMENTS), the server soon plans a
statement once for any values (a generic plan). That suits a query whose best plan is the same
for every value; not one scoped to a topic, whose best plan depends on how many items the topic
has: walking the newest-first index suits a large topic, and costs a small one a walk through most
of the index (6 ms against 0.8 at 50,000 articles, worse with more). Such a query is made with
`plan_each_run=True`: it is sent unprepared, and planned for its values each time.

On PostgreSQL the rows come back in binary form: Django's loader of times in text form is Python
code, and cost more than running the query (0.5 ms for the hundred rows of a feed's newest
items). A compiled query selects ids, times, text and booleans, whose binary loaders are psycopg's
own (times in the connection's time zone, UTC, as Django sets it)."""

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import psycopg
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

    def __init__(self, build: Callable[..., QuerySet], *, plan_each_run: bool = False, **kinds: type):
        self.build = build
        self.plan_each_run = plan_each_run
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
        in_text = {
            name: re.compile(rf"\b{value}\b")
            for name, value in stand_ins.items()
            if isinstance(value, int) and name not in slots
        }
        found = {name for name, pattern in in_text.items() if len(pattern.findall(sql)) == 1}
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
            sql, params = f"{sql} LIMIT %s OFFSET %s", [*params, limit, offset]
        return connection, sql, params, converters

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
        sql, params = f"SELECT * FROM ({sql}) merged ORDER BY {merged_order} LIMIT %s", [*params, limit]
    found = _fetch(connection, sql, params, plan_each_run=any(query.plan_each_run for query, _ in runs))
    rows: list[list[tuple]] = [[] for _ in runs]
    for row in found:
        rows[row[0]].append(row[1:])
    return [
        query.converted(branch, converters, connection)
        for (query, _), branch, (_, _, _, converters) in zip(runs, rows, statements, strict=True)
    ]


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
