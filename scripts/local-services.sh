#!/usr/bin/env bash
# Local Redis and MariaDB for console mode, tests and CI.
#
#   scripts/local-services.sh install install the Debian packages (apt-get), when missing
#                                     (redis-server, redis-sentinel, mariadb-server, mariadb-client)
#   scripts/local-services.sh install-bench  also what the benches compare against (mydumper,
#                                     for bench/copy-table), when missing; CI runs no bench
#   scripts/local-services.sh start   install (when missing) and start both; idempotent
#   scripts/local-services.sh stop    stop both
#   scripts/local-services.sh status  print what runs where
#
# Both listen on loopback only, keep their data under .local/ (git-ignored) and use ports
# that do not collide with system services: OPSDECK_REDIS_PORT (6380), OPSDECK_MYSQL_PORT (3307).
# The MariaDB root user has no password: this database is for local use only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${OPSDECK_LOCAL_DIR:-$root/.local}"
redis_port="${OPSDECK_REDIS_PORT:-6380}"
mysql_port="${OPSDECK_MYSQL_PORT:-3307}"
redis_dir="$state/redis"
mysql_dir="$state/mysql"
mysql_sock="$mysql_dir/mysqld.sock"

log() { printf '[local-services] %s\n' "$*" >&2; }

need_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  # Only the failover test (test/e2e/redis-failover.test.ts) starts sentinels, on ports of its own.
  command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
  command -v mariadb >/dev/null || missing+=(mariadb-client)
  # The sandbox makes its CA and its instances' certificates with it.
  command -v openssl >/dev/null || missing+=(openssl)
  # The sandbox cloud: read replicas start from a mariadb-backup copy of their source; the
  # on-premise stand-in's replication leaves from its own address through a small C shim.
  command -v mariadb-backup >/dev/null || missing+=(mariadb-backup)
  { command -v cc >/dev/null && [ -e /usr/include/dlfcn.h ]; } || missing+=(gcc libc6-dev)
  # A second, independent AWS client for the sandbox's tests (Debian's, not a pip one on PATH).
  [ -x /usr/bin/aws ] || missing+=(awscli)
  # Tests of Redis over TLS make their CA and certificates with openssl; redis-cli plays an
  # attacker with write access to Redis in the queue-authentication tests.
  command -v openssl >/dev/null || missing+=(openssl)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

need_bench_packages() {
  command -v mydumper >/dev/null && command -v myloader >/dev/null && return
  log "installing mydumper"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mydumper >/dev/null
}

redis_up() { redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; }
mysql_up() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$mysql_port" -uroot ping >/dev/null 2>&1; }

wait_for() { # name check-fn seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    if $2; then return 0; fi
    sleep 0.1
  done
  log "$1 did not come up in $3 s"
  return 1
}

start_redis() {
  if redis_up; then log "redis already up on 127.0.0.1:$redis_port"; return; fi
  mkdir -p "$redis_dir"
  # AOF on and noeviction, as in production: queues must survive a restart and never be evicted.
  redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$redis_dir" \
    --appendonly yes --maxmemory-policy noeviction --save '' \
    --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
  wait_for redis redis_up 20
  log "redis up on 127.0.0.1:$redis_port"
}

start_mysql() {
  if mysql_up; then log "mariadb already up on 127.0.0.1:$mysql_port"; return; fi
  local mariadbd
  mariadbd="$(command -v mariadbd || echo /usr/sbin/mariadbd)"
  if [ ! -d "$mysql_dir/data/mysql" ]; then
    mkdir -p "$mysql_dir/data"
    mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$mysql_dir/data" \
      --auth-root-authentication-method=normal --skip-test-db >"$mysql_dir/install.log" 2>&1
  fi
  nohup "$mariadbd" --no-defaults --user="$(id -un)" --datadir="$mysql_dir/data" \
    --bind-address=127.0.0.1 --port="$mysql_port" --socket="$mysql_sock" \
    --pid-file="$mysql_dir/mariadbd.pid" --log-error="$mysql_dir/error.log" \
    --log-bin=binlog --server-id=1 --binlog-format=ROW \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --max-connections=500 >/dev/null 2>&1 &
  wait_for mariadb mysql_up 60
  log "mariadb up on 127.0.0.1:$mysql_port"
}

stop_all() {
  if redis_up; then redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true; fi
  if mysql_up; then mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$mysql_port" -uroot shutdown || true; fi
  # A server that did not answer (busy, out of connections) is still ours to stop: its pid file
  # says which process it is (a CI run once left one running that way, holding its data dir).
  local pid i
  pid="$(cat "$mysql_dir/mariadbd.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  log "stopped"
}

case "${1:-start}" in
  install) need_packages ;;
  install-bench) need_bench_packages ;;
  start) need_packages; start_redis; start_mysql ;;
  stop) stop_all ;;
  status)
    redis_up && echo "redis: up on 127.0.0.1:$redis_port" || echo "redis: down"
    mysql_up && echo "mariadb: up on 127.0.0.1:$mysql_port" || echo "mariadb: down"
    ;;
  *) echo "usage: $0 install|install-bench|start|stop|status" >&2; exit 2 ;;
esac
