#!/usr/bin/env bash
# FerretDB v1 (MongoDB wire protocol on SQLite) for the MongoDB test suites, built from the Go
# module proxy and cached between runs.
#   scripts/ferretdb.sh install            builds the binary if it is not cached; prints its path
#   scripts/ferretdb.sh start DIR PORT     runs it in the background on 127.0.0.1:PORT, data in DIR; prints its pid
set -euo pipefail

VERSION=v1.24.2
MODULE=github.com/FerretDB/FerretDB
CACHE_DIR=${FERRETDB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/journey-engine}
BIN="$CACHE_DIR/ferretdb-$VERSION"

install() {
  if [ -x "$BIN" ]; then echo "$BIN"; return; fi
  command -v go >/dev/null || { echo "ferretdb: Go is needed to build FerretDB" >&2; exit 1; }
  mkdir -p "$CACHE_DIR"
  # `go install …@version` asks the proxy for the module's version list to check deprecation,
  # and that list is refused here; downloading the exact version and building it does not ask.
  local dir src
  dir=$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "ferretdb: could not download $MODULE@$VERSION" >&2; exit 1; }
  src=$(mktemp -d)
  cp -r "$dir/." "$src"
  chmod -R u+w "$src"
  # FerretDB embeds its version from a file its own build tooling generates.
  echo "$VERSION" > "$src/build/version/version.txt"
  (cd "$src" && go build -trimpath -o "$BIN.tmp" ./cmd/ferretdb) >&2
  mv "$BIN.tmp" "$BIN"
  rm -rf "$src"
  echo "$BIN"
}

start() {
  local data=$1 port=$2
  mkdir -p "$data"
  install >/dev/null
  "$BIN" --handler=sqlite --sqlite-url="file:$data/" --listen-addr="127.0.0.1:$port" \
    --state-dir="$data" --debug-addr=- --telemetry=disable --log-level=error >"$data/ferretdb.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$pid"; return; fi
    kill -0 "$pid" 2>/dev/null || { cat "$data/ferretdb.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "ferretdb: not listening on $port after 10 s" >&2
  exit 1
}

case "${1:-}" in
  install) install ;;
  start) start "$2" "$3" ;;
  *) echo "usage: $0 install | start DIR PORT" >&2; exit 2 ;;
esac
