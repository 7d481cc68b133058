"""Secrets never leave the runner: not in the stored log_tail or message, not on stdout/stderr.

The fake secrets are generated (never written out literally here), each embedded in the kind
of log line it really shows up in. Every line carries a marker that must survive, so a
reporter that dropped the log (or the line) would fail too.
"""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from tests.ci.reporter_support import get_bug, run_reporter, unique_project

_rng = random.Random(20261128)
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def b64(n: int) -> str:
    return rand(n, ALNUM + "+/")


HEX40 = lambda: rand(40, "0123456789abcdef")  # noqa: E731

# Secrets that reach the log through environment variables the step has (the script scrubs
# the values of variables whose names say TOKEN/SECRET/PASSWORD/PASSWD/KEY/CREDENTIAL).
ENV_SECRETS = {
    "DEPLOY_PASSWORD": "Pa55-" + rand(14),
    "LOG_CENTER_TOKEN": "lc-" + rand(28),
    "API_SECRET": "a.b*c+d?(e)[f]{g}|h^$" + rand(8),   # regex metacharacters: replaced literally
    "registry_credential": rand(24),                     # lower-case name
    "SSH_PRIVATE_KEY_PASSPHRASE": "correct horse " + rand(10),
}

_rsa_body = [b64(64) for _ in range(6)]
_openssh_body = [b64(70) for _ in range(4)]
_pk_inline_body = b64(60)
_basic = base64.b64encode(f"deploy:{rand(16)}".encode()).decode()

# kind -> (secret values that must vanish, log text containing them)
SECRETS: dict[str, tuple[list[str], str]] = {}


def kind(name: str, secrets: list[str], text: str) -> None:
    SECRETS[name] = (secrets, text)


_v = "ghp_" + rand(36)
kind("github classic PAT", [_v], f"remote: using {_v} for the push")
_v = "gho_" + rand(36)
kind("github oauth token", [_v], f"oauth token is {_v}")
_v = "ghs_" + rand(36)
kind("github app token in a clone URL", [_v],
     f"git clone https://x-access-token:{_v}@github.com/team/app.git")
_v = "github_pat_" + rand(22) + "_" + rand(59)
kind("github fine-grained PAT", [_v], f"GH_PAT value {_v} rejected")
_v = HEX40()
kind("gitea token in an Authorization header", [_v],
     f"curl -H 'Authorization: token {_v}' https://gitea.example.com/api/v1/user")
