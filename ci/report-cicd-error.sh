#!/usr/bin/env bash
# report-cicd-error.sh — report a failed CI/CD step to Log Center (source "cicd").
#
# Meant for an `if: failure()` step of a Gitea Actions (or GitHub Actions) workflow.
# Needs only bash, curl and jq (1.6 or newer). It never fails the pipeline: whatever
# happens (bad arguments, LOG_CENTER_URL unset, jq or curl missing, server down, slow,
# 4xx/5xx) it prints one short line starting with "log-center:" to stderr and exits 0.
# Secrets are scrubbed from the message and the log before anything leaves the runner.
# Documentation: docs/ci-reporter.md

set -u
umask 077

readonly MAX_LINES=200        # log_tail: at most this many lines ...
readonly MAX_BYTES=65536      # ... and at most this many bytes (64 KiB)
readonly WINDOW_BYTES=262144  # bytes read from the end of the log (scrubbing may shorten it)
readonly MAX_TIME=10          # seconds curl may take, connection included

TMPDIR_REPORT=""
STDIN_PENDING=0               # --log-file - given but stdin not read yet

# shellcheck disable=SC2329  # called from the EXIT trap
cleanup() {
    # A producer piping into us must not die of SIGPIPE (pipefail would fail the step).
    if [ "$STDIN_PENDING" = 1 ]; then cat >/dev/null 2>&1 || true; fi
    if [ -n "$TMPDIR_REPORT" ]; then rm -rf -- "$TMPDIR_REPORT"; fi
}
# Exit 0 whatever happened, an unbound variable or a failed command included.
trap 'cleanup; exit 0' EXIT

