#!/usr/bin/env bash
# PulseCart's production topology on this machine, without Docker: what
# docker-compose.yml describes, on the distributed engines it stands for.
#
#   npm run cluster [-- start]   start whatever is not running yet, and leave it running
#   npm run cluster -- stop      stop everything a start started, and nothing else
#   npm run cluster -- status    one JSON line: what runs where
#   npm run cluster -- env       the environment that points PulseCart at it:
#                                eval "$(npm run -s cluster -- env)"
#
# What runs, and the variables that move it (defaults: issue 12's ports):
#   Redis Cluster  3 primaries + 3 replicas of Debian's redis-server, 127.0.0.1:7000-7005
#                  (CLUSTER_REDIS_PORT=7000), append-only as in compose
#   RabbitMQ       3 clustered nodes pulsecart-1..3@<host> (CLUSTER_RABBITMQ_NAME=pulsecart) of Debian's rabbitmq-server, AMQP on
#                  5673-5675 (CLUSTER_AMQP_PORT=5673), Erlang distribution 25673-25675; the
#                  dead-letter queue is a quorum queue
#   Temporal       Temporal Server v1.29.1 on PostgreSQL (databases temporal_cluster and
#                  temporal_cluster_visibility, 16 history shards), frontend 127.0.0.1:7233
#                  (CLUSTER_TEMPORAL_PORT; it also takes P+1, P+2, P+6, P+10 and P-300..P-294),
#                  Web UI ui-server v2.55.0 on 8233 (CLUSTER_TEMPORAL_UI_PORT)
#   PulseCart      tools/scale-out.sh: 2 APIs on 3200+i (CLUSTER_API_BASE_PORT), 2 workers with
#                  metrics on 9564+i (CLUSTER_WORKER_METRICS_BASE_PORT), nginx on 127.0.0.1:8080
#                  (CLUSTER_LISTEN); worker 1 alone keeps the reconciliation schedule
# PostgreSQL is the one the services script runs (CLUSTER_PG_HOST/PORT/USER/PASSWORD); PulseCart's
# own database is DATABASE_URL's. The Temporal binaries are built once from the Go module proxy into
# .cache/. Configuration: deploy/temporal/{server,ui,dynamicconfig}.yaml and deploy/nginx, as compose.
# Data, logs and pid files: .data/cluster/ (CLUSTER_DIR). A port that something else holds stops
# the start with a message naming it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Absolute: redis-server opens its log after moving into its --dir.
RUN_DIR=$(realpath -m "${CLUSTER_DIR:-$ROOT/.data/cluster}")
WAIT_SECONDS=${CLUSTER_WAIT_SECONDS:-180}
STOP_SECONDS=30

REDIS_PORT=${CLUSTER_REDIS_PORT:-7000}
REDIS_NODES=6
# A primary silent this long is failed over to its replica.
REDIS_NODE_TIMEOUT_MS=${CLUSTER_REDIS_NODE_TIMEOUT_MS:-3000}

RABBIT_NODES=3
AMQP_PORT=${CLUSTER_AMQP_PORT:-5673}
RABBIT_NAME=${CLUSTER_RABBITMQ_NAME:-pulsecart}
RABBIT_HOST=$(hostname -s)
RABBIT_BIN=/usr/lib/rabbitmq/bin