_v = HEX40()
kind("gitea token as URL user", [_v], f"fatal: unable to access 'https://{_v}@gitea.example.com/team/app.git/'")
_v = HEX40()
kind("gitea token in a query string", [_v], f"GET https://gitea.example.com/api/v1/repos?access_token={_v} 401")
_v = "glpat-" + rand(20, ALNUM + "-_")
kind("gitlab PAT", [_v], f"GITLAB: {_v} expired")
_v = "AKIA" + rand(16, string.ascii_uppercase + string.digits)
kind("aws access key id", [_v], f"Credentials: access key {_v} in us-east-1")
_v = b64(40)
kind("aws secret access key", [_v], f"aws_secret_access_key = {_v}")
kind("rsa private key block", _rsa_body,
     "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(_rsa_body) + "\n-----END RSA PRIVATE KEY-----")
kind("openssh private key block", _openssh_body,
     "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(_openssh_body) + "\n-----END OPENSSH PRIVATE KEY-----")
kind("private key inside JSON", [_pk_inline_body],
     json.dumps({"type": "service_account",
                 "private_key": f"-----BEGIN PRIVATE KEY-----\n{_pk_inline_body}\n-----END PRIVATE KEY-----\n"}))
_jwt = ".".join(base64.urlsafe_b64encode(p.encode()).decode().rstrip("=") for p in
                ('{"alg":"HS256","typ":"JWT"}', '{"sub":"' + rand(12) + '","iat":1795840000}', rand(32)))
kind("jwt", [_jwt, _jwt.split(".", 1)[1]], f"session cookie jwt={_jwt};")
_v = rand(48, ALNUM + "-._~")
kind("bearer header", [_v], f"> Authorization: Bearer {_v}")
kind("basic auth header", [_basic], f'-H "Authorization: Basic {_basic}"')
_v = rand(18)
kind("password in a database URL", [_v], f"connecting to postgres://app:{_v}@db.internal:5432/app")
_v = "npm_" + rand(36)
kind("npmrc auth token", [_v], f"//registry.npmjs.org/:_authToken={_v}")
_v = "xoxb-" + rand(12, string.digits) + "-" + rand(24)
kind("slack bot token", [_v], f"posting to slack with {_v}")
_v = "sk_live_" + rand(24)
kind("stripe secret key", [_v], f"STRIPE: {_v}")
_v = "AIza" + rand(35, ALNUM + "-_")
kind("google api key", [_v], f"maps?key={_v}&q=x")
_v = rand(16)
kind("docker login password flag", [_v], f"+ docker login -u ci --password {_v} registry.example.com")
_v = "correct horse " + rand(12)
kind("password in JSON", [_v], json.dumps({"user": "svc", "password": _v}))
_v = rand(20)
kind("curl basic auth flag", [_v], f"+ curl -u admin:{_v} https://nexus.example.com/repo")
_v = "pypi-AgEIcHlwaS5vcmc" + rand(60, ALNUM + "-_")
kind("pypi token", [_v], f"twine upload --password {_v[:10]}... using {_v}")
_v = "sk-proj-" + rand(48)
kind("openai key", [_v], f"OPENAI {_v}")
_v = "dckr_pat_" + rand(27, ALNUM + "-_")
kind("docker hub PAT", [_v], f"echo {_v} | docker login --password-stdin")
_v = rand(22)
kind("yaml secret", [_v], f"  client_secret: {_v}")
for _name, _value in ENV_SECRETS.items():
    kind(f"env {_name}", [_value], f"debug: value is {_value} (from the environment)")

NOT_SECRET = {
    "commit sha": "HEAD is now at " + "9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912" + " fix build",
    "short env value": "the cache key is abc",       # SHORT_KEY=abc is too short to scrub
    "keyword prose": "password authentication failed for user app",
    "python error": "KeyError: 'missing'",
}


def _log() -> tuple[str, list[str]]:
    lines, markers = [], []
    for i, (name, (_, text)) in enumerate(SECRETS.items()):
        marker = f"[marker {i:02d}]"
        markers.append(marker)
        lines.append(f"{marker} {name}:")
        lines.append(text)
    lines.extend(NOT_SECRET.values())
    lines.append("ERROR: the build failed")
    return "\n".join(lines) + "\n", markers


def _all_secrets() -> list[str]:
    return [s for secrets, _ in SECRETS.values() for s in secrets]


def _env(gateway) -> dict[str, str]:
    return {"LOG_CENTER_URL": gateway.url, "GITHUB_JOB": "build", "SHORT_KEY": "abc",
            "GITHUB_SHA": "9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912", **ENV_SECRETS}


def _assert_clean(text: str, where: str) -> None:
    leaked = [s for s in _all_secrets() if s in text]
    assert not leaked, f"{len(leaked)} secret(s) leaked into {where}: {[s[:12] for s in leaked]}"


def test_at_least_twenty_kinds_of_secrets_are_covered():
    assert len(SECRETS) >= 20
    assert all(len(s) >= 6 for s in _all_secrets())


def test_secrets_in_the_log_are_not_stored_or_printed(gateway, tmp_path):
    text, markers = _log()
    log = tmp_path / "build.log"
    log.write_text(text)
    run = run_reporter([unique_project("secrets"), "deploy", "--log-file", str(log)], _env(gateway))
    assert run.returncode == 0, run
    _assert_clean(run.output, "stdout/stderr")
    bug = get_bug(gateway.url, run.bug_id())
    tail = bug["context"]["log_tail"]
    _assert_clean(tail, "log_tail")
    _assert_clean(json.dumps(bug, ensure_ascii=False), "the stored bug")
    for marker in markers:
        assert marker in tail                                    # every line is still there
    for line in NOT_SECRET.values():
        assert line in tail                                      # and harmless text is kept
    assert "[REDACTED" in tail
    # The first real error line of the log is the message (git's, which failed first), scrubbed.
    assert bug["error_message"] == "fatal: unable to access 'https://[REDACTED]@gitea.example.com/team/app.git/'"


@pytest.mark.parametrize("name", list(SECRETS))
def test_each_kind_alone_is_scrubbed(gateway, tmp_path, name):
    secrets, text = SECRETS[name]
    log = tmp_path / "one.log"
    log.write_text(f"before\n{text}\nafter\n")
    run = run_reporter([unique_project("one"), "build", "failed", "--log-file", str(log), "--dry-run"],
                       _env(gateway))
    assert run.returncode == 0, run
    payload = json.loads(run.stdout)
    tail = payload["context"]["log_tail"]
    assert tail.startswith("before\n") and tail.endswith("after\n")
    assert not [s for s in secrets if s in run.output], f"{name} leaked"


def test_secrets_in_a_given_message_are_not_stored(gateway):
    secrets, _ = SECRETS["bearer header"]
    pat = SECRETS["github classic PAT"][0][0]
    url_pw = SECRETS["password in a database URL"][0][0]
    env_pw = ENV_SECRETS["DEPLOY_PASSWORD"]
    message = (f"deploy failed: Authorization: Bearer {secrets[0]}\n"
               f"token {pat} rejected; db postgres://app:{url_pw}@db/app; pw {env_pw}")
    run = run_reporter([unique_project("msgsecret"), "deploy", message], _env(gateway))
    assert run.returncode == 0, run
    stored = get_bug(gateway.url, run.bug_id())["error_message"]
    for s in (secrets[0], pat, url_pw, env_pw):
        assert s not in stored and s not in run.output
    assert stored.startswith("deploy failed: Authorization: ") and "[REDACTED]" in stored


def test_a_secret_on_the_last_error_line_is_scrubbed_from_the_derived_message(gateway, tmp_path):
    url_pw = SECRETS["password in a database URL"][0][0]
    log = tmp_path / "log.txt"
    log.write_text(f"migrating\nERROR: could not connect to postgres://app:{url_pw}@db:5432/app\n")
    run = run_reporter([unique_project("derived"), "deploy", "--log-file", str(log)], _env(gateway))
    bug = get_bug(gateway.url, run.bug_id())
    assert bug["error_message"] == "ERROR: could not connect to postgres://[REDACTED]@db:5432/app"
    assert url_pw not in run.output


def test_a_private_key_cut_by_the_tail_is_still_scrubbed(gateway, tmp_path):
    body = [b64(64) for _ in range(300)]                 # the BEGIN line falls outside the 200 lines
    log = tmp_path / "key.log"
    log.write_text("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(body)
                   + "\n-----END RSA PRIVATE KEY-----\nerror: leaked a key\n")
    run = run_reporter([unique_project("cutkey"), "build", "--log-file", str(log)], _env(gateway))
    tail = get_bug(gateway.url, run.bug_id())["context"]["log_tail"]
    assert not [line for line in body if line in tail]
    assert tail.endswith("error: leaked a key\n")


def test_the_token_is_not_on_any_command_line(gateway, tmp_path):
    """LOG_CENTER_TOKEN goes to curl through a file: `ps` must never show it."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    seen = tmp_path / "argv.txt"
    (fake_bin / "curl").write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" >> {seen}\nexec /usr/bin/curl "$@"\n')
    (fake_bin / "curl").chmod(0o755)
    token = ENV_SECRETS["LOG_CENTER_TOKEN"]
    run = run_reporter([unique_project("argv"), "build", "x"], _env(gateway), path=f"{fake_bin}:/usr/bin:/bin")
    assert run.returncode == 0 and "as bug" in run.stderr, run
    argv = seen.read_text()
    assert "--max-time" in argv and token not in argv