notice() { # one line, whatever the step name or server sent contains
    local line=$*
    line=${line//[$'\n\r\t']/ }
    printf 'log-center: %s\n' "$line" >&2
}

usage() {
    cat <<'EOF'
Usage: report-cicd-error.sh <project_id> <step_name> [message] [options]
       report-cicd-error.sh --deploy <project_id> --environment <env> [--version V] [--dry-run]

Report a failed CI/CD step to Log Center, or (--deploy) record a successful deploy of this
run's commit. Always exits 0.

Arguments:
  project_id           Log Center project id (letters, digits, _ . -)
  step_name            the step that failed, e.g. "docker build"; also picks the error type
  message              the error message; default: the first line of the real failure in the log

Options:
  --log-file PATH      send the tail of this log (last 200 lines, at most 64 KiB); - reads stdin
  --error-type TYPE    override the inferred error type
  --dry-run            print the JSON that would be sent (already scrubbed) and send nothing
  -h, --help           show this help
  --                   end of options (for a message starting with -)

Deploy mode (a step after a successful deploy; POST /api/v1/deploys):
  --deploy PROJECT_ID  the project that was deployed
  --environment ENV    where it was deployed, e.g. production (required)
  --version V          the version deployed (default: none; Log Center then names the
                       release by the commit and joins it with image tags of that sha)
  The commit, run link and actor come from the runner (GITHUB_*/GITEA_* SHA, run URL, ACTOR).

Environment:
  LOG_CENTER_URL       base URL of Log Center, e.g. https://logcenter.example.com (required)
  LOG_CENTER_TOKEN     ingest token, sent as "Authorization: Bearer ..." (optional)
  LOG_CENTER_RUN_URL   link to the CI run (default: $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID)
  GITHUB_* / GITEA_*   read for the context: workflow, job, run id/number, repository, ref, sha, actor

Error types inferred from step_name (first match wins): docker -> DockerBuildError;
test, pytest, jest, vitest -> TestFailure; lint, eslint, ruff, flake8 -> LintError;
deploy, kubectl, helm -> DeployError; npm, yarn, pnpm, vite, webpack -> NpmBuildError.
A step name that says none of these ("build", "make push") takes the type the log
shows (buildkit, kubectl/oc/helm, test runners, linters, npm/pnpm/yarn), else BuildError.
EOF
}

# One notice and out (exit 0 through the trap).
give_up() {
    notice "$1; failure not reported"
    exit 0
}

bad_usage() {
    notice "$1; failure not reported (usage: report-cicd-error.sh <project_id> <step_name> [message] [--log-file PATH|-] [--error-type TYPE]; see --help)"
    exit 0
}

ci_env() { # ci_env NAME: $GITHUB_NAME, else $GITEA_NAME, else empty
    local github="GITHUB_$1" gitea="GITEA_$1"
    printf '%s' "${!github:-${!gitea:-}}"
}

ci_run_url() { # $LOG_CENTER_RUN_URL, else the run's page on the CI server, else empty
    local server repository run_id
    server=$(ci_env SERVER_URL)
    repository=$(ci_env REPOSITORY)
    run_id=$(ci_env RUN_ID)
    if [ -n "${LOG_CENTER_RUN_URL:-}" ]; then
        printf '%s' "$LOG_CENTER_RUN_URL"
    elif [ -n "$server" ] && [ -n "$repository" ] && [ -n "$run_id" ]; then
        printf '%s' "${server%/}/$repository/actions/runs/$run_id"
    fi
}

new_event_id() { # 32 random hex digits, or nothing when the runner has no randomness
    local id=""
    if [ -r /proc/sys/kernel/random/uuid ]; then
        id=$(tr -dc 'a-f0-9' </proc/sys/kernel/random/uuid 2>/dev/null)
    fi
    if [ "${#id}" != 32 ]; then
        id=$(od -An -N16 -tx1 /dev/urandom 2>/dev/null | tr -dc 'a-f0-9')
    fi
    [ "${#id}" = 32 ] && printf '%s' "$id"
}

# ------------------------------------------------------------------------------ deploy mode

deploy_give_up() {
    notice "$1; deploy not recorded"
    exit 0
}

# report_deploy ARGS: --deploy <project_id> --environment <env> [--version V] [--dry-run].
# The same promises as the failure mode: one "log-center:" line, exit 0 whatever happens.
report_deploy() {
    local project="" environment="" version="" dry=0 opt
    while [ $# -gt 0 ]; do
        case $1 in
            -h | --help) usage; exit 0 ;;
            --deploy | --environment | --version)
                [ $# -ge 2 ] || deploy_give_up "$1 needs a value"
                case $1 in
                    --deploy) project=$2 ;;
                    --environment) environment=$2 ;;
                    --version) version=$2 ;;
                esac
                shift 2
                ;;
            --deploy=*) project=${1#*=}; shift ;;
            --environment=*) environment=${1#*=}; shift ;;
            --version=*) version=${1#*=}; shift ;;
            --dry-run) dry=1; shift ;;
            *)
                opt=${1%%=*}
                deploy_give_up "unexpected argument '${opt:0:40}' (usage: report-cicd-error.sh --deploy <project_id> --environment <env> [--version V])"
                ;;
        esac
    done
    [ -n "$project" ] || deploy_give_up "--deploy needs a project_id"
    [ -n "$environment" ] || deploy_give_up "--environment is required"

    local base_url=${LOG_CENTER_URL:-}
    if [ "$dry" = 0 ]; then
        [ -n "$base_url" ] || deploy_give_up "LOG_CENTER_URL is not set"
        case $base_url in
            http://* | https://*) ;;
            *) deploy_give_up "LOG_CENTER_URL must start with http:// or https://" ;;
        esac
        command -v curl >/dev/null 2>&1 || deploy_give_up "curl not found on this runner"
    fi
    command -v jq >/dev/null 2>&1 || deploy_give_up "jq not found on this runner (install jq 1.6+)"

    local sha actor run_url
    sha=$(ci_env SHA)
    actor=$(ci_env ACTOR)
    run_url=$(ci_run_url)
    [ -n "$version" ] || [ -n "$sha" ] ||
        deploy_give_up "no --version given and no commit in GITHUB_SHA/GITEA_SHA"

    TMPDIR_REPORT=$(mktemp -d 2>/dev/null || mktemp -d -t logcenter.XXXXXX 2>/dev/null) ||
        deploy_give_up "cannot create a temporary directory"
    local payload="$TMPDIR_REPORT/deploy.json" response="$TMPDIR_REPORT/response.json" event_id
    event_id=$(new_event_id)
    # No time is sent: the step runs right after the deploy succeeded, so Log Center's own
    # clock (milliseconds, the same one its bugs are timed by) says when it finished.
    if ! jq -n --arg project "$project" --arg environment "$environment" --arg version "$version" \
        --arg sha "$sha" --arg url "$run_url" --arg actor "$actor" --arg event_id "$event_id" \
        '{project_id: $project, environment: $environment, version: $version, commit_sha: $sha,
          url: $url, actor: $actor, event_id: $event_id} | with_entries(select(.value != ""))' \
        >"$payload" 2>/dev/null; then
        deploy_give_up "could not build the deploy with jq"
    fi
    if [ "$dry" = 1 ]; then
        cat "$payload"
        notice "dry run: deploy of ${version:-${sha:0:12}} to $environment for $project, nothing sent"
        exit 0
    fi

    local endpoint="${base_url%/}/api/v1/deploys" http_code curl_rc token header
    local -a curl_args=(--silent --max-time "$MAX_TIME" --proto '=http,https'
        -X POST -H 'Content-Type: application/json' -H 'Accept: application/json'
        -H 'User-Agent: log-center-cicd-reporter/1'
        --data-binary "@$payload" -o "$response" -w '%{http_code}')
    token=${LOG_CENTER_TOKEN:-}
    token=${token//$'\r'/}
    token=${token//$'\n'/}
    if [ -n "$token" ]; then
        header="$TMPDIR_REPORT/auth.header"  # a file, not argv (visible to every process)
        printf 'Authorization: Bearer %s\n' "$token" >"$header"
        curl_args+=(-H "@$header")
    fi
    http_code=$(curl "${curl_args[@]}" -- "$endpoint" 2>/dev/null)
    curl_rc=$?
    # One retry of the same body: Log Center records a deploy's event_id once, so a lost
    # answer is never counted twice.
    if [ "$curl_rc" = 52 ] || [ "$curl_rc" = 56 ] || { [ "$curl_rc" = 0 ] && { [ "$http_code" = 503 ] || [ "$http_code" = 429 ]; }; }; then
        sleep 1
        http_code=$(curl "${curl_args[@]}" -- "$endpoint" 2>/dev/null)
        curl_rc=$?
    fi
    case $curl_rc in
        0) ;;
        6) deploy_give_up "cannot resolve the Log Center host" ;;
        7) deploy_give_up "cannot connect to Log Center" ;;
        28) deploy_give_up "Log Center did not answer within ${MAX_TIME} s" ;;
        52 | 56) deploy_give_up "Log Center closed the connection" ;;
        *) deploy_give_up "curl failed (exit $curl_rc)" ;;
    esac
    local summary code fields
    case $http_code in
        200 | 201)
            summary=$(jq -r 'select(type == "object" and (.id | type) == "number")
                | "deploy \(.id) of \(.version) to \(.environment)"' "$response" 2>/dev/null | head -c 300)
            [ -n "$summary" ] ||
                deploy_give_up "Log Center answered HTTP $http_code without a deploy receipt (is LOG_CENTER_URL the API's base URL?)"
            notice "recorded $summary for $project"
            ;;
        *)
            code=$(jq -r '.error.code // empty' "$response" 2>/dev/null | head -c 64 | tr -cd 'a-z_')
            fields=$(jq -r '[.error.details[]?.field | strings] | join(", ")' "$response" 2>/dev/null |
                head -c 200 | tr -cd 'A-Za-z0-9_.,[] ')
            deploy_give_up "Log Center answered HTTP ${http_code:-000}${code:+ $code}${fields:+: $fields}"
            ;;
    esac
    exit 0
}

