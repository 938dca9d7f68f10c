# Process and port helpers shared by bench/run and bench/smoke (sourced, not executed).
# Every process started here is remembered by PID and stopped by PID: never by name.
# shellcheck shell=bash

started_pids=()

bench_log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# A loopback port that nothing listens on, outside Linux's default ephemeral range
# (32768-60999) so that the load client's many source ports never collide with it.
free_port() {
   python3 - <<'PY'
import random, socket
for _ in range(200):
    port = random.randint(20000, 32000)
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            continue
    print(port)
    break
else:
    raise SystemExit("no free loopback port found between 20000 and 32000")
PY
}

port_accepts() { # port
   (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

remember_pid() { started_pids+=("$1"); }

forget_pid() { # pid
   local kept=() pid
   for pid in "${started_pids[@]}"; do
      [[ "$pid" == "$1" ]] || kept+=("$pid")
   done
   started_pids=("${kept[@]}")
}

# SIGTERM, then SIGKILL after 5 s; reaps the child so no zombie is left.
stop_pid() { # pid
   local pid="$1"
   [[ -n "$pid" ]] || return 0
   if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      local waited
      for ((waited = 0; waited < 50; waited++)); do
         kill -0 "$pid" 2>/dev/null || break
         # A child that exited stays a zombie (kill -0 succeeds) until it is reaped.
         [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]] && break
         sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]; then
         bench_log "pid $pid ignored SIGTERM for 5 s: SIGKILL"
         kill -KILL "$pid" 2>/dev/null || true
      fi
   fi
   wait "$pid" 2>/dev/null || true
   forget_pid "$pid"
}

# Stops everything still running, newest first (the client, then the server, then Redis).
stop_all_started() {
   local i
   for ((i = ${#started_pids[@]} - 1; i >= 0; i--)); do
      stop_pid "${started_pids[i]}"
   done
}

redis_cli_at() { # port args...
   local port="$1"
   shift
   timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>/dev/null
}

# Starts a throw-away redis-server (no persistence) on a free port.
# Sets redis_pid and redis_port; its log goes to $1/redis-<port>.log.
start_redis() { # log_dir
   local log_dir="$1" attempt tries
   for attempt in 1 2 3; do
      redis_port="$(free_port)"
      # Its own session: Ctrl-C reaches only the script, whose trap stops Redis in order.
      setsid redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
         --dir "$log_dir" --logfile "$log_dir/redis-$redis_port.log" --daemonize no </dev/null &
      redis_pid=$!
      remember_pid "$redis_pid"
      for ((tries = 0; tries < 100; tries++)); do
         [[ "$(redis_cli_at "$redis_port" PING)" == PONG ]] && return 0
         kill -0 "$redis_pid" 2>/dev/null || break
         sleep 0.05
      done
      stop_pid "$redis_pid"
      bench_log "redis-server did not start on port $redis_port (attempt $attempt);" \
         "see $log_dir/redis-$redis_port.log"
   done
   return 1
}

# Ready = the server accepts on its port and has subscribed to both Redis channels
# (PSUBSCRIBE user:*:notifications and SUBSCRIBE global_notifications): the same test for
# every server, so no publish is lost to a subscription still on its way.
wait_server_ready() { # pid port redis_port timeout_s
   local pid="$1" port="$2" redis_port="$3" deadline=$((SECONDS + $4))
   while ((SECONDS < deadline)); do
      kill -0 "$pid" 2>/dev/null || return 1
      if port_accepts "$port"; then
         local subscribers patterns
         subscribers="$(redis_cli_at "$redis_port" PUBSUB NUMSUB global_notifications | sed -n 2p)"
         patterns="$(redis_cli_at "$redis_port" PUBSUB NUMPAT)"
         if [[ "${subscribers:-0}" -ge 1 && "${patterns:-0}" -ge 1 ]]; then
            return 0
         fi
      fi
      sleep 0.1
   done
   return 1
}
