"""The store: one Ibis connection holding the event tables, opened from a URL or a file path."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend

from moments.errors import InputError, Problem, StoreError
from moments.store.schema import ADDITIVE_SINCE, SCHEMA_VERSION, TABLES

if TYPE_CHECKING:
    from moments.store.spark import Warehouse

ENGINES = {
    "duckdb": "duckdb",
    "postgresql": "postgres",
    "postgres": "postgres",
    "spark": "spark",
}


def parse_url(url: str | Path) -> tuple[str, str]:
    """Split a store URL into (engine, location). A bare path means a DuckDB file;
    ``postgresql://user:pass@host:port/db`` a PostgreSQL database and
    ``spark://local[2]?warehouse=/path`` Parquet tables run by Spark (location: the URL)."""
    text = str(url)
    if text.startswith("duckdb://"):
        return "duckdb", text.removeprefix("duckdb://") or ":memory:"
    if "://" in text:
        scheme = text.split("://", 1)[0]
        if scheme in ENGINES and scheme != "duckdb":
            return ENGINES[scheme], text
        raise StoreError(
            f"engine '{scheme}' is not supported; use a DuckDB file path, duckdb:///path, "
            "postgresql://user:password@host:port/database or "
            "spark://local[2]?warehouse=/path"
        )
    return "duckdb", text


def redact(url: str) -> str:
    """A URL fit to print: the password replaced by ***."""
    head, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    cred, _, host = rest.rpartition("@")
    user = cred.split(":", 1)[0]
    return f"{head}://{user}{':***' if ':' in cred else ''}@{host}"


