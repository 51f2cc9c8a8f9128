#!/usr/bin/env bash
# Builds the memoryd image's contents without Docker and checks that they run
# the way the image does: `docker build` cannot run on the dev and CI machines,
# so this runs the Dockerfile's node-stage RUN commands itself (the only
# difference: Node's headers are under $NODEDIR, /usr here, instead of the
# node image's /usr/local), lays out the final stage in a temporary /app, and
# starts it with the image's environment as a non-root user. Then it polls the
# HEALTHCHECK command until SERVING, reads the metrics, sends SIGTERM (the
# STOPSIGNAL) and expects exit code 0. test/deploy.test.ts checks that the
# commands here match the Dockerfile's.
#
#   bash scripts/image-smoke.sh
#
# IMAGE_SMOKE_BUILD=repo (default) takes the build stage from the repository:
# its node_modules (.ci/run's `npm ci`) and `npm run build` run there.
# IMAGE_SMOKE_BUILD=clean runs the build stage from scratch in the temporary
# directory too (a second `npm ci`, about two minutes more).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
NODEDIR=${NODEDIR:-/usr}
build_mode=${IMAGE_SMOKE_BUILD:-repo}
node_bin=$(command -v node)

step() { printf '\n=== image smoke: %s\n' "$*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/memoryd-image-smoke.XXXXXX")
chmod 755 "$tmp" # the server runs as nobody below
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
# Interrupted or terminated, exit (which runs the cleanup) instead of leaving $tmp behind.
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "image smoke test FAILED: $*" >&2
  if [ -s "$tmp/memoryd.log" ]; then sed 's/^/  memoryd: /' "$tmp/memoryd.log" >&2; fi
  exit 1
}

# --- stage deps: production node_modules, better-sqlite3 compiled from source
step "deps stage: npm ci --omit=dev in $tmp/deps"
mkdir "$tmp/deps"
cp "$repo/package.json" "$repo/package-lock.json" "$repo/.npmrc" "$tmp/deps/"
(cd "$tmp/deps" && npm_config_nodedir=$NODEDIR npm ci --omit=dev --no-audit --no-fund)
[ ! -e "$tmp/deps/node_modules/vitest" ] || fail "--omit=dev installed dev dependencies"

# --- stage build: tsc into dist/
if [ "$build_mode" = clean ]; then
  step "build stage: npm ci and npm run build in $tmp/build"
  mkdir "$tmp/build"
  cp -r "$repo/package.json" "$repo/package-lock.json" "$repo/.npmrc" "$repo/tsconfig.json" "$repo/tsconfig.build.json" "$repo/src" "$tmp/build/" && mkdir -p "$tmp/build/gen" && cp -r "$repo/gen/ts" "$tmp/build/gen/ts"
  (cd "$tmp/build" && npm_config_nodedir=$NODEDIR npm ci --no-audit --no-fund)
  (cd "$tmp/build" && npm run build)
  dist="$tmp/build/dist"
elif [ "$build_mode" = repo ]; then
  step "build stage: npm run build in $repo"
  (cd "$repo" && npm run build)
  dist="$repo/dist"
else
  fail "IMAGE_SMOKE_BUILD must be repo or clean, not $build_mode"
fi

# --- final stage: /app = node_modules + dist + gen/memoryd.binpb + package.json
step "final stage: $tmp/app"
app="$tmp/app"
mkdir -p "$app/gen" "$tmp/data" "$tmp/bin"
mv "$tmp/deps/node_modules" "$app/node_modules"
cp -r "$dist" "$app/dist"
cp "$repo/gen/memoryd.binpb" "$app/gen/memoryd.binpb"
cp "$repo/package.json" "$app/package.json"
chmod -R a+rX "$app"
[ -f "$app/dist/src/main.js" ] || fail "dist/src/main.js missing (did the build run?)"
# The HEALTHCHECK calls grpc_health_probe by name, as the image installs it.
ln -s "$(node "$repo/scripts/go-tool.mjs" grpc-health-probe)" "$tmp/bin/grpc_health_probe"
export PATH="$tmp/bin:$PATH"

