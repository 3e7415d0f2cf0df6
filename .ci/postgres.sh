#!/usr/bin/env bash
# Install (Debian packages), start PostgreSQL on 127.0.0.1:5432 and create the test role.
# Idempotent; runs as root. Prints the DATABASE_URL to use.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | grep "^$version main" | grep -q online; then
  pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'supervision') THEN
    CREATE ROLE supervision LOGIN CREATEDB PASSWORD 'supervision';
  END IF;
END $$;
SQL
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname='supervision'\"" | grep -q 1 \
  || su postgres -c "createdb -O supervision supervision"
# pg_trgm for name search; created here because the test role is not a superuser.
su postgres -c "psql -q -d template1 -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'"
su postgres -c "psql -q -d supervision -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'"
echo "postgres://supervision:supervision@127.0.0.1:5432/supervision"
