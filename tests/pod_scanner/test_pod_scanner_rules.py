"""Detection, root cause, workload and project rules, and the scanner's configuration."""

from __future__ import annotations

from datetime import timedelta

import pytest

from functions.pod_scanner.podscan.config import ConfigError, ScanConfig
from functions.pod_scanner.podscan.detect import detect
from functions.pod_scanner.podscan.workload import normalise_project, project_of, workload_of
from tests.pod_scanner import pods as P


def problems(pod, now=P.NOW, image_pull_grace=180, unschedulable_grace=300):
    return detect(pod, now, image_pull_grace, unschedulable_grace)


@pytest.mark.parametrize("pod, error_type, reason, container, exit_code, fetch_logs", [
    (P.crashloop(), "Error (exit code 1)", "Error", "app", 1, True),
    (P.oom_crashloop(), "OOMKilled", "OOMKilled", "worker", 137, True),
    (P.oom_running(), "OOMKilled", "OOMKilled", "app", 137, True),
    (P.image_pull(), "ImagePullBackOff", "ImagePullBackOff", "web", None, False),
    (P.image_pull(reason="ErrImagePull"), "ErrImagePull", "ErrImagePull", "web", None, False),
    (P.invalid_image(), "InvalidImageName", "InvalidImageName", "app", None, False),
    (P.config_error(), "CreateContainerConfigError", "CreateContainerConfigError", "app", None, False),
    (P.config_error(reason="CreateContainerError"), "CreateContainerError", "CreateContainerError", "app", None, False),
    (P.config_error(reason="RunContainerError"), "RunContainerError", "RunContainerError", "app", None, False),
    (P.job_failed(), "Error (exit code 2)", "Error", "app", 2, True),
    (P.cannot_run(), "ContainerCannotRun", "ContainerCannotRun", "app", 128, True),
    (P.init_crash(), "Error (exit code 1)", "Error", "wait-db", 1, True),
    (P.evicted(), "Evicted", "Evicted", None, None, False),
    (P.unschedulable(), "Unschedulable", "Unschedulable", None, None, False),
    (P.bare_pod(), "Error (exit code 127)", "Error", "shell", 127, True),
])
def test_each_broken_kind_is_one_problem(pod, error_type, reason, container, exit_code, fetch_logs):
    [p] = problems(pod)
    assert (p.error_type, p.reason, p.container_name, p.exit_code, p.fetch_logs) == \
        (error_type, reason, container, exit_code, fetch_logs)
    assert p.namespace == pod["metadata"]["namespace"] and p.pod_name == pod["metadata"]["name"]
    assert p.message


def test_messages_carry_the_evidence():
    [oom] = problems(P.oom_crashloop())
    assert "OOMKilled (exit code 137)" in oom.message and "memory limit 64Mi" in oom.message
    assert oom.restart_count == 4
    [pull] = problems(P.image_pull())
    assert "does-not-exist" in pull.message and pull.image.endswith(":does-not-exist")
    [unsched] = problems(P.unschedulable())
    assert "Insufficient nvidia.com/gpu" in unsched.message and unsched.node_name is None
    [init] = problems(P.init_crash())
    assert init.init_container and "in init container wait-db" in init.message


@pytest.mark.parametrize("pod", [P.healthy(), P.completed_job(), P.just_started()],
                         ids=["healthy", "completed-job", "just-started"])
def test_not_errors(pod):
    assert problems(pod) == []


def test_image_pull_waits_for_the_grace_period():
    fresh = P.image_pull(age=timedelta(minutes=2))
    assert problems(fresh, image_pull_grace=180) == []
    assert [p.error_type for p in problems(fresh, now=P.NOW + timedelta(minutes=2), image_pull_grace=180)] \
        == ["ImagePullBackOff"]
    assert [p.error_type for p in problems(P.just_started(), image_pull_grace=10)] == ["ErrImagePull"]


def test_unschedulable_waits_for_the_grace_period():
    assert problems(P.unschedulable(waited=timedelta(minutes=2)), unschedulable_grace=300) == []
    assert len(problems(P.unschedulable(waited=timedelta(minutes=6)), unschedulable_grace=300)) == 1


def test_exit_code_zero_and_deleting_pods_are_not_errors():
    clean_restart = P.pod("svc-1", statuses=[P.running("app", restarts=1, last=P.terminated("Completed", 0))])
    assert problems(clean_restart) == []
    error_zero = P.pod("svc-2", statuses=[P.running("app", restarts=1, last=P.terminated("Error", 0))])
    assert problems(error_zero) == []
    deleting = P.crashloop()
    deleting["metadata"]["deletionTimestamp"] = P.ts(timedelta(seconds=5))
    assert problems(deleting) == []
    finished_sidecar = P.pod("svc-3", statuses=[P.dead("app", "Completed", 0)])
    assert problems(finished_sidecar) == []


def test_a_running_container_with_an_earlier_crash_is_reported():
    pod = P.pod("svc-4", statuses=[P.running("app", restarts=3, last=P.terminated("Error", 2))])
    [p] = problems(pod)
    assert (p.error_type, p.reason, p.exit_code, p.restart_count) == ("Error (exit code 2)", "Error", 2, 3)
    assert (p.level, p.loop_state) == ("WARNING", "running")  # Ready again: a warning


