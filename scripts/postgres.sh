#!/usr/bin/env bash
# Start the local PostgreSQL cluster if it is installed but not answering.
set -u
command -v pg_isready >/dev/null 2>&1 || exit 0
pg_isready -h 127.0.0.1 -p 5432 -q && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | head -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 20); do pg_isready -h 127.0.0.1 -p 5432 -q && exit 0; sleep 0.5; done
fi
echo "PostgreSQL is not answering on 127.0.0.1:5432; its tests will say so."
