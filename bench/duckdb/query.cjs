// Runs one SQL query in an in-memory DuckDB (the npm package
// @duckdb/node-api) and writes the result as JSON lines, keys = column
// names, to the file given as the second argument ('-' for none); prints
// the row count on stderr.
//
//   DUCKDB_NODE_DIR=/tmp/duckdb-bench/node_modules node query.cjs "SQL" out.jsonl
'use strict';
const fs = require('fs');
const modDir = process.env.DUCKDB_NODE_DIR || '/tmp/duckdb-bench/node_modules';
const { DuckDBInstance } = require(require.resolve('@duckdb/node-api', { paths: [modDir] }));

function value(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  return JSON.stringify(String(v));
}

(async () => {
  const [sql, outPath] = process.argv.slice(2);
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const reader = await con.runAndReadAll(sql);
  const cols = reader.columnNames();
  const rows = reader.getRows();
  if (outPath && outPath !== '-') {
    const keys = cols.map((c) => JSON.stringify(c) + ':');
    const lines = rows.map((r) => '{' + r.map((v, i) => keys[i] + value(v)).join(',') + '}');
    fs.writeFileSync(outPath, lines.length ? lines.join('\n') + '\n' : '');
  }
  process.stderr.write(`duckdb: ${rows.length} rows\n`);
})().catch((e) => {
  process.stderr.write(`duckdb: ${e.message}\n`);
  process.exit(1);
});
