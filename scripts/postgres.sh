#!/usr/bin/env bash
# Runs a command (the test suite) beside a throwaway PostgreSQL server:
#
#   scripts/postgres.sh go test ./internal/store/...
#
# It installs the Debian package `postgresql` when initdb is missing, initdb's a cluster into a
# temp dir (as the `postgres` user when run as root: initdb refuses root), starts it on
# 127.0.0.1 with a free port and its unix socket in that dir, creates a database, runs the
# command with INTEGRITYBOT_TEST_POSTGRES set to its DSN, then stops the server (pg_ctl stop,
# which signals the PID in postmaster.pid) and removes the dir, also when the command fails or
# is interrupted. When PostgreSQL cannot be installed or started the command still runs, without
# the variable: the Postgres store tests then skip and say why. An INTEGRITYBOT_TEST_POSTGRES
# already set is used as is (your own server).
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: $0 command [args...]" >&2; exit 2; }

say() { echo "postgres.sh: $*" >&2; }
run_without() {
  say "$1; running without PostgreSQL (its store tests skip)"
  "${@:2}"
  exit $?
}

if [ -n "${INTEGRITYBOT_TEST_POSTGRES:-}" ]; then
  exec "$@"
fi

# pgbin finds initdb and pg_ctl: Debian keeps them in /usr/lib/postgresql/VERSION/bin, off PATH.
pgbin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
  fi
}

bin=$(pgbin)
if [ -z "$bin" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    say "installing postgresql with apt-get…"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq &&
      $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends postgresql >&2 ||
      say "apt-get install postgresql failed"
    bin=$(pgbin)
  else
    cat >&2 <<TXT
postgres.sh: PostgreSQL (initdb, pg_ctl) is missing. This script installs it only on Debian/Ubuntu
(apt-get). Elsewhere: macOS (Homebrew): brew install postgresql; Fedora: sudo dnf install
postgresql-server. Or point INTEGRITYBOT_TEST_POSTGRES at a server of your own (a DSN whose user
may create schemas).
TXT
  fi
fi
[ -n "$bin" ] || run_without "PostgreSQL is not installed" "$@"

# As root, the cluster belongs to the postgres user (created by the Debian package).
as=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || run_without "running as root and there is no postgres user to run initdb as" "$@"
  as=(runuser -u postgres --)
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/integritybot-pg.XXXXXX") || run_without "mktemp failed" "$@"
cleanup() {
  # postmaster.pid exists from the server's first moments (also when pg_ctl start was cut
  # short); pg_ctl stop signals that PID and waits.
  if [ -f "$dir/data/postmaster.pid" ]; then
    if ! "${as[@]}" "$bin/pg_ctl" stop -D "$dir/data" -m fast -w -t 30 >/dev/null 2>&1; then
      say "pg_ctl stop failed; the server's data and log are kept in $dir"
      return
    fi
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
[ ${#as[@]} -eq 0 ] || chown postgres "$dir"
chmod 700 "$dir"

# Local (socket) connections are trusted; TCP needs the random password in the DSN.
pass=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$pass" >"$dir/pw"
[ ${#as[@]} -eq 0 ] || chown postgres "$dir/pw"
if ! "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  --pwfile="$dir/pw" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  run_without "initdb failed" "$@"
fi
rm -f "$dir/pw"

# A throwaway server need not survive a power cut: fsync=off, unless PG_FSYNC=on (benchmarks
# that should pay for durable commits).
fsync=off
[ "${PG_FSYNC:-off}" = on ] && fsync=on

# A free port: pick random ones until the server starts on one (another process may take a
# port between the check and the bind; pg_ctl then fails and the next port is tried).
port=""
for _ in 1 2 3 4 5 6 7 8; do
  p=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue # taken
  if "${as[@]}" "$bin/pg_ctl" start -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $p -k $dir -c fsync=$fsync -c max_connections=200" >/dev/null 2>&1; then
    port=$p
    break
  fi
done
if [ -z "$port" ]; then
  cat "$dir/log" >&2 2>/dev/null
  run_without "the server did not start" "$@"
fi
if ! "${as[@]}" "$bin/createdb" -h "$dir" -p "$port" -U postgres integritybot_test >&2; then
  run_without "createdb failed" "$@"
fi
export INTEGRITYBOT_TEST_POSTGRES="postgres://postgres:$pass@127.0.0.1:$port/integritybot_test?sslmode=disable"
say "PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port, fsync=$fsync (data in $dir, stopped when the command ends)"
"$@"
