#!/usr/bin/env bash
# PulseCart scaled out on this machine, without Docker: N API processes and
# N Temporal workers behind Debian's nginx, configured from the same
# deploy/nginx files docker-compose.yml mounts (only the upstream servers, the
# listener and the certificate's path differ). nginx serves HTTPS only (HTTP/2,
# TLS 1.2+, HSTS): with the certificate in TLS_CERT_DIR (server.crt,
# server.key; default .data/tls), or a development one tools/dev-tls.sh makes
# there once, signed by a development CA (ca.crt) that clients must trust.
#
#   tools/scale-out.sh start [--apis N] [--workers N]   start (or complete) it and leave it running
#   tools/scale-out.sh stop                             stop everything a start started
#   tools/scale-out.sh status                           what runs, where
#   tools/scale-out.sh run [--apis N] [--workers N] -- COMMAND...
#                                                       start, run COMMAND (trusting the development CA:
#                                                       NODE_EXTRA_CA_CERTS), stop (also on failure or Ctrl-C)
#   tools/scale-out.sh config [--apis N]                print the nginx configuration it would run
#   tools/scale-out.sh nginx [--apis N]                 start (or reload) only nginx, in front of N APIs
#                                                       already listening (stop stops it)
#   tools/scale-out.sh rollout --api-weight W [--apis N]
#                                                       canary / blue-green: the last of the N APIs (the new
#                                                       release) gets W% of requests, the others share the rest;
#                                                       0 rolls back, 100 completes. Kept until stop.
#
# API i listens on 127.0.0.1:(3100+i), worker i serves its metrics on
# 9464+i, nginx listens on https://127.0.0.1:8080 (SCALE_OUT_API_BASE_PORT=3100,
# SCALE_OUT_WORKER_METRICS_BASE_PORT=9464 and SCALE_OUT_LISTEN change them).
# SCALE_OUT_RECONCILE_SCHEDULE=true gives worker 1, and it alone, the minute
# reconciliation schedule (a topology of its own, as tools/cluster.sh runs). NGINX_CONF=least-conn.conf
# picks least-connections balancing, as in docker compose. The processes run on the
# task queue scale-out (TEMPORAL_TASK_QUEUE), so that a dev `npm start` worker
# takes none of their workflows. Logs and pid files: .data/scale-out/ (SCALE_OUT_DIR).
# start also runs Debian's Prometheus on 127.0.0.1:9090 (SCALE_OUT_PROMETHEUS_LISTEN)
# with deploy/prometheus/alerts.yml, scraping every API, every worker and
# RabbitMQ's Prometheus plugin; SCALE_OUT_WORKER_METRICS_BASE_PORT moves the workers'.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=${SCALE_OUT_DIR:-$ROOT/.data/scale-out}
NGINX_DIR=$ROOT/deploy/nginx
TLS_CERT_DIR=${TLS_CERT_DIR:-$ROOT/.data/tls}
LISTEN=${SCALE_OUT_LISTEN:-127.0.0.1:8080}
API_BASE_PORT=${SCALE_OUT_API_BASE_PORT:-3100}
WORKER_BASE_METRICS_PORT=${SCALE_OUT_WORKER_METRICS_BASE_PORT:-9464}
PROMETHEUS_LISTEN=${SCALE_OUT_PROMETHEUS_LISTEN:-127.0.0.1:9090}
RABBITMQ_METRICS=127.0.0.1:15692
RECONCILE_ON_FIRST_WORKER=${SCALE_OUT_RECONCILE_SCHEDULE:-false}
WAIT_SECONDS=${SCALE_OUT_WAIT_SECONDS:-120}
STOP_SECONDS=30

export TEMPORAL_TASK_QUEUE=${TEMPORAL_TASK_QUEUE:-scale-out}
# nginx is the only way in: the client address is the one it appends to X-Forwarded-For.
export TRUST_PROXY=true