# --deploy anywhere before "--" selects deploy mode.
for arg in "$@"; do
    case $arg in
        --) break ;;
        --deploy | --deploy=*) report_deploy "$@" ;;
    esac
done

# ---------------------------------------------------------------------------- arguments

project_id=""
step_name=""
message=""
log_file=""
error_type=""
dry_run=0
npos=0

add_positional() {
    npos=$((npos + 1))
    case $npos in
        1) project_id=$1 ;;
        2) step_name=$1 ;;
        3) message=$1 ;;
        *) bad_usage "too many arguments (quote the message)" ;;
    esac
}

while [ $# -gt 0 ]; do
    case $1 in
        -h | --help)
            usage
            exit 0
            ;;
        --log-file)
            [ $# -ge 2 ] || bad_usage "--log-file needs a path (or - for stdin)"
            log_file=$2
            shift 2
            ;;
        --log-file=*)
            log_file=${1#*=}
            shift
            ;;
        --error-type)
            [ $# -ge 2 ] || bad_usage "--error-type needs a value"
            error_type=$2
            shift 2
            ;;
        --error-type=*)
            error_type=${1#*=}
            shift
            ;;
        --dry-run)
            dry_run=1
            shift
            ;;
        --)
            shift
            while [ $# -gt 0 ]; do
                add_positional "$1"
                shift
            done
            ;;
        -?*)
            # Name only, shortened: "--token=s3cret" must not print its value.
            opt=${1%%=*}
            bad_usage "unknown option '${opt:0:40}'"
            ;;
        *)
            add_positional "$1"
            shift
            ;;
    esac
done

if [ "$log_file" = "-" ]; then STDIN_PENDING=1; fi

[ $npos -ge 2 ] || bad_usage "project_id and step_name are required"
[ -n "$project_id" ] || bad_usage "project_id is empty"
[ -n "$step_name" ] || bad_usage "step_name is empty"

# --------------------------------------------------------------------------- prerequisites

base_url=${LOG_CENTER_URL:-}
if [ "$dry_run" = 0 ]; then
    [ -n "$base_url" ] || give_up "LOG_CENTER_URL is not set"
    case $base_url in
        http://* | https://*) ;;
        *) give_up "LOG_CENTER_URL must start with http:// or https://" ;;
    esac
    command -v curl >/dev/null 2>&1 || give_up "curl not found on this runner"
fi
command -v jq >/dev/null 2>&1 || give_up "jq not found on this runner (install jq 1.6+)"

TMPDIR_REPORT=$(mktemp -d 2>/dev/null || mktemp -d -t logcenter.XXXXXX 2>/dev/null) ||
    give_up "cannot create a temporary directory"
[ -n "$TMPDIR_REPORT" ] && [ -d "$TMPDIR_REPORT" ] || give_up "cannot create a temporary directory"

# ---------------------------------------------------------------------------- error type

# Lower-case words of the step name: "Build Docker image" -> "build docker image".
step_words=$(printf '%s' "$step_name" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9' ' ')

step_has() { # step_has PATTERN... : does any word of the step name match a glob pattern?
    local word pattern
    for word in $step_words; do
        for pattern in "$@"; do
            # shellcheck disable=SC2254  # the patterns are meant as globs
            case $word in $pattern) return 0 ;; esac
        done
    done
    return 1
}

infer_error_type() {
    if step_has 'docker*'; then
        echo DockerBuildError
    elif step_has 'test' 'tests' 'testing' 'test[0-9]*' 'pytest*' 'jest' 'vitest' 'unittest*' 'e2e'; then
        echo TestFailure
    elif step_has 'lint' 'linting' '*lint' 'ruff' 'flake8'; then
        echo LintError
    elif step_has 'deploy*' 'kubectl' 'helm' 'helmfile'; then
        echo DeployError
    elif step_has 'npm' 'yarn' 'pnpm' 'vite' 'webpack'; then
        echo NpmBuildError
    fi
    # Nothing telling ("build", "make push", "ci"): the jq program reads the type off the
    # log (buildkit, kubectl/helm, test runners, linters, npm), else BuildError.
}

