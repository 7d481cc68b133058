"""stack.yml against the rules faas-cli enforces, the Dockerfile pattern, and the build
contexts faas-cli would make from them (handler folder + `configuration.copy`)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shared import gateway

ROOT = Path(__file__).resolve().parents[2]
STACK_TEXT = (ROOT / "stack.yml").read_text()
STACK = yaml.safe_load(STACK_TEXT)
FUNCTIONS = STACK["functions"]
DOCKERFILE = (ROOT / "docker/Dockerfile").read_text()
RFC1035 = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")


def test_stack_header():
    assert STACK["version"] == "1.0" and isinstance(STACK["version"], str)
    assert re.search(r'^version:\s*"1\.0"\s*$', STACK_TEXT, re.M), "quote the version: 1.0 unquoted is a float"
    assert STACK["provider"]["name"] == "openfaas"
    assert STACK["provider"]["gateway"].startswith("http")
    assert set(STACK) <= {"version", "provider", "functions", "configuration"}


def test_one_function_per_folder_named_like_the_gateway():
    assert set(FUNCTIONS) == set(gateway.FUNCTIONS)
    for name, fn in FUNCTIONS.items():
        assert RFC1035.match(name), f"{name}: function names are RFC 1035 labels"
        assert fn["lang"] == "dockerfile"
        folder, target = gateway.FUNCTIONS[name]
        assert fn["handler"] == f"./functions/{folder}"
        assert fn["build_args"] == {"FUNCTION_TARGET": target}
        assert re.match(r"^\S+/" + re.escape(name) + r":\S+$", fn["image"]), fn["image"]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_handler_folder_has_the_entry_point(name):
    fn = FUNCTIONS[name]
    handler = (ROOT / fn["handler"]).resolve()
    assert ROOT in handler.parents and handler.is_dir()
    tree = ast.parse((handler / "main.py").read_text())
    entries = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)
               and any("functions_framework.http" in ast.unparse(d) for d in node.decorator_list)}
    assert entries == {fn["build_args"]["FUNCTION_TARGET"]}


def test_map_typed_fields_are_maps_of_strings():
    for name, fn in FUNCTIONS.items():
        for key in ("environment", "labels", "annotations", "build_args"):
            if key in fn:
                assert isinstance(fn[key], dict), f"{name}.{key} must be a map, not a list"
                for k, v in fn[key].items():
                    assert isinstance(k, str) and isinstance(v, str), f"{name}.{key}.{k}: quote {v!r}"
        for key in ("requests", "limits"):
            if key in fn:
                assert isinstance(fn[key], dict) and set(fn[key]) <= {"memory", "cpu"}
        assert isinstance(fn.get("secrets", []), list) and all(isinstance(s, str) for s in fn.get("secrets", []))
        assert set(fn) <= {"lang", "handler", "image", "build_args", "environment", "secrets", "labels",
                           "annotations", "requests", "limits", "constraints", "readonly_root_filesystem"}


def test_no_function_relies_on_the_cron_connector():
    """The cron-connector cannot send the API token the scheduled routes need once one is
    set: schedules are CronJobs running `python -m shared.trigger` (k8s/triggers.yaml,
    tests/deploy/test_deploy_manifests.py checks them)."""
    for name, fn in FUNCTIONS.items():
        annotations = fn.get("annotations") or {}
        assert "topic" not in annotations and "schedule" not in annotations, \
            f"{name}: a cron-connector call gets 401 when LOGCENTER_API_TOKEN is set; add a trigger CronJob"
    assert "cron-function" not in STACK_TEXT
    # the scanner answers the trigger with the API token, and reports with the ingest token
    assert {"logcenter-api-token", "logcenter-ingest-token"} <= set(FUNCTIONS["pod-scanner"]["secrets"])
    assert "logcenter-api-token" in FUNCTIONS["retention"]["secrets"]
    assert FUNCTIONS["report"]["environment"]["LOGCENTER_NOTIFY_URL"].endswith("/async-function/notify")
    # notify accepts the report's poke (ingest token) and the trigger's call (API token)
    assert {"logcenter-api-token", "logcenter-ingest-token"} <= set(FUNCTIONS["notify"]["secrets"])
    env = FUNCTIONS["pod-scanner"]["environment"]
    assert env["LOG_CENTER_URL"].endswith("/function/report")
    # the scan may take longer than of-watchdog's 10 s default
    assert all(env[k] == "150s" for k in ("read_timeout", "write_timeout", "exec_timeout"))


def test_copy_paths_stay_inside_the_project():
    copy = STACK["configuration"]["copy"]
    assert "./shared" in copy
    for path in copy:
        resolved = (ROOT / path).resolve()
        assert resolved != ROOT and ROOT in resolved.parents, f"{path} is outside the project (faas-cli refuses)"
        assert resolved.exists()
        if resolved.is_file():
            assert resolved.parent == ROOT, f"{path}: faas-cli cannot create parent folders for a copied file"


def test_offline_dockerfile_template():
    template = yaml.safe_load((ROOT / "template/dockerfile/template.yml").read_text())
    assert template["language"] == "dockerfile"


def test_the_dockerfile_pattern():
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", DOCKERFILE, re.M))
    froms = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    images = [args[f[2:-1]] if f.startswith("${") else f for f in froms]
    assert len(images) == 2
    for image in images:
        name, _, tag = image.partition("@")[0].rpartition(":")
        assert name and re.match(r"^\d+\.\d+\.\d+", tag), f"{image}: pin an exact version tag"
    assert images[0].startswith("ghcr.io/openfaas/of-watchdog:")
    env = DOCKERFILE.split("ENV FUNCTION_TARGET", 1)[1]
    assert "mode=http" in env and "upstream_url=http://127.0.0.1:5000" in env
    assert 'fprocess="functions-framework --target ${FUNCTION_TARGET} --source main.py --host 127.0.0.1 --port 5000"' in env
    assert re.search(r"THREADS=\d+", env) and re.search(r"WORKERS=\d+", env)
    assert "ready_path=/_/ready" in env
    [user] = re.findall(r"^USER (\S+)$", DOCKERFILE, re.M)
    assert re.match(r"^[1-9]\d*:[1-9]\d*$", user), "a numeric non-root user, so runAsNonRoot can check it"
    assert DOCKERFILE.rstrip().endswith('CMD ["fwatchdog"]')


def build_context(name: str, dest: Path) -> Path:
    """What faas-cli's CreateBuildContext makes for a `dockerfile` function."""
    fn = FUNCTIONS[name]
    context = dest / name
    context.mkdir(parents=True)
    handler = ROOT / fn["handler"]
    for item in handler.iterdir():
        if item.name in ("build", "template", "__pycache__"):
            continue
        (shutil.copytree if item.is_dir() else shutil.copy2)(item, context / item.name)
    for path in STACK["configuration"]["copy"]:
        src = ROOT / path
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, context / path, **(
            {"ignore": shutil.ignore_patterns("__pycache__")} if src.is_dir() else {}))
    return context


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_build_context(name, tmp_path):
    context = build_context(name, tmp_path)
    dockerfile = context / "Dockerfile"
    assert dockerfile.is_file(), f"{FUNCTIONS[name]['handler']}/Dockerfile is missing: copy docker/Dockerfile there"
    assert dockerfile.read_text() == DOCKERFILE, f"{FUNCTIONS[name]['handler']}/Dockerfile differs from docker/Dockerfile"
    for source in re.findall(r"^COPY (?!--from)(\S+) ", DOCKERFILE, re.M):
        assert (context / source).exists(), f"COPY {source}: not in the build context"
    assert (context / "shared/__init__.py").is_file() and (context / "main.py").is_file()


FLAT_IMPORT = r"""
import json, sys
sys.modules["functions"] = None          # the image has no `functions` package
sys.path.insert(0, sys.argv[1])
import functions_framework
app = functions_framework.create_app("pod_scanner", sys.argv[1] + "/main.py")
client = app.test_client()
health = client.get("/_/health")
ready = client.get("/function/pod-scanner/_/ready")
podscan = sys.modules["podscan"]
print(json.dumps({"health": health.status_code, "ready": ready.status_code, "podscan": podscan.__file__,
                  "shared": sys.modules["shared"].__file__}))
"""


def test_the_scanner_imports_flat_as_in_its_image(tmp_path):
    context = build_context("pod-scanner", tmp_path)
    env = {"PATH": "/usr/bin:/bin", "LOGCENTER_SECRETS_DIR": str(tmp_path / "none"), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", FLAT_IMPORT, str(context)], cwd=context, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = yaml.safe_load(result.stdout)
    assert out["health"] == 200 and out["ready"] == 200
    assert out["podscan"].startswith(str(context)) and out["shared"].startswith(str(context))
    cli = subprocess.run([sys.executable, "-m", "podscan", "--help"], cwd=context, env=env,
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0 and "exit status" in cli.stdout