say() { printf '[scale-out] %s\n' "$*"; }
die() {
  printf '[scale-out] error: %s\n' "$*" >&"${ERR_FD:-2}"
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

# shellcheck source=tools/lib/processes.sh
source "$ROOT/tools/lib/processes.sh"

apis=2
workers=2
api_weight=''
command=()
parse_counts() {
  while (($# > 0)); do
    case $1 in
      --apis) apis=${2:?--apis needs a number} && shift 2 ;;
      --workers) workers=${2:?--workers needs a number} && shift 2 ;;
      --api-weight) api_weight=${2:?--api-weight needs a percentage} && shift 2 ;;
      --) shift && command=("$@") && break ;;
      -h | --help) usage ;;
      *) die "unknown argument $1 (see --help)" ;;
    esac
  done
  [[ $apis =~ ^[1-9][0-9]?$ && $workers =~ ^[1-9][0-9]?$ ]] || die "--apis and --workers take 1 to 99"
  [[ -z $api_weight || $api_weight =~ ^(100|[1-9]?[0-9])$ ]] || die "--api-weight takes 0 to 100"
}

# --- nginx ------------------------------------------------------------------

ensure_nginx() {
  command -v nginx >/dev/null && return
  [[ $(id -u) -eq 0 ]] || die "nginx is missing: install Debian's nginx package (needs root)"
  command -v apt-get >/dev/null || die "nginx is missing and there is no apt-get: install nginx by hand"
  say "installing Debian's nginx"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }
}

# The compose configuration with this machine's upstream servers and listener:
# `server api:3000 resolve;` becomes one server per API process, and the
# container's site (pulsecart.conf) becomes a site on LISTEN with its logs here.
# With a rollout's weight W (rollout, kept in RUN_DIR/api-weight), the last API gets W% of the
# requests: weight W×(N-1) against 100-W for each of the N-1 others (nginx has no weight 0: down).
render_nginx_conf() {
  local top=$NGINX_DIR/${NGINX_CONF:-nginx.conf} weight=$api_weight
  [[ -f $top ]] || die "no $top (NGINX_CONF is nginx.conf or least-conn.conf)"
  [[ -z $weight && -f $RUN_DIR/api-weight ]] && weight=$(cat "$RUN_DIR/api-weight")
  awk -v apis="$apis" -v base="$API_BASE_PORT" -v site="$RUN_DIR/site.conf" -v canary="$weight" '
    function weight_of(i) {
      if (canary == "") return ""
      if (i < apis) return canary == 100 ? " down" : " weight=" (100 - canary)
      return canary == 0 ? " down" : " weight=" (canary * (apis - 1))
    }
    /^ *server api:3000 resolve[ ;]/ {
      parameters = $0
      sub(/^ *server api:3000 resolve/, "", parameters)
      match($0, /^ */)
      for (i = 1; i <= apis; i++) printf "%sserver 127.0.0.1:%d%s%s\n", substr($0, 1, RLENGTH), base + i, weight_of(i), parameters
      replaced++
      next
    }
    /^ *include pulsecart.conf;$/ { sub(/pulsecart\.conf/, site); included++ }
    { print }
    END { exit !(replaced == 1 && included == 1) }' "$top" ||
    die "$top must have one 'server api:3000 resolve' and one 'include pulsecart.conf;' line"
}

# `listen ... ssl http2`, not compose's `http2 on;`: Debian 12's nginx (1.22) predates that directive.
render_site_conf() {
  cat <<CONF
# Generated by tools/scale-out.sh: the local counterpart of deploy/nginx/pulsecart.conf.
access_log $RUN_DIR/nginx-access.log;
error_log $RUN_DIR/nginx-error.log warn;

server {
  listen $LISTEN ssl http2;
  ssl_certificate $TLS_CERT_DIR/server.crt;
  ssl_certificate_key $TLS_CERT_DIR/server.key;
  include $NGINX_DIR/tls.conf;
  include $NGINX_DIR/proxy.conf;
}
CONF
}

nginx_cmd() {
  # Debian's nginx runs its workers as www-data (its own nginx.conf says so); ours does not set a user.
  # A graceful stop waits for open connections, and a stock stream stays open for hours: 10 s is enough.
  nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g "pid $RUN_DIR/nginx.pid; user www-data; worker_shutdown_timeout 10s;" "$@"
}

nginx_running() { [[ -f $RUN_DIR/nginx.pid ]] && kill -0 "$(cat "$RUN_DIR/nginx.pid")" 2>/dev/null; }