TEMPORAL_VERSION=v1.29.1
TEMPORAL_UI_VERSION=v2.55.0
TEMPORAL_BIN=$ROOT/.cache/temporal-server/$TEMPORAL_VERSION
TEMPORAL_UI_BIN=$ROOT/.cache/temporal-ui/$TEMPORAL_UI_VERSION
export CLUSTER_TEMPORAL_PORT=${CLUSTER_TEMPORAL_PORT:-7233}
export CLUSTER_TEMPORAL_UI_PORT=${CLUSTER_TEMPORAL_UI_PORT:-8233}
export CLUSTER_TEMPORAL_DB=${CLUSTER_TEMPORAL_DB:-temporal_cluster}
export CLUSTER_TEMPORAL_VISIBILITY_DB=${CLUSTER_TEMPORAL_VISIBILITY_DB:-temporal_cluster_visibility}
export CLUSTER_TEMPORAL_DYNAMIC_CONFIG=$ROOT/deploy/temporal/dynamicconfig.yaml
export CLUSTER_PG_HOST=${CLUSTER_PG_HOST:-127.0.0.1}
export CLUSTER_PG_PORT=${CLUSTER_PG_PORT:-5432}
export CLUSTER_PG_USER=${CLUSTER_PG_USER:-postgres}
export CLUSTER_PG_PASSWORD=${CLUSTER_PG_PASSWORD:-}

API_BASE_PORT=${CLUSTER_API_BASE_PORT:-3200}
WORKER_METRICS_BASE_PORT=${CLUSTER_WORKER_METRICS_BASE_PORT:-9564}
LISTEN=${CLUSTER_LISTEN:-127.0.0.1:8080}
APIS=2
WORKERS=2

say() { printf '[cluster] %s\n' "$*" >&2; }
die() {
  printf '[cluster] error: %s\n' "$*" >&"${ERR_FD:-2}"
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

# shellcheck source=tools/lib/processes.sh
source "$ROOT/tools/lib/processes.sh"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free() { # port, what, the variable that moves it
  listening "$1" || return 0
  local holder
  holder=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -n 1 | sed 's/users:(("\([^"]*\)",pid=\([0-9]*\)/\1, pid \2/')
  die "port $1 ($2) is taken${holder:+ by $holder}: stop that, or move the cluster with $3"
}

go_build() { # folder, module@version
  local binary
  binary=$1/$(basename "${2%@*}")
  [[ -x $binary ]] && return
  command -v go >/dev/null || die "no Go toolchain to build $2: install Go"
  say "building $2 from the Go module proxy into $1 (a few minutes, once)"
  mkdir -p "$1"
  GOBIN=$1 CGO_ENABLED=0 go install "$2" || die "go install $2 failed"
}

# --- Redis Cluster --------------------------------------------------------------------------

redis_ports() { seq "$REDIS_PORT" $((REDIS_PORT + REDIS_NODES - 1)); }
redis_pid_file() { echo "$RUN_DIR/redis/$1/redis.pid"; }
redis_alive() { alive "$(redis_pid_file "$1")" "redis-server 127.0.0.1:$1"; }

start_redis_node() {
  local port=$1 dir=$RUN_DIR/redis/$1
  redis_alive "$port" && return
  mkdir -p "$dir"
  say "starting Redis node 127.0.0.1:$port"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --appendonly yes --save '' \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout "$REDIS_NODE_TIMEOUT_MS"
}

redis_cluster_ok() {
  local port
  for port in $(redis_ports); do
    redis-cli -p "$port" cluster info | grep -q '^cluster_state:ok' || return 1
  done
}

no_slot_assigned() {
  local port
  for port in $(redis_ports); do
    redis-cli -p "$port" cluster info | grep -q '^cluster_slots_assigned:0' || return 1
  done
}

ensure_redis() {
  command -v redis-server >/dev/null || bash "$ROOT/tools/services.sh"
  local port
  for port in $(redis_ports); do start_redis_node "$port"; done
  for port in $(redis_ports); do wait_until "Redis node $port" redis-cli -p "$port" ping; done
  # A restarted node rejoins from its nodes.conf; only a fresh set of nodes is made a cluster.
  if no_slot_assigned; then
    say "creating the Redis Cluster: 3 primaries, 3 replicas"
    # shellcheck disable=SC2046
    redis-cli --cluster create $(redis_ports | sed 's/^/127.0.0.1:/') --cluster-replicas 1 --cluster-yes \
      >>"$RUN_DIR/redis/create.log"
  fi
  wait_until "the Redis Cluster" redis_cluster_ok
}

