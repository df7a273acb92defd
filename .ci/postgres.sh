#!/usr/bin/env bash
# Make a PostgreSQL server available for the quarantine/postgres tests.
#
# Usage (as root, on Debian):
#
#   eval "$(bash .ci/postgres.sh)"          # sets MUGAI_TEST_POSTGRES in this shell
#   bash .ci/postgres.sh --env-file FILE    # also writes the export line to FILE
#
# Idempotent: installs the Debian package `postgresql` only when psql or
# pg_ctlcluster are missing, creates a cluster only when there is none,
# starts it only when it is down, creates role mugai (password mugai) and
# database mugai_test owned by it only when absent. Progress goes to stderr;
# stdout carries only the export line, so the eval above is safe.
#
# Exit status: 0 when the DSN was checked with a real connection; 1 otherwise
# (callers that treat PostgreSQL as optional use `|| true` and the tests skip).
set -euo pipefail

role=mugai
password=mugai
db=mugai_test
env_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --env-file) env_file="${2:?--env-file needs a file}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "postgres.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { echo "postgres.sh: $*" >&2; }

# as_postgres runs a command as the postgres OS user.
as_postgres() {
  if command -v runuser >/dev/null 2>&1; then
    runuser -u postgres -- "$@"
  else
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  fi
}

if [ "$(id -u)" != 0 ]; then
  log "must run as root (installs packages, starts the cluster)"
  exit 1
fi

# 1. Install.
if ! command -v psql >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql postgresql-client >&2
fi

# 2. A cluster: the newest installed major version, cluster "main".
ver=$(pg_lsclusters -h 2>/dev/null | awk '{print $1}' | sort -V | tail -n1)
if [ -z "$ver" ]; then
  ver=$(ls /usr/lib/postgresql | sort -V | tail -n1)
  log "creating cluster $ver/main"
  pg_createcluster "$ver" main >&2
fi
cluster=$(pg_lsclusters -h | awk -v v="$ver" '$1 == v {print $2; exit}')

# 3. Start it when it is down.
status=$(pg_lsclusters -h | awk -v v="$ver" -v c="$cluster" '$1 == v && $2 == c {print $4}')
if [ "$status" != online ]; then
  log "starting cluster $ver/$cluster"
  pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" start >&2 2>&1 ||
    pg_ctlcluster "$ver" "$cluster" start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$ver" -v c="$cluster" '$1 == v && $2 == c {print $3}')
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$port" || { log "server on port $port not ready"; exit 1; }

# 4. Role and database.
as_postgres psql -q -X -p "$port" -v ON_ERROR_STOP=1 -d postgres >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN PASSWORD '$password';
  ELSE
    ALTER ROLE $role LOGIN PASSWORD '$password';
  END IF;
END
\$\$;
SQL
if [ "$(as_postgres psql -X -At -p "$port" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
  log "creating database $db"
  as_postgres createdb -p "$port" -O "$role" "$db" >&2
else
  # The tests create schemas (and the trusted extension pg_trgm): they need
  # to own the database.
  as_postgres psql -q -X -p "$port" -v ON_ERROR_STOP=1 -d postgres -c "ALTER DATABASE $db OWNER TO $role" >&2
fi

# 5. Check the DSN with a real TCP connection and password.
dsn="postgres://$role:$password@127.0.0.1:$port/$db?sslmode=disable"
if ! PGCONNECT_TIMEOUT=10 psql -X -At "$dsn" -c 'SELECT 1' >/dev/null; then
  log "cannot connect with $dsn (check pg_hba.conf allows md5/scram or trust on 127.0.0.1)"
  exit 1
fi
log "ready: PostgreSQL $ver/$cluster on 127.0.0.1:$port"

line="export MUGAI_TEST_POSTGRES='$dsn'"
if [ -n "$env_file" ]; then
  echo "$line" >"$env_file"
fi
echo "$line"
