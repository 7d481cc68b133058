import hashlib
import json

import pytest

from shared.core.fingerprint import encode, fingerprint, fingerprint_parts


def sha(*parts: str) -> str:
    return hashlib.sha256(json.dumps(list(parts), ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def test_runtime_uses_project_type_file_and_line():
    assert fingerprint("runtime", "p", "ValueError", "app/x.py", 42, {"job_name": "ignored"}) == \
        sha("runtime", "p", "ValueError", "app/x.py", "42")


def test_runtime_without_location_uses_empty_parts():
    assert fingerprint_parts("runtime", "p", "E", None, None, None) == ["p", "E", "", ""]


def test_cicd_uses_job_and_step_not_file():
    fp = fingerprint("cicd", "p", "DockerBuildError", "ignored.py", 1, {"job_name": "build", "step_name": "docker"})
    assert fp == sha("cicd", "p", "cicd", "DockerBuildError", "build", "docker")


def test_deployment_uses_namespace_and_deployment_not_pod():
    a = fingerprint("deployment", "p", "OOMKilled", None, None,
                    {"namespace": "prod", "deployment_name": "api", "pod_name": "api-1"})
    b = fingerprint("deployment", "p", "OOMKilled", None, None,
                    {"namespace": "prod", "deployment_name": "api", "pod_name": "api-2"})
    assert a == b == sha("deployment", "p", "deployment", "OOMKilled", "prod", "api")


def test_sources_never_collide():
    ctx = {"job_name": "j", "step_name": "s", "namespace": "j", "deployment_name": "s"}
    fps = {fingerprint(s, "p", "E", "j", None, ctx) for s in ("runtime", "cicd", "deployment")}
    assert len(fps) == 3


@pytest.mark.parametrize("runtime_parts, other", [
    # the reported attack: a runtime type and file that spell a CI/CD bug's parts with `|`
    (("p", "cicd|LintError", "lint", None), ("cicd", {"job_name": "lint", "step_name": ""}, "LintError")),
    (("p", "deployment|OOMKilled|prod", "api", None),
     ("deployment", {"namespace": "prod", "deployment_name": "api"}, "OOMKilled")),
    # separators, quotes, brackets and escapes inside parts
    (("p", 'E","x', "a", 1), ("cicd", {"job_name": "x", "step_name": "a"}, "E")),
    (("p", "E", "a|b", None), ("cicd", {"job_name": "b", "step_name": ""}, "E|a")),
    (("p", "E\\", '"', 3), ("deployment", {"namespace": '"', "deployment_name": "3"}, "E\\")),
])
def test_no_runtime_report_lands_on_another_sources_bug(runtime_parts, other):
    project, type_, file_path, line = runtime_parts
    source, ctx, other_type = other
    assert fingerprint("runtime", project, type_, file_path, line) != fingerprint(source, "p", other_type, None, None, ctx)


def test_part_boundaries_matter():
    assert fingerprint("runtime", "p", "a|b", "c", None) != fingerprint("runtime", "p", "a", "b|c", None)
    assert fingerprint("runtime", "p", "a", "", None) != fingerprint("runtime", "p", "", "a", None)
    assert json.loads(encode("runtime", ["p", 'q"]', "\\"])) == ["runtime", "p", 'q"]', "\\"]


def test_custom_fingerprint_default_alone_is_the_source_rule():
    from shared.core.fingerprint import custom_fingerprint

    default = fingerprint_parts("runtime", "p", "E", "a.py", 3, None)
    assert custom_fingerprint("runtime", "p", ["{{ default }}"], default) == fingerprint("runtime", "p", "E", "a.py", 3)


def test_custom_fingerprint_groups_by_its_parts_and_expands_default():
    from shared.core.fingerprint import custom_fingerprint

    default = fingerprint_parts("runtime", "p", "E", "a.py", 3, None)
    a = custom_fingerprint("runtime", "p", ["db-timeout"], default)
    b = custom_fingerprint("runtime", "p", ["db-timeout"], fingerprint_parts("runtime", "p", "F", "b.py", 9, None))
    assert a == b == sha("custom", "p", "custom", "db-timeout")
    assert custom_fingerprint("runtime", "p", ["{{ default }}", "x"], default) == \
        sha("custom", "p", "custom", "p", "E", "a.py", "3", "x")
    # a custom key never equals a default key, whatever its parts spell
    assert custom_fingerprint("runtime", "p", ["E", "a.py"], default) != fingerprint("runtime", "p", "custom", "E", "a.py")
