#!/usr/bin/env bash
# Make sure a PostgreSQL answers on 127.0.0.1:5432 for the tests; start or install it if not.
# Fails loudly: the suite must never silently skip PostgreSQL.
set -euo pipefail
host=127.0.0.1 port=5432
ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }
command -v pg_isready >/dev/null && ready && exit 0
if [ "$(id -u)" = 0 ]; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "ensure-postgres: installing PostgreSQL from Debian" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
if ! ready; then
  echo "ensure-postgres: FAILED - no PostgreSQL on $host:$port and it could not be started" >&2
  exit 1
fi
# Trust auth for the local test user, as on these machines; set LOGCENTER_TEST_DATABASE_URL to use another.
