# How each server under test is prepared and started (sourced by bench/run and bench/smoke).
# Needs bench/lib/processes.sh. Servers: gateway (this project) and the peers in the peers dir.
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # known_servers is read, gateway_binary and peer_dirs set, by the caller

# gateway-before: the gateway built from an earlier commit (bench/run --before), measured beside
# this tree's with the same settings, so a change on the delivery path is compared in one run.
known_servers=(gateway gateway-before node-seed rawfan)

# The JWT secret the gateway checks and notify-bench signs with; fresh for every suite run.
bench_jwt_secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# What notify-bench needs to authenticate against a server.
auth_args_for() { # server -> prints one argument per line
   case "$1" in
   gateway | gateway-before) printf '%s\n' --jwt-secret "$bench_jwt_secret" ;;
   *) printf '%s\n' --auth-message '{"type":"auth","userId":"{uid}"}' ;;
   esac
}

# The peers are copied into the work dir before their first start: their start scripts write
# node_modules/ or build/ next to themselves, and the shared copy stays untouched (it may be
# read-only). Timestamps are kept so rawfan's start.sh rebuilds only when its source changed.
prepare_peer() { # name peers_dir work_dir -> prints the runnable copy's dir; non-zero if missing
   local name="$1" source="$2/$1" copy="$3/peers/$1"
   if [[ ! -x "$source/start.sh" ]]; then
      return 1
   fi
   mkdir -p "$copy"
   cp -R --preserve=timestamps "$source/." "$copy/"
   chmod -R u+w "$copy"
   # A build tree that came with the copy holds a CMake cache bound to the shared path, which
   # CMake refuses to reuse elsewhere: drop the cache (objects and timestamps stay).
   local cache
   while IFS= read -r cache; do
      grep -q "^CMAKE_HOME_DIRECTORY:INTERNAL=$copy\$" "$cache" ||
         rm -rf "$cache" "$(dirname "$cache")/CMakeFiles"
   done < <(find "$copy" -name CMakeCache.txt -not -path '*/node_modules/*')
   printf '%s\n' "$copy"
}

# Runs a peer's one-off setup (npm ci, or the rawfan build) outside any measurement.
warm_up_peer() { # name dir log
   local name="$1" dir="$2" log="$3"
   case "$name" in
   node-seed)
      if [[ ! -d "$dir/node_modules/ws" || ! -d "$dir/node_modules/ioredis" ]]; then
         (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >>"$log" 2>&1
      fi
      ;;
   rawfan)
      if [[ ! -x "$dir/build/rawfan" || "$dir/rawfan.cpp" -nt "$dir/build/rawfan" ]]; then
         "$dir/build.sh" >>"$log" 2>&1
      fi
      ;;
   esac
}

# Starts one server in its own session (so Ctrl-C reaches only the script, whose trap stops
# it by PID). Sets server_pid. gateway_binary must be set for the gateway; peer_dirs[name]
# for the peers; before_gateway_binary for gateway-before.
start_server() { # name port redis_port log
   local name="$1" port="$2" redis_port="$3" log="$4" binary="${gateway_binary:-}"
   case "$name" in
   gateway | gateway-before)
      [[ "$name" == gateway-before ]] && binary="$before_gateway_binary"
      NOTIFY_JWT_SECRET="$bench_jwt_secret" REDIS_HOST=127.0.0.1 REDIS_PORT="$redis_port" \
         setsid "$binary" --host 127.0.0.1 --port "$port" --log-level warn \
         </dev/null >>"$log" 2>&1 &
      ;;
   node-seed | rawfan)
      # start.sh exec's the server, so $! is the server's own PID (RSS and CPU are read from it).
      HOST=127.0.0.1 PORT="$port" REDIS_HOST=127.0.0.1 REDIS_PORT="$redis_port" THREADS=1 \
         setsid "${peer_dirs[$name]}/start.sh" </dev/null >>"$log" 2>&1 &
      ;;
   *)
      bench_log "unknown server '$name'"
      return 1
      ;;
   esac
   server_pid=$!
   remember_pid "$server_pid"
}