start_nginx() {
  ensure_nginx
  bash "$ROOT/tools/dev-tls.sh" "$TLS_CERT_DIR"
  render_site_conf >"$RUN_DIR/site.conf"
  render_nginx_conf >"$RUN_DIR/nginx.conf"
  nginx_cmd -t -q || die "nginx rejected $RUN_DIR/nginx.conf"
  if nginx_running; then
    say "nginx already running: reloading its configuration"
    nginx_cmd -s reload 2>>"$RUN_DIR/nginx-error.log"
  else
    say "starting nginx on https://$LISTEN (${NGINX_CONF:-nginx.conf}, $apis API upstream servers)"
    # The daemon keeps the stderr it was given: a file, not our caller's terminal or pipe.
    nginx_cmd </dev/null >/dev/null 2>>"$RUN_DIR/nginx-error.log" ||
      die "nginx did not start: $(tail -n 5 "$RUN_DIR/nginx-error.log")"
  fi
  # /health, not /ready: nginx keeps the internal endpoints off the public path (proxy.conf). --insecure: this
  # asks whether nginx answers, not who it is; a real certificate does not name 127.0.0.1.
  wait_until "nginx on $LISTEN" curl -fsS --insecure -o /dev/null "https://$LISTEN/health"
}

# --- Prometheus ---------------------------------------------------------------

targets() { # base port, count: '127.0.0.1:base+1',...,'127.0.0.1:base+count'
  local list=() i
  for ((i = 1; i <= $2; i++)); do list+=("'127.0.0.1:$(($1 + i))'"); done
  (IFS=, && echo "${list[*]}")
}

# deploy/prometheus/prometheus.yml's jobs with this machine's targets: static ones instead of Docker's DNS.
# No `temporal` job: the dev server serves no metrics.
render_prometheus_conf() {
  cat <<CONF
# Generated by tools/scale-out.sh: the local counterpart of deploy/prometheus/prometheus.yml.
global:
  scrape_interval: 5s
  evaluation_interval: 15s
rule_files:
  - $ROOT/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: pulsecart-api
    static_configs: [{ targets: [$(targets "$API_BASE_PORT" "$apis")] }]
  - job_name: pulsecart-worker
    static_configs: [{ targets: [$(targets "$WORKER_BASE_METRICS_PORT" "$workers")] }]
  - job_name: rabbitmq
    static_configs: [{ targets: ['$RABBITMQ_METRICS'] }]
  - job_name: rabbitmq-queues
    metrics_path: /metrics/detailed
    params: { family: [queue_coarse_metrics] }
    static_configs: [{ targets: ['$RABBITMQ_METRICS'] }]
  - job_name: prometheus
    static_configs: [{ targets: ['$PROMETHEUS_LISTEN'] }]
CONF
}

prometheus_running() { alive "$RUN_DIR/prometheus.pid" "$RUN_DIR/prometheus.yml"; }

# After the processes it scrapes, so that its first scrape finds them up. A second start rereads the
# configuration (SIGHUP): the number of APIs and workers may have changed.
start_prometheus() {
  render_prometheus_conf >"$RUN_DIR/prometheus.yml"
  promtool check config --syntax-only "$RUN_DIR/prometheus.yml" >/dev/null ||
    die "promtool rejected $RUN_DIR/prometheus.yml"
  if prometheus_running; then
    say "prometheus already running: reloading its configuration"
    kill -HUP "$(cat "$RUN_DIR/prometheus.pid")"
  else
    say "starting prometheus on http://$PROMETHEUS_LISTEN"
    spawn "$RUN_DIR/prometheus.pid" "$RUN_DIR/prometheus.log" prometheus --config.file="$RUN_DIR/prometheus.yml" \
      --storage.tsdb.path="$RUN_DIR/prometheus-data" --web.listen-address="$PROMETHEUS_LISTEN"
  fi
  wait_until prometheus alive_prometheus_ready
}

alive_prometheus_ready() {
  prometheus_running || die "prometheus exited; the end of $RUN_DIR/prometheus.log:"$'\n'"$(tail -n 20 "$RUN_DIR/prometheus.log")"
  curl -fsS -o /dev/null "http://$PROMETHEUS_LISTEN/-/ready"
}