# The image's environment (the final stage's ENV line), with loopback
# addresses on free ports and the database under the temporary directory.
image_env_line=$(grep -E '^ENV MEMORYD_' "$repo/Dockerfile" | tail -n 1)
[ -n "$image_env_line" ] || fail "no 'ENV MEMORYD_...' line in the Dockerfile"
read -r -a image_env <<<"${image_env_line#ENV }"
read -r grpc_port metrics_port < <("$node_bin" -e '
  const net = require("node:net");
  const listen = () => new Promise((resolve) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => resolve(s)); });
  Promise.all([listen(), listen()]).then((servers) => {
    console.log(servers.map((s) => s.address().port).join(" "));
    for (const s of servers) s.close();
  });')

# The image runs as the unprivileged user node; here, as nobody when root.
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  chown nobody:nogroup "$tmp/data"
  run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi

step "start: node dist/src/main.js (gRPC 127.0.0.1:$grpc_port, metrics 127.0.0.1:$metrics_port${run_as:+, as nobody})"
(
  cd "$app"
  exec "${run_as[@]}" env -i PATH="$(dirname "$node_bin"):/usr/local/bin:/usr/bin:/bin" "${image_env[@]}" \
    MEMORYD_LISTEN="127.0.0.1:$grpc_port" \
    MEMORYD_STORAGE_URL="sqlite://$tmp/data/memoryd.db" \
    MEMORYD_METRICS_LISTEN="127.0.0.1:$metrics_port" \
    "$node_bin" dist/src/main.js
) >"$tmp/memoryd.log" 2>&1 &
server_pid=$!

step "HEALTHCHECK: grpc_health_probe until SERVING"
deadline=$((SECONDS + 30))
until grpc_health_probe -addr=127.0.0.1:$grpc_port -service=memoryd.v1.MemoryService >/dev/null 2>&1; do
  kill -0 "$server_pid" 2>/dev/null || fail "memoryd exited before becoming healthy"
  [ "$SECONDS" -lt "$deadline" ] || fail "memoryd.v1.MemoryService not SERVING within 30 s"
  sleep 0.5
done
grpc_health_probe -addr=127.0.0.1:$grpc_port -service=liveness || fail "liveness not SERVING"

step "metrics"
curl -fsS --max-time 5 "http://127.0.0.1:$metrics_port/metrics" >"$tmp/metrics.txt" || fail "GET /metrics failed"
grep -qx 'memoryd_storage_up 1' "$tmp/metrics.txt" || fail "/metrics lacks 'memoryd_storage_up 1'"
[ -s "$tmp/data/memoryd.db" ] || fail "no database at $tmp/data/memoryd.db"
if [ "${#run_as[@]}" -gt 0 ]; then
  [ "$(stat -c %U "$tmp/data/memoryd.db")" = nobody ] || fail "the database is not owned by nobody: memoryd did not run unprivileged"
fi

step "SIGTERM: NOT_SERVING during the shutdown delay, then exit 0"
kill -TERM "$server_pid"
saw_not_serving=false
deadline=$((SECONDS + 30))
while kill -0 "$server_pid" 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || fail "memoryd still running 30 s after SIGTERM"
  if [ "$saw_not_serving" = false ]; then
    probe_status=0
    grpc_health_probe -addr=127.0.0.1:$grpc_port -service=memoryd.v1.MemoryService >/dev/null 2>&1 || probe_status=$?
    if [ "$probe_status" -eq 4 ]; then saw_not_serving=true; fi # 4: the service answered NOT_SERVING
  fi
  sleep 0.2
done
exit_code=0
wait "$server_pid" || exit_code=$?
server_pid=""
[ "$exit_code" -eq 0 ] || fail "memoryd exited with $exit_code after SIGTERM"
[ "$saw_not_serving" = true ] || fail "health never reported NOT_SERVING while draining"
grep -q '"msg":"stopped"' "$tmp/memoryd.log" || fail "no 'stopped' log line"

echo
echo "image smoke test passed"
