#!/usr/bin/env bash
# Provision and run a single-node Apache Kafka broker (KRaft, combined broker+controller) on
# loopback for alertgate's tests. No Docker, no tarball: the broker's jars come from Maven Central
# through scripts/kafka/pom.xml and run on the machine's Java (17+).
#
#   scripts/kafka.sh up             resolve jars (once), format a fresh data dir, start, wait until
#                                   ready, print KAFKA_BROKERS=127.0.0.1:PORT (no-op if running)
#   scripts/kafka.sh down           stop (SIGTERM, SIGKILL after a timeout), delete the data dir
#   scripts/kafka.sh status         "running KAFKA_BROKERS=..." (exit 0) or "stopped" (exit 3)
#   scripts/kafka.sh env            print KAFKA_BROKERS=... if running (exit 3 otherwise)
#   scripts/kafka.sh stop-broker [--kill]
#                                   stop the broker but keep its data dir and ports (SIGTERM by
#                                   default; --kill = SIGKILL, a crash)
#   scripts/kafka.sh start-broker   start it again on the same port and data dir, wait until ready
#   scripts/kafka.sh resolve        only resolve the jars into the cache (e.g. to warm a CI cache)
#
# Environment:
#   ALERTGATE_KAFKA_HOME            cache/state dir (default: <repo>/.cache/kafka)
#   ALERTGATE_KAFKA_PORT            broker port (default: a free one)
#   ALERTGATE_KAFKA_CONTROLLER_PORT controller port (default: a free one)
#   ALERTGATE_KAFKA_READY_TIMEOUT   seconds to wait for readiness (default 90)
#   ALERTGATE_KAFKA_STOP_TIMEOUT    seconds to wait after SIGTERM before SIGKILL (default 20)
#   ALERTGATE_KAFKA_HEAP_OPTS       default "-Xms256m -Xmx768m"
#   ALERTGATE_KAFKA_JVM_OPTS        JVM flags besides the heap (default: fast-startup flags, below)
#   JAVA_HOME                       Java to use (default: java on PATH)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
POM=$REPO/scripts/kafka/pom.xml
WAIT_READY=$REPO/scripts/kafka/wait-ready.mjs

KHOME=${ALERTGATE_KAFKA_HOME:-$REPO/.cache/kafka}
LIB_DIR=$KHOME/lib               # the broker's jars, copied from the Maven repository
CLASSPATH_FILE=$LIB_DIR/classpath.txt
LIB_STAMP=$LIB_DIR/.pom.sha256   # hash of the pom the jars were resolved from
RUN_DIR=$KHOME/run               # one run: config, data, pid, ports (deleted by `down`)
DATA_DIR=$RUN_DIR/data
CONFIG=$RUN_DIR/server.properties
LOG4J_CONFIG=$RUN_DIR/log4j.properties
PID_FILE=$RUN_DIR/kafka.pid
PORT_FILE=$RUN_DIR/port
CPORT_FILE=$RUN_DIR/controller-port
LOG_DIR=$KHOME/logs              # server.log + kafka.out, kept after `down` for post-mortems
LOCK_FILE=$KHOME/.lock

READY_TIMEOUT=${ALERTGATE_KAFKA_READY_TIMEOUT:-90}
STOP_TIMEOUT=${ALERTGATE_KAFKA_STOP_TIMEOUT:-20}
HEAP_OPTS=${ALERTGATE_KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}
# Measured on 2 cores (see docs/kafka.md): C1-only JIT and the serial GC shave startup and CPU;
# a throughput-oriented broker is not what tests need.
JVM_OPTS=${ALERTGATE_KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData}
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

log() { echo "kafka.sh: $*" >&2; }
now() { date +%s%N; }
since() { awk -v ns="$(( $(now) - $1 ))" 'BEGIN { printf "%.1f", ns / 1e9 }'; } # seconds since $1
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# classpath

resolve() {
  local want
  want=$(sha256sum "$POM" | cut -d' ' -f1)
  if [[ -f $LIB_STAMP && $(cat "$LIB_STAMP") == "$want" && -s $CLASSPATH_FILE ]]; then
    local jar missing=0
    while IFS= read -r jar; do
      [[ -f ${jar/@LIB@/$LIB_DIR} ]] || { missing=1; break; }
    done < <(tr ':' '\n' <"$CLASSPATH_FILE")
    [[ $missing == 0 ]] && return 0
    log "cached classpath is incomplete; resolving again"
  fi
  command -v mvn >/dev/null || die "mvn not found: Maven is needed once to resolve the broker's jars"
  log "resolving the Kafka broker's classpath with Maven (first run only) ..."
  local tmp=$LIB_DIR.tmp.$$
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # copy-dependencies: the cache holds its own jars, independent of ~/.m2 being pruned.
  # build-classpath: keeps Maven's order; @LIB@ is replaced by the lib dir at start.
  # (sed: Maven 3.8 prints colour resets even in batch mode)
  if ! mvn -B -q -Dstyle.color=never -f "$POM" \
      dependency:copy-dependencies dependency:build-classpath \
      -DincludeScope=runtime -DoutputDirectory="$tmp" \
      -Dmdep.outputFile="$tmp/classpath.txt" -Dmdep.prefix=@LIB@ 2>&1 |
      sed -e $'s/\e\\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2; then
    rm -rf "$tmp"
    die "Maven could not resolve scripts/kafka/pom.xml"
  fi
  echo "$want" >"$tmp/.pom.sha256"
  rm -rf "$LIB_DIR"
  mv "$tmp" "$LIB_DIR"
}