stop_redis() {
  local port
  for port in $(redis_ports); do stop_pid "Redis node $port" "$(redis_pid_file "$port")" "redis-server 127.0.0.1:$port"; done
}

# --- RabbitMQ cluster -------------------------------------------------------------------------

RABBIT_DIR=$RUN_DIR/rabbitmq
rabbit_node() { echo "$RABBIT_NAME-$1@$RABBIT_HOST"; }
rabbit_pid_file() { echo "$RABBIT_DIR/$RABBIT_NAME-$1.pid"; }
rabbit_alive() { alive "$(rabbit_pid_file "$1")" "-home $RABBIT_DIR "; }
# The cookie the nodes share is in RABBIT_DIR (HOME), not in root's or the system broker's home.
rabbitmqctl() { HOME=$RABBIT_DIR "$RABBIT_BIN/rabbitmqctl" "$@"; }

prepare_rabbit_dir() {
  mkdir -p "$RABBIT_DIR"
  if [[ ! -f $RABBIT_DIR/.erlang.cookie ]]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RABBIT_DIR/.erlang.cookie"
    chmod 400 "$RABBIT_DIR/.erlang.cookie"
  fi
  # No plugins (the system broker's enabled_plugins would bind its management port), and a
  # partition pauses the minority side instead of letting two halves diverge.
  echo '[].' >"$RABBIT_DIR/enabled_plugins"
  echo 'cluster_partition_handling = pause_minority' >"$RABBIT_DIR/rabbitmq.conf"
  : >"$RABBIT_DIR/rabbitmq-env.conf"
}

start_rabbit_node() {
  local i=$1 port=$((AMQP_PORT + $1 - 1))
  rabbit_alive "$i" && return
  say "starting RabbitMQ node $(rabbit_node "$i") on 127.0.0.1:$port"
  (exec setsid env HOME="$RABBIT_DIR" RABBITMQ_NODENAME="$(rabbit_node "$i")" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT=$((port + 20000)) RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia" \
    RABBITMQ_LOG_BASE="$RABBIT_DIR/log" RABBITMQ_PID_FILE="$(rabbit_pid_file "$i")" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins" RABBITMQ_CONFIG_FILE="$RABBIT_DIR/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$RABBIT_DIR/advanced.config" RABBITMQ_CONF_ENV_FILE="$RABBIT_DIR/rabbitmq-env.conf" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='+S 2:2 +sbwt none +sbwtdcpu none +sbwtdio none' \
    "$RABBIT_BIN/rabbitmq-server" >>"$RABBIT_DIR/$RABBIT_NAME-$i.log" 2>&1) &
}

rabbit_joined() { rabbitmqctl -n "$(rabbit_node "$1")" cluster_status --formatter json | grep -q "\"$(rabbit_node 1)\""; }

ensure_rabbitmq() {
  [[ -x $RABBIT_BIN/rabbitmq-server ]] || bash "$ROOT/tools/services.sh"
  prepare_rabbit_dir
  local i
  # All at once: a node that was not the last to stop waits at boot for the ones that were.
  for ((i = 1; i <= RABBIT_NODES; i++)); do start_rabbit_node "$i"; done
  for ((i = 1; i <= RABBIT_NODES; i++)); do
    wait_until "RabbitMQ node $i" rabbitmqctl -n "$(rabbit_node "$i")" await_startup
  done
  for ((i = 2; i <= RABBIT_NODES; i++)); do
    rabbit_joined "$i" && continue
    say "joining $(rabbit_node "$i") to $(rabbit_node 1)"
    rabbitmqctl -n "$(rabbit_node "$i")" stop_app >/dev/null
    rabbitmqctl -n "$(rabbit_node "$i")" join_cluster "$(rabbit_node 1)" >/dev/null
    rabbitmqctl -n "$(rabbit_node "$i")" start_app >/dev/null
  done
}

