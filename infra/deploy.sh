#!/usr/bin/env bash
# Staged deployment of the emergency calls backend. Event Grid needs a function to exist before it accepts a
# subscription to it, so: 1) infrastructure without subscriptions, 2) the code, 3) infrastructure again with
# the subscriptions. Each stage is idempotent: run the script again after any failure.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT

RESOURCE_GROUP=""
LOCATION=""
PARAMETERS="${SCRIPT_DIR}/main.bicepparam"
STAGE="all"
NAME="emcall"
WHAT_IF=false
PUBLISH_ATTEMPTS=5
PUBLISH_RETRY_SECONDS=60
FUNCTION_WAIT_ATTEMPTS=40
FUNCTION_WAIT_SECONDS=15

usage() {
  cat <<'EOF'
Usage: infra/deploy.sh -g RESOURCE_GROUP [options]

Deploys the backend in three idempotent stages:
  1. infra          main.bicep with deploySubscriptions=false: everything but the Event Grid subscriptions
  2. publish        the function code to the Flex Consumption app (remote build)
  3. subscriptions  main.bicep with deploySubscriptions=true, once the functions exist

Options:
  -g, --resource-group NAME  resource group to deploy to (required)
  -l, --location REGION      create the resource group in REGION first if it does not exist
  -p, --parameters FILE      .bicepparam file (default: infra/main.bicepparam); it must read
                             DEPLOY_SUBSCRIPTIONS with readEnvironmentVariable, as the example does
  -s, --stage STAGE          infra | publish | subscriptions | all (default: all)
  -n, --name NAME            prefix of the ARM deployment names (default: emcall)
      --what-if              change nothing: run 'az deployment group what-if' for stages 1 and 3 and
                             print the publish commands of stage 2 without running them
  -h, --help                 show this text

Needs: Azure CLI 2.60 or later, logged in (az login) with Owner, or Contributor plus
User Access Administrator, on the resource group (the template assigns roles). Stage 2 uses the Azure
Functions Core Tools (func) when installed, otherwise az and zip.

Examples:
  infra/deploy.sh -g rg-emcall -l eastus2 --what-if
  infra/deploy.sh -g rg-emcall -l eastus2 -p infra/prod.bicepparam
  infra/deploy.sh -g rg-emcall --stage subscriptions
EOF
}

log() {
  printf '==> %s\n' "$*" >&2
}

die() {
  printf 'deploy.sh: %s\n' "$*" >&2
  exit 1
}

# Print a command the way a person would type it (what-if output).
show() {
  printf '    $'
  printf ' %q' "$@"
  printf '\n'
}

parse_args() {
  while (($# > 0)); do
    case "$1" in
      -g | --resource-group) RESOURCE_GROUP="${2:?missing value for $1}"; shift 2 ;;
      -l | --location) LOCATION="${2:?missing value for $1}"; shift 2 ;;
      -p | --parameters) PARAMETERS="${2:?missing value for $1}"; shift 2 ;;
      -s | --stage) STAGE="${2:?missing value for $1}"; shift 2 ;;
      -n | --name) NAME="${2:?missing value for $1}"; shift 2 ;;
      --what-if) WHAT_IF=true; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
  done
  [[ -n "${RESOURCE_GROUP}" ]] || { usage >&2; die "--resource-group is required"; }
  case "${STAGE}" in
    infra | publish | subscriptions | all) ;;
    *) die "--stage must be infra, publish, subscriptions or all, not '${STAGE}'" ;;
  esac
  [[ -f "${PARAMETERS}" ]] || die "parameters file not found: ${PARAMETERS}"
  [[ "${PARAMETERS}" == *.bicepparam ]] || die "parameters must be a .bicepparam file: ${PARAMETERS}"
  grep -q "readEnvironmentVariable('DEPLOY_SUBSCRIPTIONS'" "${PARAMETERS}" \
    || die "${PARAMETERS} must set: param deploySubscriptions = bool(readEnvironmentVariable('DEPLOY_SUBSCRIPTIONS', 'false'))"
}

check_prerequisites() {
  command -v az >/dev/null 2>&1 || die "the Azure CLI (az) is not installed"
  az account show --output none 2>/dev/null || die "not logged in: run 'az login' (and 'az account set -s SUBSCRIPTION')"
}

ensure_resource_group() {
  [[ -n "${LOCATION}" ]] || return 0
  if [[ "${WHAT_IF}" == true ]]; then
    log "what-if: would create resource group ${RESOURCE_GROUP} in ${LOCATION} if missing"
    show az group create --name "${RESOURCE_GROUP}" --location "${LOCATION}" --output none
    return 0
  fi
  log "resource group ${RESOURCE_GROUP} (${LOCATION})"
  az group create --name "${RESOURCE_GROUP}" --location "${LOCATION}" --output none
}

