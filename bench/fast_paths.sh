#!/usr/bin/env bash
# The views through 2 workers against the raw-SQL baseline (throughput.py), with the engine's fast paths on and
# off (PARCOURSPRO_FAST_PATHS), on a fresh SQLite file and on a fresh PostgreSQL database (127.0.0.1:5432, user
# postgres, trust auth; the database bench_fast_paths is created and dropped). About 8 minutes.
#     bash bench/fast_paths.sh [throughput.py's options; default --seconds 5 --runs 3]
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--seconds 5 --runs 3)
pg() { psql -h 127.0.0.1 -U postgres -qc "$1" >/dev/null; }
for database in sqlite postgresql; do
  for fast in true false; do
    if [ "$database" = postgresql ]; then
      pg "DROP DATABASE IF EXISTS bench_fast_paths" && pg "CREATE DATABASE bench_fast_paths"
      export PARCOURSPRO_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench_fast_paths
    else
      unset PARCOURSPRO_DATABASE_URL
    fi
    echo "=== $database, fast paths $fast, $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
    PARCOURSPRO_FAST_PATHS=$fast .venv/bin/python bench/throughput.py "${args[@]}"
  done
done
pg "DROP DATABASE IF EXISTS bench_fast_paths"
