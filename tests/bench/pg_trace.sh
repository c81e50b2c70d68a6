#!/usr/bin/env bash
# The PostgreSQL side of the trace comparison: the same lots, log entries
# and transform edges bench_proof wrote as CSV (LL_BENCH_PG_CSV), loaded
# into Debian's PostgreSQL started here on a loopback port, indexed, and
# the same backward trace run as one recursive query (no proofs) with
# pgbench, 200 times. Prints Markdown rows for docs/benchmarks.md.
# Usage: tests/bench/pg_trace.sh CSV_DIR
set -euo pipefail
csv=$(cd "${1:?usage: pg_trace.sh CSV_DIR}" && pwd)
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
    echo "pg_trace: PostgreSQL is not installed (apt-get install postgresql)" >&2
    exit 2
fi
work=$(mktemp -d /tmp/lotledger-pg.XXXXXX)
user=$(id -un)
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres "$work"; user=postgres; fi
cleanup() { run "$bin/pg_ctl" -D "$work/db" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
port=$((20000 + RANDOM % 20000))
run "$bin/initdb" -D "$work/db" -A trust -U "$user" >/dev/null
run "$bin/pg_ctl" -D "$work/db" -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=off" \
    -l "$work/log" -w start >/dev/null
psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1 -q)
cp "$csv/events.csv" "$csv/edges.csv" "$work/"
[ "$(id -u)" = 0 ] && chown postgres "$work"/*.csv
"${psql[@]}" <<SQL
CREATE TABLE log (lot text NOT NULL, event text NOT NULL, type int NOT NULL, org text NOT NULL);
CREATE TABLE edge (input text NOT NULL, output text NOT NULL);
COPY log FROM '$work/events.csv' WITH (FORMAT csv);
COPY edge FROM '$work/edges.csv' WITH (FORMAT csv);
CREATE INDEX log_lot ON log (lot);
CREATE INDEX edge_output ON edge (output);
ANALYZE;
SQL
cat >"$work/trace.sql" <<'SQL'
WITH RECURSIVE t(lot, depth) AS (
    SELECT 'tlc/fda/42/T0-0'::text, 0
  UNION
    SELECT e.input, t.depth + 1 FROM edge e JOIN t ON e.output = t.lot
    WHERE t.depth < 16
)
SELECT l.lot, l.event, l.type, l.org FROM log l JOIN (SELECT DISTINCT lot FROM t) s ON l.lot = s.lot;
SQL
rows=$("${psql[@]}" -At -f "$work/trace.sql" | wc -l)
(cd "$work" && run "$bin/pgbench" -h 127.0.0.1 -p "$port" -U "$user" -n -f "$work/trace.sql" \
    -t 200 -l --log-prefix="$work/lat" postgres >"$work/pgbench.out" 2>&1)
sort -n <(awk '{print $3 / 1000.0}' "$work"/lat.*) >"$work/lat.sorted"
n=$(wc -l <"$work/lat.sorted")
p50=$(sed -n "$(( (n + 1) / 2 ))p" "$work/lat.sorted")
p99=$(sed -n "$(( n * 99 / 100 ))p" "$work/lat.sorted")
ver=$("$bin/postgres" --version | awk '{print $3}')
echo "| PostgreSQL $ver recursive query, p50 | $p50 | ms | same lots and edges, indexed; $rows rows, no proofs (tests/bench/pg_trace.sh) |"
echo "| PostgreSQL $ver recursive query, p99 | $p99 | ms | 200 runs with pgbench over loopback TCP |"
