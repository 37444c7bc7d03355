# The processes tools/cluster.sh and tools/scale-out.sh start and stop, sourced by both. Each process
# is known by a pid file and a pattern its command line must still match: a pid can be reused.
# The caller defines say, die (which writes to the fd in ERR_FD, 2 by default), ROOT, RUN_DIR,
# WAIT_SECONDS and STOP_SECONDS.

alive() { # pid file, pattern its command line matches
  local pid
  [[ -f $1 ]] || return 1
  pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

# Runs a command in $ROOT, in a session of its own, its output appended to a log, and records its pid.
# Returns once the child has exec'd: until then it is still this shell, whose command line is not the
# one alive() looks for, and a check made that early took a starting process for a dead one.
spawn() { # pid file, log file, command...
  local pid_file=$1 log=$2 pid shell
  shift 2
  (cd "$ROOT" && exec setsid "$@" </dev/null >>"$log" 2>&1) &
  pid=$!
  echo "$pid" >"$pid_file"
  shell=$(readlink "/proc/$$/exe")
  while [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$shell" ]]; do sleep 0.05; done
}

# SIGTERM, STOP_SECONDS to finish, then SIGKILL.
stop_pid() { # what, pid file, pattern
  local pid deadline
  if alive "$2" "$3"; then
    pid=$(cat "$2")
    say "stopping $1 (pid $pid, SIGTERM)"
    kill -TERM "$pid"
    deadline=$((SECONDS + STOP_SECONDS))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$1 did not stop within ${STOP_SECONDS}s: SIGKILL"
      kill -KILL "$pid"
    fi
  fi
  rm -f "$2"
}

# Polls a check every half second, its output discarded, until it passes or WAIT_SECONDS ran out.
# A die inside the check is still heard: fd 3 is our stderr for the check's time alone (a daemon
# started with it open would hold our caller's pipe). It was not, once, and a start said nothing.
wait_until() { # what, command...
  local what=$1 deadline=$((SECONDS + WAIT_SECONDS))
  shift
  until ERR_FD=3 "$@" 3>&2 >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what not ready within ${WAIT_SECONDS}s (logs in $RUN_DIR)"
    sleep 0.5
  done
}
