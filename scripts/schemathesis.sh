#!/usr/bin/env bash
# Fuzzes the running API with schemathesis (from PyPI) against its own OpenAPI document.
#   scripts/schemathesis.sh [max-examples]     (default 25 per operation)
# Installs schemathesis into a cached virtualenv, starts an engine on a free port with a fresh
# data directory and known credentials, runs every check against every operation, and prints
#   SCHEMATHESIS cases=N failures=M tool_errors=K exit=…
# Exit status: 0 when no case failed, 1 otherwise, 2 when schemathesis cannot be installed.
set -uo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
venv="${HOME}/.cache/journey-engine/schemathesis-${version}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1 || ! "$venv/bin/pip" install -q "schemathesis==${version}"; then
    echo "schemathesis: not installable here (python3 venv or PyPI unavailable)"
    exit 2
  fi
fi

work=$(mktemp -d)
# A port the OS hands out as free. Why not probing 38000 upward with a connect: a port can refuse
# connections and still be taken (38000 is in Linux's ephemeral range, so an outgoing connection of
# the test run, to FerretDB say, may hold it), and the engine then failed with EADDRINUSE.
port=$(node_modules/.bin/node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });")
admin="adm_schemathesis_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
operator="op_schemathesis_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
write_key="wk_schemathesis_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
PORT=$port HOST=127.0.0.1 DATA_DIR="$work/data" LOG_LEVEL=error ENGINE_ADMIN_TOKEN=$admin ENGINE_OPERATOR_TOKEN=$operator \
  ENGINE_WRITE_KEY=$write_key node_modules/.bin/node --no-node-snapshot --disable-warning=ExperimentalWarning engine/main.ts \
  >"$work/engine.log" 2>&1 &
engine_pid=$!
trap 'kill "$engine_pid" 2>/dev/null; rm -rf "$work"' EXIT
node_modules/.bin/node -e "
  const deadline = Date.now() + 30000;
  (async () => {
    for (;;) {
      try { if ((await fetch('http://127.0.0.1:$port/health')).ok) return; } catch {}
      if (Date.now() > deadline) { console.error('the engine did not start'); process.exit(1); }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
" || { cat "$work/engine.log"; exit 1; }

# Rejections the schema cannot express, allowed where they are the API's rule: a plugin slug
# nobody registered (catalog slugs are open-ended), settings required by the schema given in
# the same body.
cat >"$work/schemathesis.toml" <<'TOML'
[[operations]]
include-name = "POST /api/v1/destinations"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "PUT /api/v1/destinations/{id}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "POST /api/v1/functions"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "PUT /api/v1/functions/{id}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
# Condition paths have a grammar of their own (engine/conditions/README.md); a journey publishes
# only when the stored draft is complete, whatever the request.
[[operations]]
include-name = "POST /api/v1/audiences"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "PUT /api/v1/audiences/{id}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "POST /api/v1/journeys/{id}/publish"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
# Query parameters that exclude each other or go together (from before to; one person; at least one id).
[[operations]]
include-name = "GET /api/v1/journeys/{id}/activity"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "GET /api/v1/journeys/{id}/stats"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "GET /api/v1/journeys/{id}/explain"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "GET /api/v1/profiles/lookup"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
# Opaque page cursors: a value the listing did not return as nextCursor is refused (400 at ?cursor).
[[operations]]
include-name = "GET /api/v1/events"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "GET /api/v1/deliveries"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "GET /api/v1/journeys/{id}/deliveries"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "GET /api/v1/journeys/{id}/instances"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
[[operations]]
include-name = "GET /api/v1/audiences/{id}/members"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
# A path segment that is also a value of a sibling route's parameter (/deliveries/redrive is
# POST, /deliveries/{id} is GET): Express's OPTIONS answer names both, correctly for that URL.
[[operations]]
include-name = "POST /api/v1/deliveries/redrive"
checks.allow_header_conformance.enabled = false
TOML

# One run per credential: the admin token for the management API, the operator token for
# /api/v1/spaces, the write key (HTTP Basic username) for ingest. Rotating or revoking a
# credential by id runs last: it may revoke the token the other runs use.
MAX_EXAMPLES=${1:-25}
st() {
  "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --checks all --max-examples "$MAX_EXAMPLES" --seed 20261123 --workers 2 --no-color --request-timeout 10 "$@" >>"$work/out.txt" 2>&1
}
: >"$work/out.txt"
st --include-path-regex '^/api/v1/(?!spaces|test-clock|credentials/)' -H "Authorization: Bearer $admin"
s1=$?
st --include-path-regex '^/api/v1/spaces' -H "Authorization: Bearer $operator"
s2=$?
st --include-path-regex '^/v1/' -a "$write_key:"
s3=$?
st --include-path-regex '^/api/v1/credentials/' -H "Authorization: Bearer $admin"
s4=$?
cat "$work/out.txt"
cp "$work/out.txt" /tmp/schemathesis-last.txt 2>/dev/null || true
cases=$(grep -Eo '[0-9]+ generated' "$work/out.txt" | grep -Eo '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
failures=$(grep -Eo 'found [0-9]+ unique failures?' "$work/out.txt" | grep -Eo '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
# Schemathesis also reports its own internal errors (e.g. Hypothesis failing to describe a
# strategy); they are shown above but are not findings about the API.
errors=$(grep -Ec '^🚫 Runtime Error|🚫 Runtime Error:' "$work/out.txt" || true)
echo "SCHEMATHESIS cases=${cases:-0} failures=${failures:-0} tool_errors=${errors:-0} exit=${s1},${s2},${s3},${s4}"
[ "${failures:-0}" -eq 0 ] && [ "${cases:-0}" -gt 0 ]