[ -n "$error_type" ] || error_type=$(infer_error_type)

# -------------------------------------------------------------------------------- the log

raw_log="$TMPDIR_REPORT/raw.log"
: >"$raw_log"
has_log=false
log_note=""
if [ -n "$log_file" ]; then
    window="$TMPDIR_REPORT/window.log"
    read_ok=1
    if [ "$log_file" = "-" ]; then
        STDIN_PENDING=0
        tail -c "$((WINDOW_BYTES + 1))" >"$window" 2>/dev/null || read_ok=0
    elif [ -r "$log_file" ] && [ ! -d "$log_file" ]; then
        # tail seeks to the end of a file: a 50 MB log costs no more than a small one.
        # (A pipe, e.g. <(...), is read through but only its end is kept.)
        tail -c "$((WINDOW_BYTES + 1))" -- "$log_file" >"$window" 2>/dev/null || read_ok=0
    else
        read_ok=0
    fi
    if [ "$read_ok" = 1 ]; then
        has_log=true
        size=$(wc -c <"$window" | tr -d ' ')
        if [ "$size" -gt "$WINDOW_BYTES" ] && [ "$(head -c "$WINDOW_BYTES" "$window" | wc -l | tr -d ' ')" -gt 0 ]; then
            # The window starts inside a line: drop that fragment (a cut secret would not match).
            tail -n +2 "$window" | tail -n "$MAX_LINES" >"$raw_log"
        else
            tail -n "$MAX_LINES" "$window" >"$raw_log"
        fi
    else
        log_note=" (log file not readable: sent without log)"
    fi
fi

# ----------------------------------------------------------------------------- the payload

repository=$(ci_env REPOSITORY)
run_id=$(ci_env RUN_ID)
run_url=$(ci_run_url)

# One id per report, sent again unchanged on the retry below: Log Center counts an event_id
# once, so a report whose answer was lost (a 503 mid-commit) is never counted twice.
event_id=$(new_event_id)

# The jq program: scrubbing, message extraction, byte cap, payload. Every value comes in
# through --arg or --rawfile; nothing is spliced into JSON text by the shell.
read -r -d '' JQ_PROGRAM <<'JQ'
def R: "[REDACTED]";

# Values of environment variables whose names say they are secret (and each of their
# lines), longest first. Short or boolean-looking values would wreck the log, not hide much.
def env_secrets:
  [ env | to_entries[]
    | select(.key | test("TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL"; "i"))
    | .value | strings
    | (., split("\n")[])
    | sub("^[ \t\r]+"; "") | sub("[ \t\r]+$"; "")
    | select(length >= 6)
    | select(test("^(true|false|yes|no|null|none|undefined)$"; "i") | not) ]
  | unique | sort_by(-length);

def scrub_env($secrets): reduce $secrets[] as $s (.; split($s) | join(R));

# Patterns that span lines: private key blocks, whole or cut by the tail.
def scrub_blocks:
  gsub("-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\\s\\S]*?-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"; "[REDACTED PRIVATE KEY]")
  | sub("-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\\s\\S]*$"; "[REDACTED PRIVATE KEY]")
  | sub("^[\\s\\S]*-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"; "[REDACTED PRIVATE KEY]");

