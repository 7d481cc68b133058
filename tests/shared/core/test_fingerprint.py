import hashlib

from shared.core.fingerprint import fingerprint, fingerprint_parts


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_runtime_uses_project_type_file_and_line():
    assert fingerprint("runtime", "p", "ValueError", "app/x.py", 42, {"job_name": "ignored"}) == \
        sha("p|ValueError|app/x.py|42")


def test_runtime_without_location_uses_empty_parts():
    assert fingerprint_parts("runtime", "p", "E", None, None, None) == ["p", "E", "", ""]


def test_cicd_uses_job_and_step_not_file():
    fp = fingerprint("cicd", "p", "DockerBuildError", "ignored.py", 1, {"job_name": "build", "step_name": "docker"})
    assert fp == sha("p|cicd|DockerBuildError|build|docker")


def test_deployment_uses_namespace_and_deployment_not_pod():
    a = fingerprint("deployment", "p", "OOMKilled", None, None,
                    {"namespace": "prod", "deployment_name": "api", "pod_name": "api-1"})
    b = fingerprint("deployment", "p", "OOMKilled", None, None,
                    {"namespace": "prod", "deployment_name": "api", "pod_name": "api-2"})
    assert a == b == sha("p|deployment|OOMKilled|prod|api")


def test_sources_never_collide():
    ctx = {"job_name": "j", "step_name": "s", "namespace": "j", "deployment_name": "s"}
    fps = {fingerprint(s, "p", "E", "j", None, ctx) for s in ("runtime", "cicd", "deployment")}
    assert len(fps) == 3