stop_rabbit_node() {
  local i=$1
  rabbit_alive "$i" || return 0
  say "stopping RabbitMQ node $(rabbit_node "$i")"
  rabbitmqctl -n "$(rabbit_node "$i")" stop "$(rabbit_pid_file "$i")" >/dev/null 2>&1 ||
    stop_pid "RabbitMQ node $i" "$(rabbit_pid_file "$i")" "-home $RABBIT_DIR "
}

stop_rabbitmq() {
  local i
  for ((i = RABBIT_NODES; i >= 1; i--)); do stop_rabbit_node "$i"; done
}

# --- Temporal Server on PostgreSQL, and its Web UI --------------------------------------------

TEMPORAL_DIR=$RUN_DIR/temporal
temporal_pattern() { echo "$TEMPORAL_BIN/server --root $ROOT/deploy"; }
ui_pattern() { echo "$TEMPORAL_UI_BIN/server --root $ROOT/deploy"; }

psql_at() { psql -h "$CLUSTER_PG_HOST" -p "$CLUSTER_PG_PORT" -U "$CLUSTER_PG_USER" -Atq "$@"; }

temporal_sql() {
  "$TEMPORAL_BIN/sql" --plugin postgres12 --ep "$CLUSTER_PG_HOST" -p "$CLUSTER_PG_PORT" -u "$CLUSTER_PG_USER" \
    --pw "$CLUSTER_PG_PASSWORD" "$@" >>"$TEMPORAL_DIR/schema.log" 2>&1
}

