# bench/lib.sh — shared by bench/run.sh and bench/soak.sh (source it).
#
# provision_gatehouse BIN DATA ADDR MASTER MOCK_ADDR
#   starts BIN on a fresh embedded database in DATA, creates a credential
#   pointing at the load harness's mock upstream (MOCK_ADDR), alias
#   gpt-4o-mini, an access group, an organization and one team with plenty
#   of credits, stops it, and prints the team's virtual key.

provision_gatehouse() {
  local bin=$1 data=$2 addr=$3 master=$4 mock=$5 pid key
  GATEHOUSE_MASTER_KEY=$master "$bin" serve --addr "$addr" --data-dir "$data" --log-level warn \
    >"$data/../provision.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fsS "http://$addr/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  _bench_api() { # method path body
    curl -fsS -X "$1" "http://$addr$2" -H "Authorization: Bearer $master" -H 'Content-Type: application/json' -d "$3"
  }
  _bench_api POST /api/provider-credentials/create "{\"provider\": \"openai\", \"credential_name\": \"mock\", \"api_key\": \"sk-mock\", \"api_base\": \"http://$mock/v1\"}" >/dev/null
  _bench_api POST /api/model-aliases/create '{"alias": "gpt-4o-mini", "litellm_model": "openai/gpt-4o-mini"}' >/dev/null
  _bench_api POST /api/model-access-groups/create '{"group_name": "bench", "model_aliases": ["gpt-4o-mini"]}' >/dev/null
  _bench_api POST /api/organizations/create '{"organization_id": "bench", "name": "Bench"}' >/dev/null
  key=$(_bench_api POST /api/teams/create '{"organization_id": "bench", "team_id": "bench", "access_groups": ["bench"], "credits_allocated": 100000000}' |
    sed -n 's/.*"virtual_key": *"\([^"]*\)".*/\1/p')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [[ -n $key ]] || { echo "bench: team creation returned no key (see $data/../provision.log)" >&2; return 1; }
  echo "$key"
}