def scrub_line:
  # user:password@ (or a long token as user) in URLs of any scheme
  gsub("(?<s>\\b[A-Za-z][A-Za-z0-9+.\\-]*://)[^\\s/?#@\"'<>:]*:[^\\s/?#@\"'<>]*@"; "\(.s)[REDACTED]@")
  | gsub("(?<s>\\b[A-Za-z][A-Za-z0-9+.\\-]*://)[A-Za-z0-9_.~%\\-]{20,}@"; "\(.s)[REDACTED]@")
  # Authorization / Proxy-Authorization headers: everything after the scheme
  | gsub("(?i)(?<h>\\b(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?)(?:(?<t>bearer|basic|token|digest|negotiate|ntlm|apikey|api-key|key)[ \t]+)?[^\"'\\r\\n]+"; "\(.h)\(if .t then .t + " " else "" end)[REDACTED]")
  | gsub("(?i)\\b(?<b>bearer)[ \t]+[A-Za-z0-9\\-._~+/]{8,}=*"; "\(.b) [REDACTED]")
  # curl -u user:password
  | gsub("(?<f>(?:^|[ \t])(?:-u|--user)[ =]+[\"']?)(?<u>[^\\s:\"']+):[^\\s\"']+"; "\(.f)\(.u):[REDACTED]")
  # a private key printed as one line (JSON with \n escapes)
  | gsub("-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?(-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|$)"; "[REDACTED PRIVATE KEY]")
  # token shapes
  | gsub("\\bgh[pousr]_[A-Za-z0-9]{20,}"; R)                                  # GitHub
  | gsub("\\bgithub_pat_[A-Za-z0-9_]{20,}"; R)                                # GitHub fine-grained
  | gsub("\\bgl(?:pat|dt|rt|ptt|cbt|imt|oas|soat|ffct|agent|ft)-[A-Za-z0-9_\\-]{20,}"; R)  # GitLab
  | gsub("\\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\\b"; R)  # AWS key id
  | gsub("\\beyJ[A-Za-z0-9_\\-]{8,}\\.[A-Za-z0-9_\\-]{8,}\\.[A-Za-z0-9_\\-]*"; R)  # JWT
  | gsub("\\bxox[abposr]-[A-Za-z0-9\\-]{10,}"; R)                             # Slack
  | gsub("hooks\\.slack\\.com/services/[A-Za-z0-9/]+"; "hooks.slack.com/services/[REDACTED]")
  | gsub("\\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"; R)                        # Stripe
  | gsub("\\bAIza[0-9A-Za-z_\\-]{35}"; R)                                     # Google API key
  | gsub("\\bnpm_[A-Za-z0-9]{36}\\b"; R)                                      # npm
  | gsub("\\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\\-]{20,}"; R)                    # PyPI
  | gsub("\\bdckr_pat_[A-Za-z0-9_\\-]{20,}"; R)                               # Docker Hub
  | gsub("\\bsk-(?:ant-|proj-)?[A-Za-z0-9_\\-]{32,}"; R)                      # OpenAI / Anthropic
  | gsub("\\bSG\\.[A-Za-z0-9_\\-]{16,}\\.[A-Za-z0-9_\\-]{16,}"; R)            # SendGrid
  # "token <40 hex>" (Gitea's Authorization scheme, git credential helpers)
  | gsub("(?i)(?<t>\\btoken[ \t]+)[0-9a-f]{40}\\b"; "\(.t)[REDACTED]")
  # --password x, --token=x, --api-key "x" (not --password-stdin / --token-file)
  | gsub("(?i)(?<f>(?<![A-Za-z0-9\\-])--?[A-Za-z0-9\\-]*(?:password|passwd|token|secret|api-?key|credentials?)[A-Za-z0-9\\-]*)(?<!stdin)(?<!file)(?<!path)(?<sep>[ =]+)(?<v>\"[^\"]*\"|'[^']*'|[^\\s\"']+)";
         "\(.f)\(.sep)\(if (.v | startswith("\"")) then "\"[REDACTED]\"" elif (.v | startswith("'")) then "'[REDACTED]'" else R end)")
  # name=value / name: value / "name": "value" where the name says secret
  | gsub("(?i)(?<k>[A-Za-z0-9_.\\-]*(?:token|secret|passw(?:or)?d|key|credential|_auth|_pwd)[A-Za-z0-9_.\\-]*)(?<!error)(?<!exception)(?<!warning)(?<sep>[\"']?[ \t]*[:=][ \t]*)(?<v>\"[^\"\\r\\n]*\"|'[^'\\r\\n]*'|[^\\s\"',;&]+)";
         "\(.k)\(.sep)\(if (.v | startswith("\"")) then "\"[REDACTED]\"" elif (.v | startswith("'")) then "'[REDACTED]'" else R end)");

def scrub($secrets): scrub_env($secrets) | scrub_blocks | split("\n") | map(scrub_line) | join("\n");