classpath() { sed "s|@LIB@|$LIB_DIR|g" "$CLASSPATH_FILE"; }

# ---------------------------------------------------------------------------------------------
# process state

pid() { [[ -f $PID_FILE ]] && cat "$PID_FILE" || true; }

# alive PID: the process exists and is not a zombie. (The broker outlives the shell that started
# it and is reparented to init, which may reap it late; `kill -0` succeeds on a zombie.)
alive() {
  local state
  state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $state && $state != Z ]]
}

is_running() {
  local p
  p=$(pid)
  [[ -n $p ]] || return 1
  alive "$p" || return 1
  # guard against pid reuse: it must be our broker on our config
  tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $CONFIG"
}

brokers() { echo "127.0.0.1:$(cat "$PORT_FILE")"; }

free_ports() {
  # Two distinct free loopback ports, held open together so they differ.
  node -e '
    const net = require("net");
    const a = net.createServer(), b = net.createServer();
    a.listen(0, "127.0.0.1", () => b.listen(0, "127.0.0.1", () => {
      console.log(a.address().port, b.address().port); a.close(); b.close();
    }));'
}

# ---------------------------------------------------------------------------------------------
# config

write_config() {
  local port=$1 cport=$2
  cat >"$CONFIG" <<EOF
# Written by scripts/kafka.sh for tests: one KRaft node that is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR

# single node: every internal topic has one replica
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4

# tests create their topics explicitly and want rebalances now
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=1
group.initial.rebalance.delay.ms=0

# small and short-lived
log.segment.bytes=8388608
log.retention.ms=3600000
log.retention.check.interval.ms=60000
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=8388608
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4

# A broker that was killed (stop-broker --kill) can only register again once the controller has
# given up on its previous incarnation: broker.session.timeout.ms (default 9 s) after the restart.
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500
EOF

  cat >"$LOG4J_CONFIG" <<'EOF'
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
}

# ---------------------------------------------------------------------------------------------
# java

java_args() { # the JVM command line up to (excluding) the main class, into JAVA_ARGS
  JAVA_ARGS=("$JAVA")
  # shellcheck disable=SC2206 # word splitting of the option strings is intended
  JAVA_ARGS+=($HEAP_OPTS $JVM_OPTS)
  JAVA_ARGS+=(
    -Djava.awt.headless=true
    -Dkafka.logs.dir="$LOG_DIR"
    -Dlog4j.configuration="file:$LOG4J_CONFIG"
    -cp "$(classpath)"
  )
}

format_storage() {
  local cluster_id
  # a random Kafka Uuid: 16 bytes, base64url without padding; drawn again when it starts with '-'
  # (1 in 64): the storage tool's argument parser takes "-…" for an option and formatting fails
  cluster_id=-
  while [[ $cluster_id == -* ]]; do
    cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  java_args
  if ! "${JAVA_ARGS[@]}" kafka.tools.StorageTool format --ignore-formatted \
      --cluster-id "$cluster_id" --config "$CONFIG" >"$LOG_DIR/format.out" 2>&1; then
    cat "$LOG_DIR/format.out" >&2
    die "formatting the storage failed"
  fi
}

start_java() {
  : >>"$LOG_DIR/kafka.out"
  echo "==== start $(date -u +%FT%TZ) ====" >>"$LOG_DIR/kafka.out"
  # setsid: the broker has its own session, so a Ctrl-C in the terminal that ran `up` (or a test
  # runner's process group being signalled) does not take it down; `down` does.
  # The broker writes its pid itself (exec keeps it), so PID_FILE is the JVM.
  java_args
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
    "${JAVA_ARGS[@]}" kafka.Kafka "$CONFIG" \
    </dev/null >>"$LOG_DIR/kafka.out" 2>&1 9>&- &
  local launcher=$!
  local i
  for i in $(seq 1 50); do
    [[ -s $PID_FILE ]] && break
    sleep 0.05
  done
  [[ -s $PID_FILE ]] || { echo "$launcher" >"$PID_FILE"; }
}

wait_ready() { # -> 0 ready, 1 timed out, 2 the JVM exited (see wait-ready.mjs)
  local rc=0
  node "$WAIT_READY" "$(brokers)" "$READY_TIMEOUT" "$(pid)" || rc=$?
  if [[ $rc != 0 ]]; then
    stop_java TERM
  fi
  return "$rc"
}