# Stage 1 and stage 3: the same template, with or without the Event Grid subscriptions.
deploy_template() {
  local with_subscriptions="$1" deployment="$2"
  export DEPLOY_SUBSCRIPTIONS="${with_subscriptions}"
  if [[ "${WHAT_IF}" == true ]]; then
    log "what-if: ${deployment} (deploySubscriptions=${with_subscriptions})"
    if ! az deployment group what-if --resource-group "${RESOURCE_GROUP}" --name "${deployment}" \
      --parameters "${PARAMETERS}"; then
      log "what-if of ${deployment} failed; with deploySubscriptions=true it needs the functions of stage 2 to exist"
    fi
    return 0
  fi
  log "deploying ${deployment} (deploySubscriptions=${with_subscriptions})"
  az deployment group create --resource-group "${RESOURCE_GROUP}" --name "${deployment}" \
    --parameters "${PARAMETERS}" --output none
}

function_app_name() {
  local name
  if name="$(az deployment group show --resource-group "${RESOURCE_GROUP}" --name "${NAME}-infra" \
    --query properties.outputs.functionAppName.value --output tsv 2>/dev/null)" && [[ -n "${name}" ]]; then
    printf '%s\n' "${name}"
  elif [[ "${WHAT_IF}" == true ]]; then
    printf '%s\n' '<function-app-name from stage 1>'
  else
    die "no function app name: run stage 1 (--stage infra) first"
  fi
}

# The functions the Event Grid subscriptions deliver to, from the same file the Bicep loads.
subscribed_functions() {
  python3 - "${REPO_ROOT}/shared/event_subscriptions.json" <<'PY'
import json
import sys

with open(sys.argv[1], encoding="utf-8") as f:
    data = json.load(f)
print("\n".join(sorted({entry["function"] for section in ("internal", "acs") for entry in data[section]})))
PY
}

publish_code() {
  local app="$1" package="" attempt
  local -a command zip_command
  if command -v func >/dev/null 2>&1; then
    command=(func azure functionapp publish "${app}" --python)
  else
    if [[ "${WHAT_IF}" == true ]]; then
      package="app.zip"
    else
      command -v zip >/dev/null 2>&1 || die "neither func nor zip is installed"
      package="$(mktemp -d)/app.zip"
      # shellcheck disable=SC2064 # expand now: the path is local to this function
      trap "rm -rf '${package%/app.zip}'" EXIT
    fi
    # Everything the app reads at run time: the code, both pages and what they share, the API description, and the
    # one browser file served from node_modules (Chart.js, the compliance page's charts; .funcignore keeps the same).
    zip_command=(zip -qr "${package}" host.json requirements.txt function_app.py functions shared admin_ui agent_ui
                 ui_common openapi node_modules/chart.js/dist/chart.umd.min.js -x '*__pycache__*')
    command=(az functionapp deployment source config-zip --resource-group "${RESOURCE_GROUP}" --name "${app}"
      --src "${package}" --build-remote true)
  fi
  if [[ "${WHAT_IF}" == true ]]; then
    log "what-if: would publish the code to ${app}, from ${REPO_ROOT}"
    if [[ -n "${package}" ]]; then
      show "${zip_command[@]}"
    fi
    show "${command[@]}"
    return 0
  fi
  if [[ -n "${package}" ]]; then
    (cd "${REPO_ROOT}" && "${zip_command[@]}")
  fi
  # The app reads its deployment container with its identity: a role assigned minutes ago may not apply yet.
  for ((attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt++)); do
    log "publishing to ${app} (attempt ${attempt}/${PUBLISH_ATTEMPTS})"
    if (cd "${REPO_ROOT}" && "${command[@]}"); then
      return 0
    fi
    if ((attempt < PUBLISH_ATTEMPTS)); then
      sleep "${PUBLISH_RETRY_SECONDS}"
    fi
  done
  die "publishing failed ${PUBLISH_ATTEMPTS} times"
}

wait_for_functions() {
  local app="$1" list function attempt
  local -a functions
  if [[ "${WHAT_IF}" == true ]]; then
    return 0
  fi
  list="$(subscribed_functions)"
  mapfile -t functions <<<"${list}"
  for function in "${functions[@]}"; do
    for ((attempt = 1; ; attempt++)); do
      if az functionapp function show --resource-group "${RESOURCE_GROUP}" --name "${app}" \
        --function-name "${function}" --output none 2>/dev/null; then
        log "function ${function} is indexed"
        break
      fi
      if ((attempt >= FUNCTION_WAIT_ATTEMPTS)); then
        die "function ${function} did not appear in ${app}"
      fi
      sleep "${FUNCTION_WAIT_SECONDS}"
    done
  done
}

main() {
  parse_args "$@"
  check_prerequisites
  ensure_resource_group
  local app
  if [[ "${STAGE}" == infra || "${STAGE}" == all ]]; then
    deploy_template false "${NAME}-infra"
  fi
  if [[ "${STAGE}" == publish || "${STAGE}" == all ]]; then
    app="$(function_app_name)"
    publish_code "${app}"
  fi
  if [[ "${STAGE}" == subscriptions || "${STAGE}" == all ]]; then
    app="$(function_app_name)"
    wait_for_functions "${app}"
    deploy_template true "${NAME}-subscriptions"
  fi
  if [[ "${WHAT_IF}" == true ]]; then
    log "what-if done: nothing was changed"
  else
    log "done"
  fi
}

main "$@"
