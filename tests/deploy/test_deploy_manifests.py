"""k8s/: every manifest validates (kubernetes-validate, current Kubernetes, strict), the
RBAC grants exactly what the scanner calls, and the pieces agree with each other."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from functions.pod_scanner.podscan import Kube, ScanConfig, rbac, scan
from functions.pod_scanner.podscan.report import Reporter
from shared import gateway
from tests.pod_scanner import pods as P
from tests.pod_scanner.kube_mock import FakeCluster, KubeApi
from tests.support.gateway import free_port

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
K8S_VERSION = kubernetes_validate.latest_version()
CONFIG_VARS = set(re.findall(r"^\| `([A-Z_]+)`", (ROOT / "functions/pod_scanner/podscan/config.py").read_text(), re.M))
CONFIG_VARS |= {"LOG_CENTER_TOKEN_FILE", "LOGCENTER_SECRETS_DIR"}

# Custom resources have no schema in kubernetes-validate: these are the parts of their CRDs
# (Traefik v3 Middleware, Knative Serving v1 Service) that
# the manifests use, closed against unknown fields. A Knative Service's pod template is
# additionally validated as a core PodSpec below.
_META = {"type": "object", "required": ["name", "namespace"],
         "properties": {"name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                        "namespace": {"type": "string"}, "labels": {"type": "object"},
                        "annotations": {"type": "object"}}, "additionalProperties": False}
CRD_SCHEMAS = {
    ("traefik.io/v1alpha1", "Middleware"): {
        "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"apiVersion": {}, "kind": {}, "metadata": _META, "spec": {
            "type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
            "properties": {
                "addPrefix": {"type": "object", "required": ["prefix"], "additionalProperties": False,
                              "properties": {"prefix": {"type": "string", "pattern": "^/"}}},
                "replacePathRegex": {"type": "object", "required": ["regex", "replacement"],
                                     "additionalProperties": False,
                                     "properties": {"regex": {"type": "string"}, "replacement": {"type": "string"}}},
                "stripPrefix": {"type": "object", "additionalProperties": False,
                                "properties": {"prefixes": {"type": "array", "items": {"type": "string"}}}}}}},
        "additionalProperties": False},
    ("serving.knative.dev/v1", "Service"): {
        "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"apiVersion": {}, "kind": {}, "metadata": _META, "spec": {
            "type": "object", "required": ["template"], "additionalProperties": False,
            "properties": {"template": {
                "type": "object", "required": ["spec"], "additionalProperties": False,
                "properties": {"metadata": {"type": "object", "additionalProperties": False, "properties": {
                                   "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                                   "labels": {"type": "object", "additionalProperties": {"type": "string"}}}},
                               "spec": {"type": "object", "required": ["containers"], "properties": {
                                   "containerConcurrency": {"type": "integer", "minimum": 0},
                                   "timeoutSeconds": {"type": "integer", "minimum": 1},
                                   "containers": {"type": "array", "minItems": 1, "maxItems": 1}}}}}}}},
        "additionalProperties": False},
}
KNATIVE_ONLY_SPEC_FIELDS = ("containerConcurrency", "timeoutSeconds", "responseStartTimeoutSeconds",
                            "idleTimeoutSeconds")


def documents(name: str | None = None) -> list[tuple[str, dict]]:
    files = [K8S / name] if name else sorted(K8S.glob("*.yaml"))
    return [(f.name, doc) for f in files for doc in yaml.safe_load_all(f.read_text()) if doc]


def find(kind: str, name: str, file: str | None = None, namespace: str | None = None) -> dict:
    hits = [d for _, d in documents(file) if d["kind"] == kind and d["metadata"]["name"] == name
            and (namespace is None or d["metadata"].get("namespace") == namespace)]
    assert len(hits) == 1, f"{kind}/{name}: {len(hits)} found"
    return hits[0]


def validate(doc: dict) -> None:
    key = (doc["apiVersion"], doc["kind"])
    if key in CRD_SCHEMAS:
        jsonschema.validate(doc, CRD_SCHEMAS[key])
        if doc["kind"] == "Service":  # Knative: the revision template is a PodSpec
            spec = {k: v for k, v in doc["spec"]["template"]["spec"].items() if k not in KNATIVE_ONLY_SPEC_FIELDS}
            kubernetes_validate.validate({"apiVersion": "v1", "kind": "Pod",
                                          "metadata": {"name": doc["metadata"]["name"]}, "spec": spec},
                                         K8S_VERSION, strict=True)
        return
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_k8s_folder_has_the_expected_manifests():
    names = {p.name for p in K8S.glob("*.yaml")}
    assert {"monitor-cronjob.yaml", "ingress.yaml", "secrets.example.yaml", "knative.yaml"} <= names
    assert not list(K8S.glob("*.yml")), "use .yaml so every manifest is picked up here"


@pytest.mark.parametrize("file, doc", documents(), ids=lambda v: v if isinstance(v, str) else
                         f"{v['kind']}/{v['metadata']['name']}")
def test_manifest_validates(file, doc):
    validate(doc)
    labels = doc["metadata"].get("labels") or {}
    assert labels.get("app.kubernetes.io/part-of") == "log-center", "every object says what it belongs to"


def test_the_validators_reject_broken_manifests():
    cron = find("CronJob", "pod-scanner")
    broken = yaml.safe_load(yaml.safe_dump(cron))
    broken["spec"]["successfulJobsHistoryLimit"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)
    unknown = yaml.safe_load(yaml.safe_dump(cron))
    unknown["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(unknown)
    middleware = yaml.safe_load(yaml.safe_dump(find("Middleware", "logcenter-to-report")))
    middleware["spec"]["addPrefix"] = {"prefix": "function/report"}
    with pytest.raises(jsonschema.ValidationError):
        validate(middleware)
    ksvc = yaml.safe_load(yaml.safe_dump(find("Service", "pod-scanner", "knative.yaml")))
    ksvc["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "X", "value": 1}]
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(ksvc)


def observed_api_calls() -> set[tuple[str, str]]:
    """(verb, resource) of every request one real scan makes (namespaced and cluster-wide)."""
    cluster = FakeCluster()
    cluster.add(P.crashloop(), P.job_failed(), P.healthy(), P.evicted())
    cluster.set_log("shop", "api-7d4b9c6f5d-x2x9k", "app", previous="boom\n")
    with KubeApi(cluster) as api:
        for namespaces in ((), ("shop",)):
            config = ScanConfig(namespaces=namespaces, log_center_url=f"http://127.0.0.1:{free_port()}")
            client = api.api_client()
            scan(config, Kube(client), Reporter(config), now=P.NOW)
            client.close()
    calls = set()
    for path, params in cluster.requests:
        parts = path.strip("/").split("/")
        assert parts[:2] == ["api", "v1"], path
        if parts[-1] == "pods":
            calls.add(("list", "pods"))
        elif parts[-1] == "log":
            calls.add(("get", "pods/log"))
        else:
            calls.add(("get", "pods"))
    return calls


def rules_of(role: dict) -> set[tuple[str, str]]:
    granted = set()
    for rule in role["rules"]:
        assert rule["apiGroups"] == [""], "core API group only"
        assert not rule.get("resourceNames") and not rule.get("nonResourceURLs")
        for resource in rule["resources"]:
            for verb in rule["verbs"]:
                assert "*" not in (resource, verb)
                granted.add((verb, resource))
    return granted


def test_rbac_grants_exactly_what_the_scanner_calls():
    calls = observed_api_calls()
    assert calls == {("list", "pods"), ("get", "pods/log")}
    role = find("ClusterRole", "log-center-pod-scanner", "monitor-cronjob.yaml")
    # Exactly what a scan calls: no `get pods` (the scanner never reads single pods), nothing else.
    assert rules_of(role) == calls
    openfaas_role = find("ClusterRole", "log-center-pod-scanner-openfaas-fn", "pod-scanner-openfaas-rbac.yaml")
    assert rules_of(openfaas_role) == calls
    assert find("ClusterRoleBinding", "log-center-pod-scanner-openfaas-fn")["roleRef"]["name"] == \
        "log-center-pod-scanner-openfaas-fn"
    # Each file defines its own roles: deleting one file never removes the other's.
    defined = [(d["kind"], d["metadata"]["name"], d["metadata"].get("namespace")) for _, d in documents()
               if d["kind"] in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")]
    assert len(defined) == len(set(defined)), defined
    # What `python -m podscan rbac` prints for NAMESPACES unset is what the file ships.
    generated = rbac.manifests(())
    assert rules_of(generated[0]) == calls and generated[0]["rules"] == role["rules"]

    binding = find("ClusterRoleBinding", "log-center-pod-scanner", "monitor-cronjob.yaml")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": "log-center-pod-scanner"}
    cron = find("CronJob", "pod-scanner")
    pod_spec = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": pod_spec["serviceAccountName"],
                                    "namespace": cron["metadata"]["namespace"]}]
    find("ServiceAccount", pod_spec["serviceAccountName"], namespace="log-center")
    openfaas = find("ClusterRoleBinding", "log-center-pod-scanner-openfaas-fn")
    assert openfaas["subjects"] == [{"kind": "ServiceAccount", "name": "default", "namespace": "openfaas-fn"}]


def test_with_namespaces_set_the_rbac_is_one_role_per_namespace(tmp_path):
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "NAMESPACES": "shop, ops", "HOME": str(tmp_path),
           "LOGCENTER_SECRETS_DIR": str(tmp_path / "none")}
    out = subprocess.run([sys.executable, "-m", "functions.pod_scanner", "rbac"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    assert [(d["kind"], d["metadata"]["namespace"]) for d in docs] == [
        ("Role", "shop"), ("RoleBinding", "shop"), ("Role", "ops"), ("RoleBinding", "ops")]
    for doc in docs:
        validate(doc)
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "log-center"
    calls = observed_api_calls()
    assert all(rules_of(d) == calls for d in docs if d["kind"] == "Role")
    assert all(d["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                "name": "log-center-pod-scanner"}
               and d["subjects"] == [{"kind": "ServiceAccount", "name": "pod-scanner", "namespace": "log-center"}]
               for d in docs if d["kind"] == "RoleBinding")
    # a namespaced scan only ever asks inside its namespaces
    cluster = FakeCluster()
    cluster.add(P.crashloop(), P.crashloop(namespace="ops"), P.crashloop(namespace="secret"))
    with KubeApi(cluster) as api:
        config = ScanConfig(namespaces=("shop", "ops"), log_center_url=f"http://127.0.0.1:{free_port()}")
        client = api.api_client()
        scan(config, Kube(client), Reporter(config), now=P.NOW)
        client.close()
    assert cluster.requests and all(path.startswith(("/api/v1/namespaces/shop/", "/api/v1/namespaces/ops/"))
                                    for path, _ in cluster.requests)


def test_cronjob_shape():
    cron = find("CronJob", "pod-scanner")
    spec = cron["spec"]
    assert spec["schedule"] == "*/5 * * * *" and spec["concurrencyPolicy"] == "Forbid"
    assert spec["successfulJobsHistoryLimit"] >= 1 and spec["failedJobsHistoryLimit"] >= 1
    pod_spec = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod_spec["restartPolicy"] == "Never" and pod_spec["securityContext"]["runAsNonRoot"] is True
    [container] = pod_spec["containers"]
    assert container["resources"] == {"requests": {"memory": "64Mi", "cpu": "50m"},
                                      "limits": {"memory": "128Mi", "cpu": "100m"}}
    assert container["command"] == ["python", "-m", "podscan"]
    for obj in (cron, spec["jobTemplate"], spec["jobTemplate"]["spec"]["template"]):
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "pod-scanner" and all(
            k.startswith("app.kubernetes.io/") for k in labels)
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert set(env) <= CONFIG_VARS, set(env) - CONFIG_VARS
    assert env["LOG_CENTER_URL"].endswith("/function/report")
    # the token file is the mounted Secret's key, and that Secret exists in the same namespace
    [mount] = container["volumeMounts"]
    [volume] = [v for v in pod_spec["volumes"] if v["name"] == mount["name"]]
    secret = find("Secret", volume["secret"]["secretName"], "secrets.example.yaml", "log-center")
    assert env["LOG_CENTER_TOKEN_FILE"] == f"{mount['mountPath']}/{next(iter(secret['stringData']))}"
    # the image the CronJob runs is the one stack.yml builds for the scanner
    stack = yaml.safe_load((ROOT / "stack.yml").read_text())
    built = re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", stack["functions"]["pod-scanner"]["image"])
    assert container["image"] == built


def test_ingress_rewrites_the_api_paths_of_design_md_to_their_functions():
    middlewares = {f"{d['metadata']['namespace']}-{d['metadata']['name']}@kubernetescrd": d
                   for _, d in documents("ingress.yaml") if d["kind"] == "Middleware"}
    routed = {}
    for _, ing in documents("ingress.yaml"):
        if ing["kind"] != "Ingress" or ing["metadata"]["namespace"] != "openfaas":
            continue
        [ref] = ing["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"].split(",")
        prefix = middlewares[ref]["spec"]["addPrefix"]["prefix"]
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                assert p["backend"]["service"] == {"name": "gateway", "port": {"number": 8080}}
                assert p["pathType"] == "Prefix"
                # what the OpenFaaS gateway receives, and which function that path reaches
                rewritten = prefix + p["path"]
                routed[p["path"]] = gateway.function_for(rewritten)
                assert gateway.function_for(p["path"]) == routed[p["path"]], "same function as the local gateway"
    assert routed == {path: name for path, name in gateway.API_ROUTES}
    assert "pod-scanner" not in routed.values(), "the scanner is triggered, never exposed"
    assert "notify" not in routed.values(), "notify is triggered, never exposed"
    dashboard = find("Ingress", "logcenter-dashboard")
    [path] = dashboard["spec"]["rules"][0]["http"]["paths"]
    service = find("Service", path["backend"]["service"]["name"], "dashboard.yaml")
    assert service["metadata"]["namespace"] == dashboard["metadata"]["namespace"]
    hosts = {r["host"] for _, d in documents("ingress.yaml") if d["kind"] == "Ingress" for r in d["spec"]["rules"]}
    assert len(hosts) == 1, "API and dashboard share one origin (no CORS)"


def test_secrets_example_covers_every_secret_the_code_and_stack_read():
    stack = yaml.safe_load((ROOT / "stack.yml").read_text())
    wanted = {s for fn in stack["functions"].values() for s in fn.get("secrets", [])}
    settings_source = (ROOT / "shared/settings.py").read_text()
    for name in ("logcenter-database-url", "logcenter-ingest-token", "logcenter-api-token"):
        assert f'"{name}"' in settings_source, f"shared/settings.py no longer reads {name}"
    assert wanted == {"logcenter-database-url", "logcenter-ingest-token", "logcenter-api-token"}
    for name in wanted:
        secret = find("Secret", name, "secrets.example.yaml", "openfaas-fn")
        assert list(secret["stringData"]) == [name], "faas-cli style: the key is the secret's name"
        assert "CHANGE-ME" in secret["stringData"][name]


def test_knative_route():
    stack = yaml.safe_load((ROOT / "stack.yml").read_text())
    services = {d["metadata"]["name"]: d for _, d in documents("knative.yaml") if d["kind"] == "Service"}
    assert set(services) == set(stack["functions"])
    for name, svc in services.items():
        built = re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", stack["functions"][name]["image"])
        [container] = svc["spec"]["template"]["spec"]["containers"]
        assert container["image"] == built
        assert container["ports"] == [{"containerPort": 8080}]  # the watchdog's port
        mounted = {s["secret"]["name"] for v in svc["spec"]["template"]["spec"]["volumes"]
                   for s in v["projected"]["sources"]}
        assert mounted == set(stack["functions"][name]["secrets"])
    assert services["pod-scanner"]["spec"]["template"]["spec"]["serviceAccountName"] == "pod-scanner"
    assert not [d for _, d in documents("knative.yaml") if d["kind"] == "PingSource"], \
        "a PingSource cannot send the API token: use a trigger CronJob"


# The schedules (DESIGN.md): a scan every 5 minutes, retention daily at a quiet hour, due
# alerts every minute.
SCHEDULES = {"pod-scanner": "*/5 * * * *", "retention": "17 3 * * *", "notify": "* * * * *"}
TRIGGER_VARS = set(re.findall(r"^\| `([A-Z_]+)`", (ROOT / "shared/trigger/run.py").read_text(), re.M))
TRIGGER_VARS |= {"LOG_CENTER_API_TOKEN_FILE", "LOGCENTER_SECRETS_DIR"}
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")


def _post_root_auth(name: str) -> str | None:
    """The auth of the function's `POST /` route, read off its router."""
    import sys

    gateway.load_function(name)
    folder, _ = gateway.FUNCTIONS[name]
    router = sys.modules[f"logcenter_function_{folder}"].router
    [route] = [r for r in router.routes if r.method == "POST" and r.pattern.fullmatch("/")]
    return route.auth