class Store:
    """An open store. Every query goes through :attr:`con`, an Ibis backend."""

    def __init__(self, con: BaseBackend, engine: str, location: str) -> None:
        self.con = con
        self.engine = engine
        self.location = location
        self._in_tx = False
        self.warehouse: Warehouse | None = None  # Spark only
        self._bound: dict[str, str] = {}  # bound_rows: name → compiled SQL

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        url: str | Path,
        create: bool = True,
        memory_limit: str | None = None,
        spark_driver_memory: str | None = None,
    ) -> Store:
        """Open (or create) the store at ``url``. ``memory_limit`` caps DuckDB, and is Spark's
        driver heap unless ``spark_driver_memory`` is given; PostgreSQL's server sets its own."""
        engine, location = parse_url(url)
        if engine == "postgres":
            return cls._open_postgres(location, create)
        if engine == "spark":
            return cls._open_spark(location, create, spark_driver_memory or memory_limit)
        if location != ":memory:":
            path = Path(location)
            if not path.exists() and not create:
                raise StoreError(
                    f"{location}: no such store; create it with 'moments init --db {location}'"
                )
            if path.exists() and path.is_dir():
                raise StoreError(f"{location} is a folder; give a file path for the DuckDB store")
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = ibis.duckdb.connect(location)
        except Exception as e:  # duckdb raises IOException for a non-database file
            raise StoreError(
                f"{location}: cannot open as a DuckDB store ({e}); "
                "is it a DuckDB file, and is no other program writing to it?"
            ) from None
        # rows in a table have no order we rely on; keeping it makes big inserts (a judgement
        # of 10 M lived moments) hold everything in memory instead of streaming
        con.raw_sql("SET preserve_insertion_order = false")
        if memory_limit:
            try:
                con.raw_sql(f"SET memory_limit = '{memory_limit.replace(chr(39), '')}'")
            except Exception as e:
                con.disconnect()
                raise StoreError(
                    f"memory limit '{memory_limit}' is not understood ({e}); write e.g. 4GB"
                ) from None
        store = cls(con, engine, location)
        store._ensure_schema()
        return store

    @classmethod
    def _open_postgres(cls, url: str, create: bool) -> Store:
        shown = redact(url)
        try:
            con = ibis.connect(url)
        except Exception as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise StoreError(
                f"{shown}: cannot connect to PostgreSQL ({first}); is the server running, and "
                "are the host, port, user, password and database right?"
            ) from None
        store = cls(con, "postgres", shown)
        if not create and "meta" not in con.list_tables():
            store.close()
            raise StoreError(f"{shown}: no moments store there; create it with 'moments init'")
        store._ensure_schema()
        return store

    @classmethod
    def _open_spark(cls, url: str, create: bool, heap: str | None) -> Store:
        from moments.store import spark

        master, root = spark.parse(url)
        session = spark.session(master, heap)
        con = ibis.pyspark.connect(session)
        store = cls(con, "spark", url)
        store.warehouse = spark.Warehouse(session, root)
        store.warehouse.attach(TABLES, create)
        store._ensure_schema()
        return store

    def close(self) -> None:
        if self.engine == "spark":
            return  # the process's one Spark session serves every Spark store it opens
        with contextlib.suppress(Exception):
            self.con.disconnect()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_schema(self) -> None:
        existing = set(self.con.list_tables())
        upgrade = False
        if "meta" in existing:
            found = self.meta("schema_version")
            upgrade = (
                found is not None
                and found.isdigit()
                and (ADDITIVE_SINCE <= int(found) < SCHEMA_VERSION)
            )
            if found != str(SCHEMA_VERSION) and not upgrade:
                raise StoreError(
                    f"{self.location} has schema version {found}, this moments has "
                    f"{SCHEMA_VERSION}; use a matching version of moments or export and re-load"
                )
        missing = [name for name in TABLES if name not in existing]
        if self.engine == "postgres" and "audit" in existing:
            self._pg_keep_append_only("audit")
        if not missing and not upgrade:
            return
        # PostgreSQL: each statement commits by itself; a creation cut short is finished by the
        # next open, which creates whatever tables are still missing
        tx = self.transaction() if self.engine != "postgres" else contextlib.nullcontext()
        with tx:
            for name in missing:
                if self.warehouse is not None:
                    self.warehouse.register(name, TABLES[name])
                else:
                    self.con.create_table(name, schema=TABLES[name])
            if "audit" in missing and self.engine == "postgres":
                self._pg_append_only("audit")
            if upgrade and self.warehouse is not None:  # Parquet tables have no UPDATE
                meta = self.table("meta")
                version = ibis.literal(str(SCHEMA_VERSION))
                self.replace(
                    "meta",
                    meta.mutate(
                        value=ibis.ifelse(meta.key == "schema_version", version, meta.value)
                    ),
                )
            elif upgrade:
                self.con.raw_sql(
                    f"UPDATE meta SET value = '{SCHEMA_VERSION}' WHERE key = 'schema_version'"
                )
            if "meta" in missing:
                now = datetime.now(UTC).isoformat()
                self.append(
                    "meta",
                    pa.table(
                        {
                            "key": ["schema_version", "created_at"],
                            "value": [str(SCHEMA_VERSION), now],
                        }
                    ),
                )

    def _pg_keep_append_only(self, name: str) -> None:
        """Put back the append-only trigger of a table that lacks it (a store made before the
        trigger existed, or a trigger dropped by hand). Only the table's owner may: for anyone
        else the store opens as it is, and the owner's next open puts it back."""
        import psycopg

        with self.con.con.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
                (name, f"{name}_no_change"),
            )
            row = cur.fetchone()
        if row is not None and row[0]:
            return
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            self._pg_append_only(name)

    def _pg_append_only(self, name: str) -> None:
        """PostgreSQL: a trigger that refuses UPDATE, DELETE (of any row) and TRUNCATE of a
        table, so even a client writing SQL by hand cannot rewrite it (the audit log)."""
        fn = _q(f"moments_{name}_append_only")
        with self.con.con.cursor() as cur:
            cur.execute(
                f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION '% of % refused: the table is append-only', "
                "TG_OP, TG_TABLE_NAME; END $$"
            )
            cur.execute(
                f"CREATE OR REPLACE TRIGGER {_q(f'{name}_no_change')} BEFORE UPDATE OR DELETE "
                f"ON {_q(name)} FOR EACH ROW EXECUTE FUNCTION {fn}()"
            )
            cur.execute(
                f"CREATE OR REPLACE TRIGGER {_q(f'{name}_no_truncate')} BEFORE TRUNCATE "
                f"ON {_q(name)} FOR EACH STATEMENT EXECUTE FUNCTION {fn}()"
            )

    # -- access ----------------------------------------------------------------------------
    def table(self, name: str) -> ibis.Table:
        return self.con.table(name)

    def meta(self, key: str) -> str | None:
        t = self.table("meta")
        rows = t.filter(t.key == key).value.to_pyarrow().to_pylist()
        return rows[0] if rows else None

    def count(self, name: str) -> int:
        return int(self.table(name).count().to_pyarrow().as_py())

    def append(self, name: str, obj: ibis.Table | pa.Table, rebalance: bool = True) -> None:
        """Append rows (an expression on this store, or Arrow) to a table, columns by name.

        ``rebalance`` (Spark): write files of Spark's advisory size, not one per task; off for
        large writes whose tasks already fill big files (it shuffles the rows once more)."""
        target = TABLES[name]
        if isinstance(obj, pa.Table):
            if self.warehouse is not None:
                with self._spark_change(name):
                    self.warehouse.write(name, obj, target)
                return
            obj = ibis.memtable(obj)  # Arrow in, so no pandas type inference
        obj = obj.select(*[obj[c].cast(target[c]).name(c) for c in target.names])
        if self.warehouse is not None:
            with self._spark_change(name):
                self.warehouse.insert(name, self._spark_frame(obj), rebalance)
            return
        self.con.insert(name, obj)

    def replace(self, name: str, obj: ibis.Table) -> None:
        """Replace a table's rows (inside the caller's transaction); ``obj`` may read the table
        itself (it is computed before the table is cleared)."""
        if self.warehouse is not None:
            self._spark_overwrite(name, obj)
            return
        kept = self.materialize(obj)
        try:
            self.clear(name)
            self.append(name, kept)
        finally:
            self.drop_temp(kept)

    def clear(self, name: str) -> None:
        """Remove every row of a table (inside the caller's transaction)."""
        if self.warehouse is not None:
            with self._spark_change(name):
                self.warehouse.discard(name)
            return
        self.con.raw_sql(f"DELETE FROM {_q(name)}")

    def delete_in(self, name: str, column: str, values: Sequence[str]) -> None:
        """Delete the rows of a derived table whose ``column`` is one of ``values``."""
        if not values:
            return
        ids = memtable([{"v": v} for v in values], {"v": "string"})
        if self.warehouse is not None:
            t = self.table(name)
            self._spark_overwrite(name, t.filter(~t[column].isin(ids.v)))
            return
        tmp = self.materialize(ids)
        try:
            self.con.raw_sql(
                f"DELETE FROM {_q(name)} WHERE {_q(column)} IN "
                f"(SELECT v FROM {_q(tmp.get_name().split('.')[-1])})"
            )
        finally:
            self.drop_temp(tmp)

    def sizes(self) -> dict[str, int]:
        return {name: self.count(name) for name in TABLES}

    def memory_limit(self) -> str | None:
        """The engine's memory cap as it reports it: DuckDB's ``memory_limit``, Spark's driver
        heap; None on PostgreSQL, whose server sets its own."""
        if self.engine == "duckdb":
            return str(self.con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0])
        if self.warehouse is not None:
            return str(self.warehouse.spark.sparkContext.getConf().get("spark.driver.memory"))
        return None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: changes inside are committed together or not at all."""
        if self._in_tx:
            yield
            return
        self._in_tx = True
        try:
            if self.warehouse is not None:
                with self.warehouse.lock(), self.warehouse.changes(TABLES):
                    yield
                return
            if self.engine == "postgres":
                # Ibis's own statements inside become savepoints of this one transaction
                raw = self.con.con
                raw.commit()
                with raw.transaction():
                    yield
                return
            self.con.raw_sql("BEGIN TRANSACTION")
            try:
                yield
            except BaseException:
                self.con.raw_sql("ROLLBACK")
                raise
            else:
                self.con.raw_sql("COMMIT")
        finally:
            self._in_tx = False

    def analyze(self, *tables: str) -> None:
        """PostgreSQL: refresh the planner's statistics after a bulk change (a fresh table's
        defaults lead it to nested loops that never end on millions of rows)."""
        if self.engine == "postgres" and not self._in_tx:
            with contextlib.suppress(Exception):
                self.con.raw_sql(f"ANALYZE {', '.join(_q(t) for t in tables)}").close()

    @contextlib.contextmanager
    def exclusive(self, *tables: str) -> Iterator[None]:
        """Inside, no other writer changes ``tables`` (readers go on): on PostgreSQL one
        transaction holding a lock on them, so two loaders of the same events cannot both find
        them new. DuckDB has one writer per file anyway; Spark stores have a lock file."""
        if self.warehouse is not None:
            with self.warehouse.lock():
                yield
            return
        if self.engine != "postgres":
            yield
            return
        with self.transaction():
            names = ", ".join(_q(t) for t in tables)
            self.con.con.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
            yield

    @contextlib.contextmanager
    def staged_chunks(self, chunks: Iterable[pa.Table]) -> Iterator[ibis.Table]:
        """A temporary table filled from Arrow chunks whose columns may differ (all strings)."""
        if self.engine == "postgres":
            with self._pg_staged(chunks) as t:
                yield t
            return
        if self.warehouse is not None:
            with self._spark_staged(chunks) as t:
                yield t
            return
        name = _temp_name("stage")
        raw = self._duck()
        columns: list[str] = []
        try:
            for chunk in chunks:
                view = _temp_name("chunk")
                raw.register(view, chunk)
                try:
                    if not columns:
                        raw.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {view}")
                        columns = list(chunk.column_names)
                        continue
                    for c in chunk.column_names:
                        if c not in columns:
                            raw.execute(f"ALTER TABLE {name} ADD COLUMN {_q(c)} VARCHAR")
                            columns.append(c)
                    raw.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {view}")
                finally:
                    raw.unregister(view)
            if not columns:
                raw.execute(f"CREATE TEMP TABLE {name} (_line BIGINT)")
            yield self.con.table(name)
        finally:
            raw.execute(f"DROP TABLE IF EXISTS {name}")

    @contextlib.contextmanager
    def staged_parquet(self, path: Path, line: str) -> Iterator[ibis.Table]:
        """A temporary view over a Parquet file, with each row's 1-based number as ``line``."""
        if self.engine == "postgres":
            with self._pg_staged(_parquet_chunks(path, line)) as t:
                yield t
            return
        if self.warehouse is not None:
            with self._spark_staged(_parquet_chunks(path, line)) as t:
                yield t
            return
        name = _temp_name("stage")
        raw = self._duck()
        lit = str(path).replace("'", "''")
        try:
            raw.execute(
                f"CREATE TEMP VIEW {name} AS SELECT * EXCLUDE (file_row_number), "
                f"file_row_number + 1 AS {_q(line)} "
                f"FROM read_parquet('{lit}', file_row_number = true)"
            )
        except Exception as e:
            raise InputError(
                Problem(
                    f"cannot read as Parquet ({str(e).splitlines()[0]})",
                    "is the file complete? a half-written Parquet file has no footer; "
                    "write it again",
                    str(path),
                )
            ) from None
        try:
            yield self.con.table(name)
        finally:
            raw.execute(f"DROP VIEW IF EXISTS {name}")

    def materialize(
        self, expr: ibis.Table, ranged_by: str | None = None, parts: int = 1
    ) -> ibis.Table:
        """Compute an expression once into a temporary table (dropped with the connection).

        ``ranged_by``: the column that later filters select ranges of (in about ``parts``
        ranges); on Spark the rows are then kept as Parquet split and sorted by it, so each
        filter reads its range only. DuckDB's and PostgreSQL's temporary tables are kept as
        they are."""
        if self.warehouse is not None:
            frame = self._spark_frame(expr)
            if ranged_by is not None:
                name, _ = self.warehouse.keep_ranged(frame, ranged_by, parts)
            else:
                name, _ = self.warehouse.keep(frame)
            return self.con.table(name)
        name = _temp_name("tmp")
        return self.con.create_table(name, expr, temp=True)

    def drop_temp(self, t: ibis.Table) -> None:
        if self.warehouse is not None:
            self.warehouse.drop_view(t.get_name())
            return
        self.con.drop_table(t.get_name(), force=True)

    def _duck(self) -> Any:
        """The raw DuckDB connection, for the few engine-specific fast paths of the store."""
        self._writable()
        return self.con.con

    def _writable(self) -> None:
        if self.engine not in ("duckdb", "postgres", "spark"):
            raise StoreError(
                f"loading or judging into a {self.engine} store is not supported yet (it can be "
                "read and analysed): load and judge into a DuckDB file, then copy it "
                "with 'moments export --db FILE --to URL --replace'"
            )

    @contextlib.contextmanager
    def _pg_staged(self, chunks: Iterable[pa.Table]) -> Iterator[ibis.Table]:
        """PostgreSQL: a temporary table filled by COPY from Arrow chunks. Every column is text
        except the row's line number (the last column of each chunk is not assumed: by name)."""
        import pyarrow.csv as pacsv

        name = _temp_name("stage")
        raw = self.con.con
        columns: list[str] = []
        plain = pacsv.WriteOptions(include_header=False)
        try:
            with raw.cursor() as cur:
                for chunk in chunks:
                    if not columns:
                        columns = list(chunk.column_names)
                        ints = {f.name for f in chunk.schema if pa.types.is_integer(f.type)}
                        defs = ", ".join(
                            f"{_q(c)} {'BIGINT' if c in ints else 'TEXT'}" for c in columns
                        )
                        cur.execute(f"CREATE TEMP TABLE {name} ({defs})")
                    for c in chunk.column_names:
                        if c not in columns:
                            cur.execute(f"ALTER TABLE {name} ADD COLUMN {_q(c)} TEXT")
                            columns.append(c)
                    cols = ", ".join(_q(c) for c in chunk.column_names)
                    buf = io.BytesIO()
                    pacsv.write_csv(chunk, buf, write_options=plain)
                    with cur.copy(f"COPY {name} ({cols}) FROM STDIN WITH (FORMAT csv)") as cp:
                        cp.write(buf.getvalue())
                if not columns:
                    cur.execute(f"CREATE TEMP TABLE {name} (_line BIGINT)")
            yield self.con.table(name)
        finally:
            with contextlib.suppress(Exception), raw.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {name}")

    # -- Spark: Parquet folders, a lock file, and files noted before a change ---------------
    @contextlib.contextmanager
    def _spark_change(self, name: str) -> Iterator[None]:
        assert self.warehouse is not None
        if self._in_tx:  # the transaction already holds the lock and notes every table
            yield
            return
        with self.warehouse.lock(), self.warehouse.changes([name]):
            yield

    def _spark_frame(self, expr: ibis.Table) -> Any:
        """A Spark DataFrame for an expression (its in-memory tables registered first, as
        Ibis does before it executes one)."""
        self.con._run_pre_execute_hooks(expr)
        return self.con.raw_sql(self.con.compile(expr))

    def _spark_overwrite(self, name: str, obj: ibis.Table) -> None:
        """Spark's Parquet tables have no DELETE: compute the new rows first (they may read
        the table itself), then write them in place of the old files."""
        assert self.warehouse is not None
        target = TABLES[name]
        obj = obj.select(*[obj[c].cast(target[c]).name(c) for c in target.names])
        view, df = self.warehouse.keep(self._spark_frame(obj))
        try:
            with self._spark_change(name):
                self.warehouse.discard(name)
                self.warehouse.insert(name, df)
        finally:
            self.warehouse.drop_view(view)

    @contextlib.contextmanager
    def _spark_staged(self, chunks: Iterable[pa.Table]) -> Iterator[ibis.Table]:
        assert self.warehouse is not None
        name, _ = self.warehouse.stage(chunks)
        try:
            yield self.con.table(name)
        finally:
            self.warehouse.drop_view(name)

    # -- fast paths for one-row-at-a-time reads --------------------------------------------
    def bound_rows(
        self, name: str, build: Callable[[str], ibis.Table], value: str
    ) -> list[dict[str, Any]]:
        """The rows of ``build(value)``, for a query asked again and again with another value
        (a customer's card). DuckDB and PostgreSQL compile it once (as ``name``) and run it with
        the value as a bound parameter; other engines run the Ibis expression."""
        if self.engine not in ("duckdb", "postgres"):
            return build(value).to_pyarrow().to_pylist()
        sql = self._bound.get(name)
        if sql is None:
            sentinel = f"__moments_bound_{uuid.uuid4().hex}__"
            sql = str(self.con.compile(build(sentinel)))
            quoted = f"'{sentinel}'"
            if self.engine == "postgres":
                sql = sql.replace("%", "%%").replace(quoted, "%(v)s")
            else:
                sql = sql.replace(quoted, "$v")
            self._bound[name] = sql
        if self.engine == "duckdb":
            rows: list[dict[str, Any]] = (
                self.con.con.execute(sql, {"v": value}).to_arrow_table().to_pylist()
            )
            return rows
        with self.con.con.cursor() as cur:
            cur.execute(sql, {"v": value})
            names = [d.name for d in cur.description or []]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def create_index(self, table: str, column: str) -> None:
        """An index on ``column`` (DuckDB and PostgreSQL; safe to repeat)."""
        if self.engine not in ("duckdb", "postgres"):
            raise StoreError(f"a {self.engine} store has no indexes")
        self.con.raw_sql(
            f"CREATE INDEX IF NOT EXISTS {_q(f'{table}_{column}')} ON {_q(table)} ({_q(column)})"
        )

    def sql(self, query: str) -> ibis.Table:
        return self.con.sql(query)