stop_prometheus() {
  prometheus_running || return 0
  local pid
  pid=$(cat "$RUN_DIR/prometheus.pid")
  say "stopping prometheus (pid $pid)"
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  rm -f "$RUN_DIR/prometheus.pid"
}

# A reload leaves the old workers serving their open connections with the old weights: the
# rollout is done when they are gone (stock streams are cut after worker_shutdown_timeout).
rollout() {
  [[ -n $api_weight ]] || die "rollout needs --api-weight W (0 to 100)"
  ((apis >= 2)) || die "rollout needs --apis N of at least 2: the last one is the new release"
  nginx_running || die "nginx is not running: tools/scale-out.sh start (or nginx) first"
  local old_workers
  old_workers=$(ps -o pid= --ppid "$(cat "$RUN_DIR/nginx.pid")" | xargs)
  echo "$api_weight" >"$RUN_DIR/api-weight"
  start_nginx
  # shellcheck disable=SC2086 # one argument per pid
  wait_until "the old nginx workers to exit" none_alive $old_workers
  say "API 127.0.0.1:$((API_BASE_PORT + apis)) now gets $api_weight% of requests, the $((apis - 1)) others the rest"
}

none_alive() { ! kill -0 "$@" 2>/dev/null; }

# --- PulseCart processes ------------------------------------------------------

pid_file() { echo "$RUN_DIR/$1.pid"; }

running() { alive "$(pid_file "$1")" "$ROOT/src/"; }

# The Node flags each entry point runs with: the same as NODE_FLAGS in tools/lib/processes.ts.
node_flags() { # entry
  case $1 in
    src/api/main.ts) echo --max-semi-space-size=64 ;;
  esac
}

launch() { # name, entry, VAR=value...
  local name=$1 entry=$2 flags
  shift 2
  if running "$name"; then
    say "$name already running (pid $(cat "$(pid_file "$name")"))"
    return
  fi
  flags=$(node_flags "$entry")
  say "starting $name: $* node $flags --import tsx $entry"
  # shellcheck disable=SC2086 # the flags are words
  spawn "$(pid_file "$name")" "$RUN_DIR/$name.log" env "$@" node $flags --import tsx "$ROOT/$entry"
}

# Fails at once when the process died, with the end of its log.
alive_and() { # name, command...
  local name=$1
  shift
  running "$name" || die "$name exited; the end of $RUN_DIR/$name.log:"$'\n'"$(tail -n 20 "$RUN_DIR/$name.log")"
  "$@"
}

worker_polls() { curl -fsS "http://127.0.0.1:$1/metrics" | grep -q '^temporal_num_pollers{.*poller_type="workflow_task"'; }

start_processes() {
  local i port reconcile
  for ((i = 1; i <= workers; i++)); do
    # Their own task queue: the reconciliation schedule stays with the dev workers, unless asked for.
    reconcile=false
    ((i == 1)) && reconcile=$RECONCILE_ON_FIRST_WORKER
    launch "worker-$i" src/workers/main.ts "WORKER_METRICS_PORT=$((WORKER_BASE_METRICS_PORT + i))" "RECONCILE_SCHEDULE=$reconcile"
  done
  for ((i = 1; i <= apis; i++)); do launch "api-$i" src/api/main.ts "PORT=$((API_BASE_PORT + i))"; done
  for ((i = 1; i <= workers; i++)); do
    port=$((WORKER_BASE_METRICS_PORT + i))
    wait_until "worker-$i" alive_and "worker-$i" worker_polls "$port"
  done
  for ((i = 1; i <= apis; i++)); do
    port=$((API_BASE_PORT + i))
    wait_until "api-$i" alive_and "api-$i" curl -fsS -o /dev/null "http://127.0.0.1:$port/ready"
  done
}

stop_process() { stop_pid "$1" "$(pid_file "$1")" "$ROOT/src/"; }