@pytest.mark.parametrize("file, namespace, url", [
    ("triggers.yaml", "openfaas-fn", "http://gateway.openfaas.svc.cluster.local:8080/function/{name}"),
    ("knative.yaml", "log-center", "http://{name}.log-center.svc.cluster.local/"),
])
def test_scheduled_functions_are_triggered_with_the_api_token(file, namespace, url):
    stack = yaml.safe_load((ROOT / "stack.yml").read_text())
    text = (K8S / file).read_text()
    crons = {d["metadata"]["name"]: d for _, d in documents(file) if d["kind"] == "CronJob"}
    assert set(crons) == {f"{name}-trigger" for name in SCHEDULES}
    for name, schedule in SCHEDULES.items():
        cron = crons[f"{name}-trigger"]
        assert name in stack["functions"] and cron["metadata"]["namespace"] == namespace
        assert _post_root_auth(name) in ("api", "any"), f"{name}: the trigger exists because POST / needs a token"
        spec = cron["spec"]
        assert spec["schedule"] == schedule and spec["concurrencyPolicy"] == "Forbid"
        assert all(CRON_FIELD.match(f) for f in schedule.split()) and len(schedule.split()) == 5
        assert re.search(r'^\s+schedule:\s*"' + re.escape(schedule) + r'"\s*$', text, re.M), "quote the schedule"
        pod_spec = spec["jobTemplate"]["spec"]["template"]["spec"]
        assert pod_spec["restartPolicy"] == "Never" and pod_spec["automountServiceAccountToken"] is False
        assert pod_spec["securityContext"]["runAsNonRoot"] is True
        [container] = pod_spec["containers"]
        assert container["command"] == ["python", "-m", "shared.trigger"]
        built = re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", stack["functions"][name]["image"])
        assert container["image"] == built, "the function's own image: it has shared/ and requests"
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert set(env) <= TRIGGER_VARS, set(env) - TRIGGER_VARS
        assert env["TRIGGER_URL"] == url.format(name=name)
        # the scanner's and retention's runs may take their exec_timeout: the trigger waits that long
        exec_timeout = int(stack["functions"][name]["environment"]["exec_timeout"].rstrip("s"))
        assert float(env["TRIGGER_TIMEOUT_SECONDS"]) >= exec_timeout
        assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] > exec_timeout
        # the token file is the mounted Secret's key, and that Secret exists in the same namespace
        [mount] = container["volumeMounts"]
        [volume] = [v for v in pod_spec["volumes"] if v["name"] == mount["name"]]
        secret = find("Secret", volume["secret"]["secretName"], "secrets.example.yaml", namespace)
        assert volume["secret"]["secretName"] == "logcenter-api-token"
        assert env["LOG_CENTER_API_TOKEN_FILE"] == f"{mount['mountPath']}/{next(iter(secret['stringData']))}"


def test_dashboard_config_points_at_the_api():
    config_map = find("ConfigMap", "log-center-dashboard-config")
    assert re.search(r'window\.LOGCENTER_CONFIG\s*=\s*\{\s*apiBaseUrl:\s*""', config_map["data"]["config.js"])
    shipped = (ROOT / "web/public/config.js").read_text()
    assert "window.LOGCENTER_CONFIG" in shipped and "apiBaseUrl" in shipped
    deployment = find("Deployment", "log-center-dashboard")
    [mount] = deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert mount["mountPath"].endswith("/config.js") and mount["subPath"] == "config.js"
