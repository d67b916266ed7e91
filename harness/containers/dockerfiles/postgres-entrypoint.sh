#!/bin/sh
# Initialises the cluster on first start (trust authentication, as the harness asks for), then runs
# the server as the postgres user; other commands (pg_dump, psql) run as given.
set -eu
if [ "${1:-}" = "postgres" ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    runuser -u postgres -- initdb -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  # setpriv execs (runuser would stay as PID 1 and not pass on the SIGINT/SIGQUIT of a fast or
  # immediate shutdown): PostgreSQL itself is the main process, as in the official image.
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
fi
exec "$@"
