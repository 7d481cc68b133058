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

Report a failed CI/CD step to Log Center. Always exits 0.

Arguments:
  project_id           Log Center project id (letters, digits, _ . -)
  step_name            the step that failed, e.g. "docker build"; also picks the error type
  message              the error message; default: the last error line of the log

Options:
  --log-file PATH      send the tail of this log (last 200 lines, at most 64 KiB); - reads stdin
  --error-type TYPE    override the inferred error type
  --dry-run            print the JSON that would be sent (already scrubbed) and send nothing
  -h, --help           show this help
  --                   end of options (for a message starting with -)

Environment:
  LOG_CENTER_URL       base URL of Log Center, e.g. https://logcenter.example.com (required)
  LOG_CENTER_TOKEN     ingest token, sent as "Authorization: Bearer ..." (optional)
  LOG_CENTER_RUN_URL   link to the CI run (default: $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID)
  GITHUB_* / GITEA_*   read for the context: workflow, job, run id/number, repository, ref, sha, actor

Error types inferred from step_name (first match wins): docker -> DockerBuildError;
test, pytest, jest, vitest -> TestFailure; lint, eslint, ruff, flake8 -> LintError;
deploy, kubectl, helm -> DeployError; npm, yarn, pnpm, vite, webpack -> NpmBuildError;
anything else -> BuildError.
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
    else
        echo BuildError
    fi
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

ci_env() { # ci_env NAME: $GITHUB_NAME, else $GITEA_NAME, else empty
    local github="GITHUB_$1" gitea="GITEA_$1"
    printf '%s' "${!github:-${!gitea:-}}"
}

server_url=$(ci_env SERVER_URL)
repository=$(ci_env REPOSITORY)
run_id=$(ci_env RUN_ID)
run_url=${LOG_CENTER_RUN_URL:-}
if [ -z "$run_url" ] && [ -n "$server_url" ] && [ -n "$repository" ] && [ -n "$run_id" ]; then
    run_url="${server_url%/}/$repository/actions/runs/$run_id"
fi

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

# The last meaningful error line of the (scrubbed) log.
def error_line:
  "(?i)(\\berr(or)?s?\\b|err!|\\bfatal\\b|\\bfail(ed|ure|ures|s)?\\b|exception|\\bpanic\\b|traceback|\\bcannot\\b|\\bcould not\\b|\\bunable to\\b|denied|refused|\\btimed out\\b|segmentation fault|\\bkilled\\b|✖|✗|×)" as $err
  | "(?i)(\\b(0|no|zero) (errors?|failures?|failed)\\b)" as $none
  # never the message: pointers to other logs, runner epilogues, npm's bookkeeping
  | "(?i)(a complete log of this run can be found|this is probably not a problem with npm|additional logging output above|_logs/\\S*debug|process completed with exit code|^npm (err!|error)\\s*$|^npm (err!|error)\\s+(code|errno|path|workspace|location|command|signal|syscall|exit status|failed at the|lifecycle script)\\b)" as $noise
  # only when nothing better: package-manager and make wrappers, test-run summaries
  | "(?i)(^npm (err!|error)(\\s|$)|elifecycle|command failed with exit code|^make(\\[\\d+\\])?: \\*\\*\\*|^=+ .* =+$|^(tests?|test suites|test files):?\\s+\\d+ failed)" as $wrapper
  | [ split("\n")[]
      | sub("^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\s+"; "")
      | sub("^(##\\[error\\]|::error[^:]*::)"; "")
      | trim
      | select(length > 0) ] as $lines
  | ( [ $lines[] | select(test($err) and (test($none) | not) and (test($noise) | not) and (test($wrapper) | not)) ] | last )
    // ( [ $lines[] | select(test($err) and (test($none) | not) and (test($noise) | not)) ] | last )
    // ( [ $lines[] | select(test($noise) | not) ] | last );

env_secrets as $secrets
| (if $has_log then ($log | split("\n") | map(clean_line) | join("\n") | scrub($secrets) | cap_bytes($max_bytes)) else null end) as $tail
| (if $message != "" then ($message | scrub($secrets))
   else ((($tail // "") | error_line) // ($step + " failed")) | .[:1024]
   end) as $msg
| {
    project_id: $project,
    source: "cicd",
    level: "ERROR",
    timestamp: $timestamp,
    error: {type: $error_type, message: $msg},
    context: ({
      workflow_name: $workflow, job_name: $job, step_name: $step, run_id: $run_id,
      run_number: $run_number, run_url: $run_url, repository: $repository, ref: $ref,
      commit_sha: $sha, actor: $actor
    } | with_entries(select(.value != "")))
  }
| if $sha != "" then .commit_hash = $sha else . end
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
    --argjson has_log "$has_log" \
    --argjson max_bytes "$MAX_BYTES" \
    "$JQ_PROGRAM" >"$payload" 2>"$TMPDIR_REPORT/jq.err"; then
    give_up "could not build the report with jq (jq 1.6 or newer is needed)"
fi

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