# CI noise: colour codes, carriage-return progress bars.
def clean_line:
  gsub("\u001b\\[[0-9;?]*[ -/]*[@-~]"; "")
  | gsub("\u001b\\][^\u0007\u001b]*(\u0007|\u001b\\\\)"; "")
  | if test("\r") then (split("\r") | map(select(length > 0)) | last // "") else . end;

# Keep the end of the text within $n UTF-8 bytes: whole lines when possible.
def cp_bytes: if . < 128 then 1 elif . < 2048 then 2 elif . < 65536 then 3 else 4 end;
def cap_bytes($n):
  if utf8bytelength <= $n then .
  else
    split("\n") as $lines
    | (reduce range(($lines | length) - 1; -1; -1) as $i
        ({size: -1, from: ($lines | length)};
         if .from != $i + 1 then .
         else ($lines[$i] | utf8bytelength + 1) as $b
           | if .size + $b <= $n then {size: (.size + $b), from: $i} else . end
         end)) as $fit
    | if $fit.from < ($lines | length) then $lines[$fit.from:] | join("\n")
      else # the last line alone is too long: keep its end
        ($lines[-1] | explode | .[-$n:]) as $cps
        | (reduce range(($cps | length) - 1; -1; -1) as $i
            ({size: 0, from: ($cps | length)};
             if .from != $i + 1 then .
             else ($cps[$i] | cp_bytes) as $b
               | if .size + $b <= $n then {size: (.size + $b), from: $i} else . end
             end)) as $cut
        | $cps[$cut.from:] | implode
      end
  end;

def trim: sub("^[ \t]+"; "") | sub("[ \t]+$"; "");

# ---- Which line is the failure (docs/ci-reporter.md "Message from the log").
# Lines are tiered; the message is the FIRST line of the best tool-specific (1) or generic
# error (2) tier — tools print the real failure first and summaries after it — else the LAST
# line of the weaker tiers: docker's own summary (3), anything error-looking (4), a wrapper
# that names what failed (5), a bare wrapper (6), any other line (7). Noise never counts.

# A log line without the runner's decorations: timestamps, ##[error], buildkit's "#12 0.812 ".
def undecorate:
  sub("^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z ?"; "")
  | sub("^(##\\[error\\]|::error[^:]*::)"; "")
  | sub("^#\\d+ \\d+\\.\\d+ ?"; "")
  | sub("^#\\d+ (?=ERROR:)"; "")
  | sub("^Error: (?=\\s+\\d+:\\d+\\s+error\\s)"; "")
  | sub("[ \t\r]+$"; "");

def squeeze: gsub("[ \t]+"; " ") | trim;

def never_re: "(?i)(a complete log of this run can be found|this is probably not a problem with npm|additional logging output above|_logs/\\S*debug|process completed with exit code|^npm (err!|error)\\s*$|^npm (err!|error)\\s+(code|errno|path|workspace|location|command|signal|syscall|exit status|failed at the|lifecycle script|cwd|argv|node v|npm\\s+v|os|at )\\b|^npm (err!|error) (make sure you have the latest|if you do, this is most likely|not with npm itself|tell the author|you can get information on how|npm (bugs|owner)|or if that isn't available|please include the following|\\s+\\S*npm-debug\\.log)|for more information about this error, try|^help: |^note: |^to reuse those artifacts|^info visit https://yarnpkg)";
def tool_re: "^(error\\[E\\d+\\]: |panic: |fatal error: |WARNING: DATA RACE|--- FAIL: |(FAILED|ERROR) \\S+ - \\S|_+ ERROR (collecting|at setup of|at teardown of) .+ _+$|● (?!Console$)|[A-Z]{1,4}\\d{3,4} (\\[\\*\\] )?\\S.*|(FAIL|×|✕|❯)\\s+\\S+\\.[cm]?[jt]sx?\\s+>\\s|\\S+\\(\\d+,\\d+\\): error TS\\d+:|\\S+:\\d+:\\d+ - error TS\\d+:|\\S+\\.pyi?:\\d+:\\d+: [A-Z]+\\d+\\b|\\d+:\\d+\\s+Error: |error: error validating |Error from server|error: unable to recognize |error: resource mapping not found|The \\S+ \"[^\"]+\" is invalid|Error: (INSTALLATION|UPGRADE|ROLLBACK|UNINSTALLATION) FAILED: )";
# Indentation matters for these: eslint's problems and compilers' "file:line:col: message".
def tool_raw_re: "^(\\s+\\d+:\\d+\\s+error\\s+\\S|\\S+\\.(go|c|cc|cpp|cxx|h|hpp|java|kt|swift|zig|cs|scala|rs):\\d+(:\\d+)?: (?!(warning|note):|\\[(debug|info|trace)\\])\\S)";
def docker_re: "(?i)(failed to solve:|^ERROR: failed to build|^ERROR: process \".*\" did not complete successfully|returned a non-zero code: \\d+|^ERROR: executor failed running)";
def wrapper_re: "(?i)(^make(\\[\\d+\\])?: \\*\\*\\*|^ERROR: \"[^\"]+\" exited with \\d+|ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL|^error: (could not compile|aborting due to|failed to compile|build failed|test failed, to rerun|recipe `)|^warning: build failed|^FAIL\\s+\\S+\\s+[\\d.]+s$|^FAIL$|^=+ .* =+$|^!+ .* !+$|^(tests?|test suites|test files):?\\s+.*\\d+ failed|^test result: FAILED|^✖ \\d+ problems?|^found \\d+ errors?\\b|^npm (err!|error)(\\s|$)|interrupted: \\d+ errors?)";
def bare_re: "(?i)(elifecycle|command failed with exit code|^exit status \\d+$|^error: (error: )*(undefined|null|\\[object object\\])\\.?$|^traceback|└─ failed in|^error: script \"[^\"]+\" exited with)";
def generic_re: "^((error|Error|ERROR|fatal|Fatal|FATAL)(\\[[\\w-]+\\])?:\\s*\\S|\\[(ERROR|FATAL)\\]\\s|E:\\s|ERR_PNPM_\\w+|error \\S|([\\w$]+\\.)*[\\w$]*(Error|Exception)(: |$)|error during build:|.*: (error|fatal error): \\S)";
def err_re: "(?i)(\\berr(or)?s?\\b|err!|\\bfatal\\b|\\bfail(ed|ure|ures|s)?\\b|exception|\\bpanic\\b|\\bcannot\\b|\\bcould not\\b|\\bunable to\\b|denied|refused|\\btimed out\\b|segmentation fault|\\bkilled\\b|✖|✗|×)";
def none_re: "(?i)(\\b(0|no|zero) (errors?|failures?|failed)\\b)";

def tier_of($r):
  ($r | trim) as $t
  | if $t == "" or ($t | test(never_re)) then null
    elif ($t | test(bare_re)) then 6
    elif ($t | test(wrapper_re)) then 5
    elif ($t | test(tool_re)) or ($r | test(tool_raw_re)) then 1
    elif ($t | test(docker_re)) then 3
    elif ($t | test(none_re)) then 7
    elif ($t | test(generic_re)) or ($r | test("^E\\s{2,}\\S")) then 2
    elif ($t | test(err_re)) then 4
    else 7 end;

# The chosen line, with what a reader needs from its neighbours: rustc's location, go's
# first assertion, jest's first detail, pytest's exception, eslint's file.
def describe($lines; $i):
  ($lines[$i] | trim) as $t
  | [ $lines[$i + 1:][] | trim | select(length > 0) ] as $after
  | if ($t | test("^error\\[E\\d+\\]: ")) and (($after[0] // "") | test("^--> \\S")) then "\($t) \($after[0])"
    elif ($t | test("^--- FAIL: ")) and (($lines[$i + 1] // "") | test("^\\s+\\S+\\.go:\\d+: ")) then "\($t) \($lines[$i + 1] | trim)"
    elif ($t | test("^WARNING: DATA RACE")) then
      ([ $after[] | capture("\\.(?<test>Test\\w+)\\(") | .test ][0]) as $test
      | if $test then "\($t) in \($test)" else $t end
    elif ($t | test("^● ")) and ($after | length > 0) then "\($t): \($after[0])"
    elif ($t | test("^[A-Z]{1,4}\\d{3,4} ")) and (($after[0] // "") | test("^--> \\S")) then "\($after[0] | sub("^--> "; "")): \($t)"
    elif ($t | test("^_+ ERROR .+ _+$")) then
      ($t | sub("^_+ "; "") | sub(" _+$"; "")) as $head
      | ([ $after[] | select(test("^E\\s+\\S")) | sub("^E\\s+"; "") ][0]) as $e
      | if $e then "\($head): \($e)" else $head end
    elif ($lines[$i] | test("^(\\s+\\d+:\\d+\\s+error\\s|\\d+:\\d+\\s+Error: )")) then
      ([ $lines[:$i][] | select(test("^\\S+$") and test("[/.]")) ] | last) as $file
      | ($t | squeeze) as $problem
      | if $file then "\($file | sub("^/home/runner/work/[^/]+/[^/]+/"; "")):\($problem)" else $problem end
    elif ($t | test("^E\\s{2,}")) then $t | sub("^E\\s+"; "")
    elif ($t | test(":$")) and ($after | length > 0) then "\($t) \($after[0])"
    else $t end;

def error_line:
  [ split("\n")[] | undecorate ] as $lines
  | [ range(0; $lines | length) as $i | tier_of($lines[$i]) as $tier | select($tier != null) | {i: $i, tier: $tier} ] as $hits
  | if ($hits | length) == 0 then null
    else
      ($hits | map(.tier) | min) as $best
      | [ $hits[] | select(.tier == $best) | .i ] as $at
      | describe($lines; if $best <= 2 then $at[0] else $at[-1] end)
    end;

# ---- The error type when neither --error-type nor the step name says it: what the log shows.
# Docker first (its steps run every other tool), then deploys, tests, linters, npm.
def log_type:
  [ split("\n")[] | undecorate ] as $lines
  | def any_line($re): any($lines[]; test($re));
    if any_line("failed to solve:|^#\\d+ \\[[^\\]]+\\] |^ERROR: failed to build|returned a non-zero code: \\d+|^Step \\d+/\\d+ : ") then "DockerBuildError"
    elif any_line("error validating \"|^Error from server|unable to recognize \"|resource mapping not found|^The \\S+ \"[^\"]+\" is invalid|^Error: (INSTALLATION|UPGRADE|ROLLBACK) FAILED|exceeded its progress deadline|^error: timed out waiting for the condition") then "DeployError"
    elif any_line("^=+ (FAILURES|ERRORS) =+$|short test summary info|^--- FAIL: |^FAIL\\s+\\S+\\s+[\\d.]+s$|^\\s*Tests?:\\s+.*\\d+ failed|^\\s*Test (Files|Suites):?\\s+.*\\d+ failed|^test result: FAILED|^\\s*● |^\\s*\\d+ failing$") then "TestFailure"
    elif any_line("^✖ \\d+ problems?|^\\s+\\d+:\\d+\\s+(error|warning)\\s+.+\\s\\S+$|^\\S+\\.pyi?:\\d+:\\d+: [A-Z]+\\d+ |^\\s*--> \\S+\\.pyi?:\\d+:\\d+$|^\\S+\\.pyi?:\\d+: error: .*\\[[\\w-]+\\]$|^would reformat ") then "LintError"
    elif any_line("^npm (ERR!|error) |ELIFECYCLE|ERR_PNPM_|^error Command failed with exit code|error TS\\d+:|error during build:|^\\s*ERROR in ") then "NpmBuildError"
    else null end;

env_secrets as $secrets
| (if $has_log then ($log | split("\n") | map(clean_line) | join("\n") | scrub($secrets) | cap_bytes($max_bytes)) else null end) as $tail
| (if $message != "" then ($message | scrub($secrets))
   else ((($tail // "") | error_line) // ($step + " failed")) | .[:1024]
   end) as $msg
| (if $error_type != "" then $error_type else ((($tail // "") | log_type) // "BuildError") end) as $type
| {
    project_id: $project,
    source: "cicd",
    level: "ERROR",
    timestamp: $timestamp,
    error: {type: $type, message: $msg},
    context: ({
      workflow_name: $workflow, job_name: $job, step_name: $step, run_id: $run_id,
      run_number: $run_number, run_url: $run_url, repository: $repository, ref: $ref,
      commit_sha: $sha, actor: $actor
    } | with_entries(select(.value != "")))
  }
| if $sha != "" then .commit_hash = $sha else . end
| if $event_id != "" then .event_id = $event_id else . end
| if $tail != null then .context.log_tail = $tail else . end
JQ

payload="$TMPDIR_REPORT/payload.json"
# The log goes in with --rawfile: jq 1.6 corrupts multi-byte characters that straddle its
# read buffer with -R on stdin, and --arg is limited to 128 KiB per argument.
if ! jq -n \
    --rawfile log "$raw_log" \
    --arg project "$project_id" \
    --arg step "$step_name" \
    --arg message "$message" \
    --arg error_type "$error_type" \
    --arg timestamp "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --arg workflow "$(ci_env WORKFLOW)" \
    --arg job "$(ci_env JOB)" \
    --arg run_id "$run_id" \
    --arg run_number "$(ci_env RUN_NUMBER)" \
    --arg run_url "$run_url" \
    --arg repository "$repository" \
    --arg ref "$(ci_env REF)" \
    --arg sha "$(ci_env SHA)" \
    --arg actor "$(ci_env ACTOR)" \
    --arg event_id "$event_id" \
    --argjson has_log "$has_log" \
    --argjson max_bytes "$MAX_BYTES" \
    "$JQ_PROGRAM" >"$payload" 2>"$TMPDIR_REPORT/jq.err"; then
    give_up "could not build the report with jq (jq 1.6 or newer is needed)"
fi
error_type=$(jq -r '.error.type' "$payload" 2>/dev/null | head -c 128 | tr -cd 'A-Za-z0-9_.-')

if [ "$dry_run" = 1 ]; then
    cat "$payload"
    notice "dry run: $error_type for $project_id, nothing sent$log_note"
    exit 0
fi

# ---------------------------------------------------------------------------------- send

endpoint="${base_url%/}/api/v1/logs/report"
response="$TMPDIR_REPORT/response.json"
curl_args=(--silent --max-time "$MAX_TIME" --proto '=http,https'
    -X POST -H 'Content-Type: application/json' -H 'Accept: application/json'
    -H 'User-Agent: log-center-cicd-reporter/1'
    --data-binary "@$payload" -o "$response" -w '%{http_code}')
token=${LOG_CENTER_TOKEN:-}
token=${token//$'\r'/}
token=${token//$'\n'/}
if [ -n "$token" ]; then
    # Through a file, not argv: command lines are visible to every process on the runner.
    header="$TMPDIR_REPORT/auth.header"
    printf 'Authorization: Bearer %s\n' "$token" >"$header"
    curl_args+=(-H "@$header")
fi

http_code=$(curl "${curl_args[@]}" -- "$endpoint" 2>/dev/null)
curl_rc=$?
# One retry, with the same body and so the same event_id, when Log Center was briefly
# unavailable (503/429) or dropped the connection; never after a timeout (the 10 s bound).
if [ "$curl_rc" = 52 ] || [ "$curl_rc" = 56 ] || { [ "$curl_rc" = 0 ] && { [ "$http_code" = 503 ] || [ "$http_code" = 429 ]; }; }; then
    sleep 1
    http_code=$(curl "${curl_args[@]}" -- "$endpoint" 2>/dev/null)
    curl_rc=$?
fi

if [ "$curl_rc" != 0 ]; then
    case $curl_rc in
        6) why="cannot resolve the Log Center host" ;;
        7) why="cannot connect to Log Center" ;;
        28) why="Log Center did not answer within ${MAX_TIME} s" ;;
        35 | 51 | 53 | 54 | 58 | 59 | 60 | 64 | 66 | 77 | 80 | 82 | 83 | 90 | 91) why="TLS error talking to Log Center (curl exit $curl_rc)" ;;
        52 | 56) why="Log Center closed the connection" ;;
        *) why="curl failed (exit $curl_rc)" ;;
    esac
    give_up "$why"
fi

case $http_code in
    200 | 201)
        # Only a report receipt counts: a proxy or an SPA may answer 200 with a web page.
        summary=$(jq -r 'select(type == "object" and (.id | type) == "number")
            | "bug \(.id) (\(if .is_new then "new" else "seen \(.occurrence_count) times" end))"' \
            "$response" 2>/dev/null)
        [ -n "$summary" ] ||
            give_up "Log Center answered HTTP $http_code without a report receipt (is LOG_CENTER_URL the API's base URL?)"
        notice "reported $error_type for $project_id step '$step_name' as $summary$log_note"
        ;;
    *)
        code=$(jq -r '.error.code // empty' "$response" 2>/dev/null | head -c 64 | tr -cd 'a-z_')
        fields=$(jq -r '[.error.details[]?.field | strings] | join(", ")' "$response" 2>/dev/null |
            head -c 200 | tr -cd 'A-Za-z0-9_.,[] ')
        detail=${code:+ $code}${fields:+: $fields}
        give_up "Log Center answered HTTP ${http_code:-000}${detail}"
        ;;
esac
exit 0
