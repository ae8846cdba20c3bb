#!/usr/bin/env bash
# Debian packages the browser and PostgreSQL tests need: chromium (driven by playwright; never a
# downloaded browser) and postgresql (a throwaway server the SQL tests start themselves).
# Installs them when missing and we may (root + apt). Otherwise says what is missing: those
# tests then skip locally, and fail under CI=true.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "note: missing ${need[*]} (install with: sudo apt-get install ${need[*]});" \
       "browser/PostgreSQL tests will be skipped"
fi
