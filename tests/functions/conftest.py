import pytest

from tests.support.snapshot import counter_mismatches


@pytest.fixture(autouse=True)
def counters_stay_in_step(request):
    """After every function test, the counters must equal a recount of errorlog."""
    yield
    if "db_url" in request.fixturenames:
        assert counter_mismatches() == {}


@pytest.fixture
def report(function_client):
    return function_client("report")


@pytest.fixture
def bugs(function_client):
    return function_client("bugs")


@pytest.fixture
def tasks(function_client):
    return function_client("tasks")


@pytest.fixture
def projects(function_client):
    return function_client("projects")


@pytest.fixture
def stats(function_client):
    return function_client("stats")


@pytest.fixture
def send(report):
    """POST a report and return the JSON body, asserting it was accepted."""

    def post(payload: dict, expect: int | None = None) -> dict:
        r = report.post("/api/v1/logs/report", json=payload)
        assert r.status_code in ((expect,) if expect else (200, 201)), r.get_data(as_text=True)
        return r.get_json()

    return post


def runtime(project="rtc_backend", type_="ValueError", file_path="app/x.py", line=42, **extra) -> dict:
    error = {"type": type_, "message": extra.pop("message", "boom"), "file_path": file_path, "line_number": line}
    return {"project_id": project, "error": error, **extra}


def cicd(project="web", job="build", step="docker build", type_="DockerBuildError", **ctx) -> dict:
    return {"project_id": project, "source": "cicd", "error": {"type": type_, "message": "failed"},
            "context": {"job_name": job, "step_name": step, "workflow_name": "ci", "run_url": "http://ci/1", **ctx}}


def deployment(project="rtc_backend", ns="prod", deploy="api", pod="api-7d9f-abcde", restarts=3,
               reason="CrashLoopBackOff", type_="CrashLoopBackOff") -> dict:
    return {"project_id": project, "source": "deployment", "level": "CRITICAL",
            "error": {"type": type_, "message": f"{pod} {reason}"},
            "context": {"namespace": ns, "deployment_name": deploy, "pod_name": pod,
                        "restart_count": restarts, "reason": reason, "container_name": "app"}}