def test_one_problem_per_broken_container():
    pod = P.pod("multi", containers=[P.container("a"), P.container("b"), P.container("c")],
                statuses=[P.waiting("a", "CrashLoopBackOff", restarts=2, last=P.terminated("Error", 1)),
                          P.running("b"),
                          P.running("c", restarts=1, last=P.terminated("OOMKilled", 137))])
    assert sorted((p.container_name, p.error_type) for p in problems(pod)) == \
        [("a", "Error (exit code 1)"), ("c", "OOMKilled")]


@pytest.mark.parametrize("pod, expected", [
    (P.crashloop(), ("Deployment", "api")),
    (P.oom_running(), ("StatefulSet", "cache")),
    (P.cannot_run(), ("DaemonSet", "agent")),
    (P.job_failed(), ("Job", "migrate")),
    (P.cronjob_failed(), ("CronJob", "backup")),
    (P.bare_pod(), ("Pod", "debug-shell")),
    (P.pod("rs-by-hand-x1", owner=("ReplicaSet", "rs-by-hand")), ("ReplicaSet", "rs-by-hand")),
])
def test_workload_of(pod, expected):
    assert workload_of(pod) == expected


def test_deployment_name_is_stable_across_rollouts():
    old = P.crashloop("api-7d4b9c6f5d-aaaaa", rs="api-7d4b9c6f5d", pod_hash="7d4b9c6f5d")
    new = P.crashloop("api-59b8f7c6d4-bbbbb", rs="api-59b8f7c6d4", pod_hash="59b8f7c6d4")
    assert workload_of(old) == workload_of(new) == ("Deployment", "api")


def test_project_rules():
    config = ScanConfig(project_map={"web": "frontend"})
    assert project_of(P.crashloop(app="rtc-backend"), "api", config) == "rtc_backend"
    assert project_of(P.image_pull(), "web", config) == "frontend"
    named = P.pod("x", labels={"app.kubernetes.io/name": "billing-api"})
    assert project_of(named, "x", config) == "billing_api"
    unlabelled = P.bare_pod()
    assert project_of(unlabelled, "debug-shell", config) == "debug_shell"
    assert project_of(unlabelled, "debug-shell", ScanConfig(default_project="platform")) == "platform"
    custom = P.pod("y", labels={"team/project": "pay-ments"})
    assert project_of(custom, "y", ScanConfig(project_label="team/project")) == "pay_ments"
    assert normalise_project("a b/c") == "a_b_c" and normalise_project("---") is None


def test_config_from_env(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\n")
    config = ScanConfig.from_env({
        "NAMESPACES": "shop, ops,,shop", "LOG_CENTER_URL": "http://gateway.openfaas:8080/function/report/",
        "LOG_CENTER_TOKEN_FILE": str(token_file), "PROJECT_LABEL": "team", "PROJECT_MAP": "web=frontend, api=rtc_backend",
        "LOG_TAIL_LINES": "20", "IMAGE_PULL_GRACE_SECONDS": "60", "SCAN_CONCURRENCY": "3", "ENVIRONMENT": "production",
    })
    assert config.namespaces == ("shop", "ops")
    assert config.report_url == "http://gateway.openfaas:8080/function/report/api/v1/logs/report"
    assert config.log_center_token == "s3cret"
    assert config.project_map == {"web": "frontend", "api": "rtc_backend"}
    assert (config.project_label, config.log_tail_lines, config.image_pull_grace_seconds, config.concurrency,
            config.environment) == ("team", 20, 60.0, 3, "production")
    assert "s3cret" not in repr(config)


def test_config_token_from_openfaas_secret_dir(tmp_path):
    (tmp_path / "logcenter-ingest-token").write_text("from-secret")
    assert ScanConfig.from_env({"LOGCENTER_SECRETS_DIR": str(tmp_path)}).log_center_token == "from-secret"
    assert ScanConfig.from_env({"LOGCENTER_SECRETS_DIR": str(tmp_path), "LOG_CENTER_TOKEN": "env"}).log_center_token == "env"
    assert ScanConfig.from_env({"LOGCENTER_SECRETS_DIR": str(tmp_path / "none")}).log_center_token is None
    defaults = ScanConfig.from_env({"LOGCENTER_SECRETS_DIR": str(tmp_path / "none")})
    assert (defaults.namespaces, defaults.project_label, defaults.log_tail_lines) == ((), "app", 100)


@pytest.mark.parametrize("env", [
    {"LOG_TAIL_LINES": "many"}, {"LOG_TAIL_LINES": "0"}, {"SCAN_CONCURRENCY": "-1"},
    {"LOG_CENTER_URL": "gateway:8080"}, {"PROJECT_MAP": "web"}, {"PROJECT_MAP": "web=not valid!"},
    {"DEFAULT_PROJECT": "-bad"},
])
def test_config_errors(env):
    with pytest.raises(ConfigError):
        ScanConfig.from_env(env)