fail_with_logs() {
  log "$1; errors and last lines of $LOG_DIR/{kafka.out,server.log}:"
  tail -n 20 "$LOG_DIR/kafka.out" >&2 2>/dev/null || true
  grep -E '^\[[^]]*\] (ERROR|FATAL) ' "$LOG_DIR/server.log" 2>/dev/null | tail -n 10 | cut -c1-600 >&2 || true
  echo "..." >&2
  tail -n 15 "$LOG_DIR/server.log" >&2 2>/dev/null || true
  die "$1 (logs: $LOG_DIR)"
}

stop_java() { # stop_java TERM|KILL
  local sig=${1:-TERM} p i
  p=$(pid)
  if ! is_running; then
    rm -f "$PID_FILE"
    return 0
  fi
  kill -s "$sig" "$p" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 20; i++)); do
    alive "$p" || break
    sleep 0.05
  done
  if alive "$p"; then
    log "broker (pid $p) still running ${STOP_TIMEOUT}s after SIG$sig; sending SIGKILL"
    kill -s KILL "$p" 2>/dev/null || true
    while alive "$p"; do sleep 0.05; done
  fi
  rm -f "$PID_FILE"
}

# ---------------------------------------------------------------------------------------------
# commands

cmd_up() {
  if is_running; then
    echo "KAFKA_BROKERS=$(brokers)"
    return 0
  fi
  command -v "$JAVA" >/dev/null || die "java not found (set JAVA_HOME or put java on PATH)"
  command -v node >/dev/null || die "node not found (needed for scripts/kafka/wait-ready.mjs)"
  local t0 t1 t2 resolve_ms
  t0=$(now)
  resolve
  resolve_ms=$(( ($(now) - t0) / 1000000 ))

  local port cport attempt rc fixed_ports=${ALERTGATE_KAFKA_PORT:-}${ALERTGATE_KAFKA_CONTROLLER_PORT:-}
  for attempt in 1 2 3; do
    # a fresh run: stale state of a crashed or stop-broker'ed run is discarded
    stop_java KILL
    rm -rf "$RUN_DIR"
    mkdir -p "$DATA_DIR" "$LOG_DIR"
    rm -f "$LOG_DIR"/server.log* "$LOG_DIR/kafka.out" "$LOG_DIR/format.out"

    read -r port cport < <(free_ports)
    port=${ALERTGATE_KAFKA_PORT:-$port}
    cport=${ALERTGATE_KAFKA_CONTROLLER_PORT:-$cport}
    echo "$port" >"$PORT_FILE"
    echo "$cport" >"$CPORT_FILE"
    write_config "$port" "$cport"
    t1=$(now)
    format_storage
    t2=$(now)
    start_java
    rc=0
    wait_ready || rc=$?
    [[ $rc == 0 ]] && break
    # The free ports were only free when picked; another process may have taken one since.
    if [[ $rc == 2 && -z $fixed_ports && $attempt -lt 3 ]] &&
      grep -qs "Address already in use" "$LOG_DIR/server.log" "$LOG_DIR/kafka.out"; then
      log "a port was taken meanwhile; retrying with other ports"
      continue
    fi
    rm -rf "$RUN_DIR" # nothing worth keeping; the logs stay
    fail_with_logs "broker failed to start"
  done
  log "up in $(since "$t0")s (classpath ${resolve_ms}ms, format $(( (t2 - t1) / 1000000 ))ms, start+ready $(since "$t2")s)"
  echo "KAFKA_BROKERS=$(brokers)"
}

cmd_down() {
  stop_java TERM
  rm -rf "$RUN_DIR"
}

cmd_status() {
  if is_running; then
    echo "running pid=$(pid) KAFKA_BROKERS=$(brokers) home=$KHOME"
  elif [[ -f $CONFIG ]]; then
    echo "stopped (data kept: start-broker restarts it on 127.0.0.1:$(cat "$PORT_FILE")) home=$KHOME"
    return 3
  else
    echo "stopped home=$KHOME"
    return 3
  fi
}

cmd_env() {
  is_running || return 3
  echo "KAFKA_BROKERS=$(brokers)"
}

cmd_stop_broker() {
  [[ -f $CONFIG ]] || die "no broker run to stop (run \`up\` first)"
  case ${1:-} in
    --kill) stop_java KILL ;;
    "") stop_java TERM ;;
    *) die "stop-broker: unknown option $1" ;;
  esac
}

cmd_start_broker() {
  [[ -f $CONFIG ]] || die "no broker run to start (run \`up\` first)"
  if ! is_running; then
    start_java
    wait_ready || fail_with_logs "broker failed to restart"
  fi
  echo "KAFKA_BROKERS=$(brokers)"
}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; }

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
    up | down | stop-broker | start-broker | resolve) ;;
    status) cmd_status; return ;;
    env) cmd_env; return ;;
    -h | --help | help) usage; return 0 ;;
    *) usage; return 2 ;;
  esac
  mkdir -p "$KHOME"
  # one mutating command at a time (parallel test runners may all call `up`)
  exec 9>"$LOCK_FILE"
  flock 9
  case $cmd in
    up) cmd_up ;;
    down) cmd_down ;;
    stop-broker) cmd_stop_broker "$@" ;;
    start-broker) cmd_start_broker ;;
    resolve) resolve ;;
  esac
}

main "$@"
