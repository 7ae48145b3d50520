#!/bin/sh
# Exports passwords from Docker secrets files into the variables the config names.
set -e
[ -n "$PG_PASSWORD_FILE" ] && [ -f "$PG_PASSWORD_FILE" ] && export PG_PASSWORD="$(cat "$PG_PASSWORD_FILE")"
[ -n "$MSSQL_PASSWORD_FILE" ] && [ -f "$MSSQL_PASSWORD_FILE" ] && export MSSQL_PASSWORD="$(cat "$MSSQL_PASSWORD_FILE")"
exec "$@"