# create-database, setup-schema -v 0.0 once, then update-schema to the newest version the server ships.
ensure_schema() { # database, schema folder
  local db=$1 versions=$2
  export PGPASSWORD=$CLUSTER_PG_PASSWORD
  if [[ -z $(psql_at -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
    say "creating database $db"
    temporal_sql --db "$db" create-database || die "create-database $db failed (see $TEMPORAL_DIR/schema.log)"
  fi
  if [[ -z $(psql_at -d "$db" -c "SELECT to_regclass('schema_version')") ]]; then
    temporal_sql --db "$db" setup-schema -v 0.0 || die "setup-schema $db failed (see $TEMPORAL_DIR/schema.log)"
  fi
  temporal_sql --db "$db" update-schema -d "$versions" || die "update-schema $db failed (see $TEMPORAL_DIR/schema.log)"
}

temporal_ports() {
  local p=$CLUSTER_TEMPORAL_PORT
  echo "$p" $((p + 1)) $((p + 2)) $((p + 6)) $((p + 10)) $((p - 300)) $((p - 299)) $((p - 298)) $((p - 294))
}

ensure_temporal() {
  go_build "$TEMPORAL_BIN" "go.temporal.io/server/cmd/server@$TEMPORAL_VERSION"
  go_build "$TEMPORAL_BIN" "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_VERSION"
  go_build "$TEMPORAL_UI_BIN" "github.com/temporalio/ui-server/v2/cmd/server@$TEMPORAL_UI_VERSION"
  mkdir -p "$TEMPORAL_DIR"
  if ! alive "$TEMPORAL_DIR/server.pid" "$(temporal_pattern)"; then
    local module
    # The versioned schemas ship in the server's module, not in the sql tool.
    module=$(go mod download -json "go.temporal.io/server@$TEMPORAL_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [[ -d $module/schema/postgresql/v12 ]] || die "no PostgreSQL schema in go.temporal.io/server@$TEMPORAL_VERSION"
    ensure_schema "$CLUSTER_TEMPORAL_DB" "$module/schema/postgresql/v12/temporal/versioned"
    ensure_schema "$CLUSTER_TEMPORAL_VISIBILITY_DB" "$module/schema/postgresql/v12/visibility/versioned"
    say "starting Temporal Server $TEMPORAL_VERSION on PostgreSQL, frontend 127.0.0.1:$CLUSTER_TEMPORAL_PORT"
    spawn "$TEMPORAL_DIR/server.pid" "$TEMPORAL_DIR/server.log" \
      "$TEMPORAL_BIN/server" --root "$ROOT/deploy" --config temporal --env server --allow-no-auth start
  fi
  (cd "$ROOT" && node --import tsx tools/cluster-temporal.ts "127.0.0.1:$CLUSTER_TEMPORAL_PORT") ||
    die "Temporal Server did not come up (see $TEMPORAL_DIR/server.log)"
  if ! alive "$TEMPORAL_DIR/ui.pid" "$(ui_pattern)"; then
    say "starting the Temporal Web UI $TEMPORAL_UI_VERSION on http://127.0.0.1:$CLUSTER_TEMPORAL_UI_PORT"
    spawn "$TEMPORAL_DIR/ui.pid" "$TEMPORAL_DIR/ui.log" "$TEMPORAL_UI_BIN/server" --root "$ROOT/deploy" --config temporal --env ui start
    wait_until "the Temporal Web UI" curl -fsS -o /dev/null "http://127.0.0.1:$CLUSTER_TEMPORAL_UI_PORT/"
  fi
}

stop_temporal() {
  stop_pid "the Temporal Web UI" "$TEMPORAL_DIR/ui.pid" "$(ui_pattern)"
  stop_pid "Temporal Server" "$TEMPORAL_DIR/server.pid" "$(temporal_pattern)"
}

# --- PulseCart: tools/scale-out.sh on the engines above -------------------------------------

cluster_env() {
  local i urls=()
  for ((i = 1; i <= RABBIT_NODES; i++)); do urls+=("amqp://guest:guest@127.0.0.1:$((AMQP_PORT + i - 1))"); done
  echo "REDIS_CLUSTER_NODES=$(redis_ports | sed 's/^/127.0.0.1:/' | paste -sd,)"
  echo "AMQP_CLUSTER_URLS=$(
    IFS=,
    echo "${urls[*]}"
  )"
  echo "AMQP_DEAD_LETTER_QUEUE_TYPE=quorum"
  echo "TEMPORAL_ADDRESS=127.0.0.1:$CLUSTER_TEMPORAL_PORT"
  echo "TEMPORAL_UI_URL=http://127.0.0.1:$CLUSTER_TEMPORAL_UI_PORT"
  echo "TEMPORAL_TASK_QUEUE=${TEMPORAL_TASK_QUEUE:-purchases}"
}

scale_out() {
  local line
  while read -r line; do export "${line?}"; done < <(cluster_env)
  SCALE_OUT_DIR=$RUN_DIR/app SCALE_OUT_LISTEN=$LISTEN SCALE_OUT_API_BASE_PORT=$API_BASE_PORT \
    SCALE_OUT_WORKER_METRICS_BASE_PORT=$WORKER_METRICS_BASE_PORT SCALE_OUT_RECONCILE_SCHEDULE=true \
    bash "$ROOT/tools/scale-out.sh" "$@"
}

app_alive() { alive "$RUN_DIR/app/$1.pid" "$ROOT/src/"; }
nginx_alive() { alive "$RUN_DIR/app/nginx.pid" nginx; }

ensure_app() { scale_out start --apis "$APIS" --workers "$WORKERS"; }

# --- commands ---------------------------------------------------------------------------------

# Every port a part that is not running yet will take, checked before anything starts.
preflight() {
  local port i
  for port in $(redis_ports); do
    redis_alive "$port" || require_free "$port" "Redis node" CLUSTER_REDIS_PORT
  done
  for ((i = 1; i <= RABBIT_NODES; i++)); do
    rabbit_alive "$i" && continue
    port=$((AMQP_PORT + i - 1))
    require_free "$port" "RabbitMQ node $i" CLUSTER_AMQP_PORT
    require_free $((port + 20000)) "RabbitMQ node $i's Erlang distribution" CLUSTER_AMQP_PORT
  done
  if ! alive "$TEMPORAL_DIR/server.pid" "$(temporal_pattern)"; then
    for port in $(temporal_ports); do require_free "$port" "Temporal Server" CLUSTER_TEMPORAL_PORT; done
  fi
  alive "$TEMPORAL_DIR/ui.pid" "$(ui_pattern)" ||
    require_free "$CLUSTER_TEMPORAL_UI_PORT" "Temporal Web UI" CLUSTER_TEMPORAL_UI_PORT
  for ((i = 1; i <= APIS; i++)); do
    app_alive "api-$i" || require_free $((API_BASE_PORT + i)) "API $i" CLUSTER_API_BASE_PORT
  done
  for ((i = 1; i <= WORKERS; i++)); do
    app_alive "worker-$i" ||
      require_free $((WORKER_METRICS_BASE_PORT + i)) "worker $i's metrics" CLUSTER_WORKER_METRICS_BASE_PORT
  done
  nginx_alive || require_free "${LISTEN##*:}" nginx CLUSTER_LISTEN
}

start() {
  preflight
  mkdir -p "$RUN_DIR/redis"
  ensure_redis
  ensure_rabbitmq
  ensure_temporal
  ensure_app
  say "PulseCart on http://$LISTEN, Temporal Web UI on http://127.0.0.1:$CLUSTER_TEMPORAL_UI_PORT; logs in $RUN_DIR"
  status
}

stop() {
  [[ -d $RUN_DIR/app ]] && scale_out stop
  stop_temporal
  stop_rabbitmq
  stop_redis
  say "stopped"
}

json_list() { # items...
  local IFS=,
  printf '[%s]' "$*"
}

status() {
  local port i items=() role up
  for port in $(redis_ports); do
    role=down
    redis_alive "$port" && role=$(redis-cli -p "$port" role 2>/dev/null | head -n 1 || echo starting)
    items+=("{\"address\":\"127.0.0.1:$port\",\"role\":\"${role:-starting}\"}")
  done
  printf '{"redis":%s' "$(json_list "${items[@]}")"
  items=()
  for ((i = 1; i <= RABBIT_NODES; i++)); do
    up=false
    rabbit_alive "$i" && up=true
    items+=("{\"node\":\"$(rabbit_node "$i")\",\"address\":\"127.0.0.1:$((AMQP_PORT + i - 1))\",\"running\":$up}")
  done
  printf ',"rabbitmq":%s' "$(json_list "${items[@]}")"
  up=false
  alive "$TEMPORAL_DIR/server.pid" "$(temporal_pattern)" && up=true
  printf ',"temporal":{"frontend":"127.0.0.1:%s","running":%s' "$CLUSTER_TEMPORAL_PORT" "$up"
  up=false
  alive "$TEMPORAL_DIR/ui.pid" "$(ui_pattern)" && up=true
  printf ',"ui":"http://127.0.0.1:%s","uiRunning":%s}' "$CLUSTER_TEMPORAL_UI_PORT" "$up"
  items=()
  for ((i = 1; i <= APIS; i++)); do
    up=false
    app_alive "api-$i" && up=true
    items+=("{\"name\":\"api-$i\",\"address\":\"127.0.0.1:$((API_BASE_PORT + i))\",\"running\":$up}")
  done
  for ((i = 1; i <= WORKERS; i++)); do
    up=false
    app_alive "worker-$i" && up=true
    items+=("{\"name\":\"worker-$i\",\"metrics\":\"127.0.0.1:$((WORKER_METRICS_BASE_PORT + i))\",\"running\":$up,\"reconcileSchedule\":$([[ $i == 1 ]] && echo true || echo false)}")
  done
  up=false
  nginx_alive && up=true
  printf ',"pulsecart":{"url":"http://%s","nginxRunning":%s,"processes":%s}}\n' "$LISTEN" "$up" "$(json_list "${items[@]}")"
}

action=${1:-start}
(($# > 0)) && shift
case $action in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) cluster_env | sed 's/^/export /' ;;
  -h | --help | help) usage ;;
  *) usage 1 ;;
esac