def _parquet_chunks(path: Path, line: str) -> Iterator[pa.Table]:
    """A Parquet file's rows as text columns, numbered from 1 in ``line`` (for COPY)."""
    import pyarrow.parquet as pq

    try:
        f = pq.ParquetFile(path)
    except Exception as e:
        raise InputError(
            Problem(
                f"cannot read as Parquet ({str(e).splitlines()[0]})",
                "is the file complete? a half-written Parquet file has no footer; write it again",
                str(path),
            )
        ) from None
    start = 1
    for batch in f.iter_batches(batch_size=200_000):
        t = pa.Table.from_batches([batch])
        t = t.append_column(line, pa.array(range(start, start + t.num_rows), pa.int64()))
        start += t.num_rows
        yield t


def _temp_name(prefix: str) -> str:
    return f"_moments_{prefix}_{uuid.uuid4().hex[:12]}"


def _q(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def memtable(rows: list[dict[str, Any]], schema: dict[str, str] | ibis.Schema) -> ibis.Table:
    """An in-memory table from rows, typed by ``schema`` (built with Arrow, not pandas)."""
    sch = schema if isinstance(schema, ibis.Schema) else ibis.schema(schema)
    return ibis.memtable(pa.Table.from_pylist(rows, schema=sch.to_pyarrow()))
