"""Staging tables: the checked rows of each file, in temporary tables of the import's transaction.

Rows go in as a stream (PostgreSQL: COPY through psycopg; SQLite: executemany
in batches), each with its line number, so that the checks that need other
rows or the database run as set operations in SQL and still name their line.
"""
from sqlalchemy import text

from portal.importer.spec import BY_NAME

SQL_TYPES = {
    "postgresql": {"text": "text", "integer": "integer", "boolean": "boolean", "date": "date"},
    # SQLite keeps dates as ISO text, as SQLAlchemy's Date does, and booleans as 0/1.
    "sqlite": {"text": "TEXT", "integer": "INTEGER", "boolean": "INTEGER", "date": "TEXT"},
}
SQLITE_BATCH = 5000


class Staging:
    def __init__(self, connection):
        self.connection = connection
        self.dialect = connection.dialect.name
        if self.dialect not in SQL_TYPES:
            raise RuntimeError(f"the importer does not support {self.dialect}")
        self.postgres = self.dialect == "postgresql"
        self.staged = set()  # names of the files staged so far

    def _sql(self, statement):
        return self.connection.execute(text(statement))

    def load(self, spec, rows):
        """Create the staging table of `spec` and stream `rows` into it; returns the count."""
        table = spec.stage
        types = SQL_TYPES[self.dialect]
        columns = ", ".join(f"{column.name} {types[column.sql_type]}" for column in spec.columns)
        self._sql(f"DROP TABLE IF EXISTS {table}")
        self._sql(f"CREATE TEMPORARY TABLE {table} (line integer NOT NULL, {columns})")
        names = ", ".join(["line"] + [column.name for column in spec.columns])
        count = self._copy(table, names, rows) if self.postgres else self._insert(table, names, spec, rows)
        if self.postgres:
            # Autovacuum never analyses temporary tables; without statistics the
            # checks below would be planned as if the tables were empty.
            self._sql(f"ANALYZE {table}")
        else:
            self._sql(f"CREATE INDEX {table}_key ON {table} ({', '.join(spec.key)})")
        self.staged.add(spec.name)
        return count

    def _copy(self, table, names, rows):
        raw = self.connection.connection.driver_connection
        count = 0
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count

    def _insert(self, table, names, spec, rows):
        statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * (len(spec.columns) + 1))})"
        count, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) >= SQLITE_BATCH:
                self.connection.exec_driver_sql(statement, batch)
                count, batch = count + len(batch), []
        if batch:
            self.connection.exec_driver_sql(statement, batch)
            count += len(batch)
        return count

    def duplicates(self, spec):
        """(line, key values, first line) of every repeat of a key within the file."""
        table, key = spec.stage, spec.key
        join = " AND ".join(f"s.{k} = f.{k}" for k in key)
        present = " AND ".join(f"{k} IS NOT NULL" for k in key)
        keys = ", ".join(key)
        result = self._sql(
            f"SELECT s.line, f.first_line, {', '.join('s.' + k for k in key)} FROM {table} s"
            f" JOIN (SELECT {keys}, MIN(line) AS first_line FROM {table} WHERE {present}"
            f" GROUP BY {keys} HAVING COUNT(*) > 1) f ON {join}"
            f" WHERE s.line > f.first_line ORDER BY s.line"
        )
        for line, first_line, *values in result:
            yield line, values, first_line

    def dangling(self, spec, reference):
        """(line, value) of every row whose reference is neither in the folder nor in the database."""
        table, column, target = spec.stage, reference.column, reference.target
        conditions = [f"s.{column} IS NOT NULL"]
        if reference.when:
            conditions.append(f"({reference.when})")
        if reference.file in self.staged:
            stage = BY_NAME[reference.file].stage
            conditions.append(f"NOT EXISTS (SELECT 1 FROM {stage} x WHERE x.{target} = s.{column})")
        conditions.append(
            f"NOT EXISTS (SELECT 1 FROM {reference.table} d WHERE d.{target} = s.{column})"
        )
        result = self._sql(
            f"SELECT s.line, s.{column} FROM {table} s WHERE {' AND '.join(conditions)} ORDER BY s.line"
        )
        yield from result

    def rows(self, spec):
        """The staged rows of a small file, as mappings, in file order."""
        names = ", ".join(column.name for column in spec.columns)
        return self._sql(f"SELECT line, {names} FROM {spec.stage} ORDER BY line").mappings().all()

    def drop(self):
        for name in sorted(self.staged):
            self._sql(f"DROP TABLE IF EXISTS {BY_NAME[name].stage}")
        self.staged.clear()
