#!/usr/bin/env bash
# Every benchmark of bench/, on SQLite then on PostgreSQL, in one run; the output goes to
# bench/results/<date>.txt and is what bench/README.md's table reports.
#
#   bash bench/run_all.sh                     # needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust)
#   PG_ADMIN=postgresql://postgres@127.0.0.1:5432/postgres bash bench/run_all.sh
#
# Run it on an otherwise idle machine (wrk from Debian's package `wrk` gives cleaner throughput figures).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_HOST=${PG_HOST:-127.0.0.1}
mkdir -p bench/results
OUT=bench/results/$(date -u +%Y-%m-%d).txt
: > "$OUT"

fresh_pg() {  # a new empty PostgreSQL database, echoes its SQLAlchemy URL
  local name="pp_bench_$1"
  psql -h "$PG_HOST" -U postgres -qc "DROP DATABASE IF EXISTS $name" postgres >/dev/null
  psql -h "$PG_HOST" -U postgres -qc "CREATE DATABASE $name" postgres >/dev/null
  echo "postgresql+asyncpg://postgres@$PG_HOST:5432/$name"
}

run() {  # run <label> <script> [args...]
  local label=$1; shift
  echo "## $label: $*" | tee -a "$OUT"
  "$PY" "$@" 2>&1 | tee -a "$OUT"
  echo | tee -a "$OUT"
}

# Shorter than each script's defaults, so that the whole run takes about a quarter of an hour.
declare -A ARGS=([throughput]="--seconds 5 --runs 3" [documents]="--renders 20 --runs 3")

{ echo "# $(date -u +%FT%TZ) on $(nproc) cores, $(uname -sr)"; git log -1 --format='# commit %h %s'; echo; } | tee -a "$OUT"
for db in sqlite postgresql; do
  for script in auth structures registrations throughput documents; do
    if [ "$db" = postgresql ]; then
      PARCOURSPRO_DATABASE_URL=$(fresh_pg "$script") run "$db" "bench/$script.py" ${ARGS[$script]:-}
    else
      (unset PARCOURSPRO_DATABASE_URL; run "$db" "bench/$script.py" ${ARGS[$script]:-})
    fi
  done
  # The column "fast paths off": the views through the server with PARCOURSPRO_FAST_PATHS=false (plain
  # strawberry and graphql-core), against the same baseline, so each shortcut's worth can be read.
  if [ "$db" = postgresql ]; then
    PARCOURSPRO_FAST_PATHS=false PARCOURSPRO_DATABASE_URL=$(fresh_pg throughput_off) \
      run "$db, fast paths off" bench/throughput.py ${ARGS[throughput]}
  else
    (unset PARCOURSPRO_DATABASE_URL; PARCOURSPRO_FAST_PATHS=false \
      run "$db, fast paths off" bench/throughput.py ${ARGS[throughput]})
  fi
done
echo "written to $OUT"