# nginx stops accepting first; the APIs then answer what it still has in flight and end their stock
# streams, which lets nginx finish; the workers go last.
stop_all() {
  local nginx_pid='' file
  if nginx_running; then
    say "stopping nginx"
    nginx_pid=$(cat "$RUN_DIR/nginx.pid")
    nginx_cmd -s quit 2>>"$RUN_DIR/nginx-error.log"
  fi
  for file in "$RUN_DIR"/api-*.pid "$RUN_DIR"/worker-*.pid; do
    [[ -e $file ]] && stop_process "$(basename "$file" .pid)"
  done
  stop_prometheus
  if [[ -n $nginx_pid ]]; then
    while kill -0 "$nginx_pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$RUN_DIR/api-weight"
  say "stopped"
}

# Processes of an earlier, larger start: nginx no longer sends them anything.
stop_surplus() {
  local file name limit
  for file in "$RUN_DIR"/api-*.pid "$RUN_DIR"/worker-*.pid; do
    [[ -e $file ]] || continue
    name=$(basename "$file" .pid)
    limit=$apis
    [[ $name == worker-* ]] && limit=$workers
    if ((${name##*-} > limit)); then stop_process "$name"; fi
  done
}

ensure_environment() {
  bash "$ROOT/tools/services.sh"
  if [[ -z ${TEMPORAL_ADDRESS:-} ]]; then (cd "$ROOT" && node --import tsx tools/temporal-cli.ts); fi
  # Every process refuses to start without a signing secret; unset, they share the one `npm start` keeps.
  if [[ -z ${JWT_SECRET:-} && -z ${JWT_JWKS_URL:-} ]]; then
    say "JWT_SECRET is not set: signing tokens with the secret kept in .data/jwt-secret"
    JWT_SECRET=$(cd "$ROOT" && node --import tsx tools/signing-secret-cli.ts)
    export JWT_SECRET
  fi
  # Every process refuses to talk to Temporal without payload keys; unset, they share the ones `npm start` keeps.
  if [[ -z ${PAYLOAD_KEYS:-} ]]; then
    say "PAYLOAD_KEYS is not set: encrypting Temporal payloads with the keys kept in .data/payload-keys"
    PAYLOAD_KEYS=$(cd "$ROOT" && node --import tsx tools/payload-keys-cli.ts)
    export PAYLOAD_KEYS
  fi
  (cd "$ROOT" && node --import tsx tools/migrate-cli.ts)
}

start() {
  mkdir -p "$RUN_DIR"
  ensure_environment
  stop_surplus
  start_processes
  start_nginx
  start_prometheus
  say "PulseCart on https://$LISTEN: $apis API processes, $workers workers (task queue $TEMPORAL_TASK_QUEUE);"
  say "Prometheus on http://$PROMETHEUS_LISTEN; logs in $RUN_DIR"
}

status() {
  local file name
  for file in "$RUN_DIR"/api-*.pid "$RUN_DIR"/worker-*.pid; do
    [[ -e $file ]] || continue
    name=$(basename "$file" .pid)
    if running "$name"; then say "$name running (pid $(cat "$file"))"; else say "$name not running"; fi
  done
  if nginx_running; then say "nginx running on $LISTEN"; else say "nginx not running"; fi
  if prometheus_running; then say "prometheus running on $PROMETHEUS_LISTEN"; else say "prometheus not running"; fi
}

action=${1:-}
(($# > 0)) && shift
case $action in
  start) parse_counts "$@" && start ;;
  stop) stop_all ;;
  status) status ;;
  config) parse_counts "$@" && render_nginx_conf ;;
  nginx) parse_counts "$@" && mkdir -p "$RUN_DIR" && start_nginx ;;
  rollout) parse_counts "$@" && rollout ;;
  run)
    parse_counts "$@"
    ((${#command[@]} > 0)) || die "run needs a command after --"
    trap stop_all EXIT
    trap 'exit 130' INT TERM
    start
    # Node clients (the flash-sale simulator) trust the development CA; a real certificate needs nothing.
    if [[ -f $TLS_CERT_DIR/ca.crt ]]; then export NODE_EXTRA_CA_CERTS=$TLS_CERT_DIR/ca.crt; fi
    say "running: ${command[*]}"
    "${command[@]}"
    ;;
  -h | --help | help) usage ;;
  *) usage 1 ;;
esac
