#!/usr/bin/env bash
# System packages the tests use, from Debian's archive (no browser or tool downloads).
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
# PostgreSQL for tests/test_postgres.py (history/feedback on a real server; see scripts/start-postgres.sh).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# A CJK font, so browser screenshots show Chinese instead of empty boxes.
dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || need+=(fonts-wqy-zenhei)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing ${need[*]}: install them with apt (browser / PostgreSQL tests will be skipped)" >&2
  fi
fi
