#!/usr/bin/env bash
# Ensures PostgreSQL, Redis and RabbitMQ run on 127.0.0.1 with PulseCart's
# databases, Redis with its append-only file and RabbitMQ with its Prometheus
# endpoint (as in docker-compose.yml), and that Debian's Chromium (the
# storefront's browser test) and Prometheus (the alert rules' tests, the
# scale-out) are there. Idempotent: installs Debian's packages only when
# missing, starts only what is down, and returns at once when everything
# already answers.
set -euo pipefail

PG_DATABASES=(pulsecart pulsecart_test)
WAIT_SECONDS=${SERVICES_WAIT_SECONDS:-90}

say() { printf '[services] %s\n' "$*"; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name, command...
  local name=$1; shift
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$name did not answer within ${WAIT_SECONDS}s"
    sleep 0.5
  done
}

need_root() {
  [[ $(id -u) -eq 0 ]] || die "$1 needs root (apt-get, service). Run as root, or start it yourself and set the *_URL variables."
  command -v apt-get >/dev/null || die "$1 is missing and there is no apt-get: install it by hand or use docker compose."
}

apt_updated=0
apt_install() {
  need_root "installing $*"
  if ((apt_updated == 0)); then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_cluster_version() {
  ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1
}

ensure_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    command -v pg_ctlcluster >/dev/null && [[ -n $(pg_cluster_version) ]] || apt_install postgresql
    local version conf_dir
    version=$(pg_cluster_version)
    conf_dir=/etc/postgresql/$version/main
    [[ -d $conf_dir ]] || die "no PostgreSQL cluster in /etc/postgresql"
    need_root "starting PostgreSQL"
    # Local connections are trusted: this server listens on loopback only.
    if ! grep -q '^# pulsecart' "$conf_dir/pg_hba.conf"; then
      say "trusting loopback connections in $conf_dir/pg_hba.conf"
      local hba
      hba=$(mktemp)
      {
        echo '# pulsecart: loopback is trusted (dev/CI only)'
        echo 'local all all trust'
        echo 'host all all 127.0.0.1/32 trust'
        echo 'host all all ::1/128 trust'
        cat "$conf_dir/pg_hba.conf"
      } >"$hba"
      install -o postgres -g postgres -m 640 "$hba" "$conf_dir/pg_hba.conf"
      rm -f "$hba"
    fi
    install -o postgres -g postgres -m 644 /dev/stdin "$conf_dir/conf.d/pulsecart.conf" <<'CONF'
listen_addresses = '127.0.0.1'
max_connections = 300
CONF
    say "starting PostgreSQL $version"
    pg_ctlcluster "$version" main start || pg_ctlcluster "$version" main restart
    wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
  fi
  local db
  for db in "${PG_DATABASES[@]}"; do
    if [[ -z $(psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
      say "creating database $db"
      psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
    fi
  done
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  need_root "starting Redis"
  say "starting Redis"
  service redis-server start >/dev/null 2>&1 ||
    redis-server --bind 127.0.0.1 --port 6379 --appendonly yes --daemonize yes >/dev/null
  wait_for Redis sh -c 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG'
}

# Reservations and per-buyer counts survive a Redis restart with the append-only file (PostgreSQL stays the
# truth; reconciliation repairs what is lost either way). Switched on live, without a restart: Redis writes
# the file from its data in the background. CONFIG REWRITE keeps it on in redis.conf, when there is one.
ensure_redis_aof() {
  local redis=(redis-cli -h 127.0.0.1 -p 6379)
  [[ $("${redis[@]}" CONFIG GET appendonly | tail -n 1) == yes ]] && return
  say "turning on Redis' append-only file (appendonly yes)"
  "${redis[@]}" CONFIG SET appendonly yes >/dev/null
  if [[ -n $("${redis[@]}" INFO server | sed -n 's/^config_file:\(.*\)\r$/\1/p') ]]; then
    "${redis[@]}" CONFIG REWRITE >/dev/null
  fi
}

ensure_rabbitmq() {
  if port_open 5672; then return; fi
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  need_root "starting RabbitMQ"
  say "starting RabbitMQ (Erlang takes a few seconds)"
  service rabbitmq-server start >/dev/null 2>&1 || true
  wait_for RabbitMQ port_open 5672
  rabbitmqctl await_startup >/dev/null 2>&1 || die "RabbitMQ did not finish starting"
}

# Prometheus reads queue depths (the stock queues, the dead letters) from this plugin, as compose's image has it.
ensure_rabbitmq_prometheus() {
  if port_open 15692; then return; fi
  need_root "enabling RabbitMQ's Prometheus plugin"
  say "enabling RabbitMQ's Prometheus plugin (metrics on 127.0.0.1:15692)"
  rabbitmq-plugins enable --quiet rabbitmq_prometheus >/dev/null
  wait_for "RabbitMQ's Prometheus endpoint" port_open 15692
}

# Debian's prometheus package: its promtool unit-tests the alert rules (test/prometheus.test.ts), and
# tools/scale-out.sh runs its server. Only recommended packages are skipped (node exporter and the like).
ensure_prometheus() {
  if command -v prometheus >/dev/null && command -v promtool >/dev/null; then return; fi
  apt_install --no-install-recommends prometheus
}

# Only the end-to-end test needs it: without root, say so and let the rest run.
ensure_chromium() {
  if command -v chromium >/dev/null; then return; fi
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    say "warning: chromium is missing and cannot be installed here; the storefront's browser test will fail"
    return
  fi
  apt_install chromium
}

ensure_postgres
ensure_redis
ensure_redis_aof
ensure_rabbitmq
ensure_rabbitmq_prometheus
ensure_prometheus
ensure_chromium
say "PostgreSQL 127.0.0.1:5432, Redis 127.0.0.1:6379 (append-only file), RabbitMQ 127.0.0.1:5672 (metrics on 15692) are up"
