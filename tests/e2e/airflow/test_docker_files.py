"""``docker/``: what can be checked without a Docker engine.

The compose file must parse, reference only services, volumes and variables that exist, give
every service a health check, and keep the workers scalable; the Dockerfile must build on the
Airflow version the tests run and install every package and pin that ``pyproject.toml``
declares.
"""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
DOCKER = ROOT / "docker"
AIRFLOW_SERVICES = {
    "airflow-init": "airflow db migrate",
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "docker-compose.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (DOCKER / "Dockerfile").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_compose_has_the_whole_stack(compose) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "warehouse", "redis", *AIRFLOW_SERVICES}
    for name, command in AIRFLOW_SERVICES.items():
        assert command in _command(services[name]), name
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile"
        assert (DOCKER / services[name]["build"]["context"] / "docker/Dockerfile").is_file()
    init = _command(services["airflow-init"])
    assert "airflow pools import" in init and "grapevine init-db" in init


def test_every_service_has_a_health_check(compose) -> None:
    for name, service in compose["services"].items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"


def test_references_resolve(compose) -> None:
    services, volumes = compose["services"], set(compose["volumes"])
    used = set()
    for name, service in services.items():
        for dep in service.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown {dep}"
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if not source.startswith((".", "/", "$")):
                assert source in volumes, f"{name} mounts undeclared volume {source}"
                used.add(source)
            elif source.startswith("."):
                assert (DOCKER / source).exists(), f"{name} mounts missing {source}"
    assert used == volumes, "every declared volume is used"


def test_celery_executor_wiring(compose) -> None:
    env = compose["services"]["airflow-worker"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    assert "@postgres:" in env["AIRFLOW__CELERY__RESULT_BACKEND"]
    assert "@postgres:" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert "@warehouse:" in env["AIRFLOW_CONN_GRAPEVINE_WAREHOUSE"], "warehouse apart from metadata"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:")
    worker = compose["services"]["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker, "--scale needs neither"


def test_every_variable_is_documented_in_env_example(compose) -> None:
    text = (DOCKER / "docker-compose.yaml").read_text(encoding="utf-8")
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", text))  # $${X}: the container's own
    example = (DOCKER / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert used <= documented, used - documented
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    assert required <= documented


def test_dockerfile_builds_on_the_tested_airflow(dockerfile) -> None:
    assert re.search(r"^FROM apache/airflow:\$\{AIRFLOW_VERSION\}", dockerfile, re.MULTILINE)
    pinned = re.search(r"^ARG AIRFLOW_VERSION=(\S+)", dockerfile, re.MULTILINE)
    assert pinned and pinned.group(1) == version("apache-airflow")
    assert pinned.group(1).startswith("3.")


def test_dockerfile_installs_what_pyproject_declares(dockerfile, pyproject) -> None:
    project = pyproject["project"]
    runtime = {Requirement(r).name for r in project["dependencies"]}
    assert "torch" not in runtime, "workers classify with ONNX Runtime; torch is the train extra"
    assert {"onnxruntime", "tokenizers", "safetensors"} <= runtime
    train = {Requirement(r).name for r in project["optional-dependencies"]["train"]}
    assert "torch" in train
    installs = " ".join(re.findall(r"^RUN .*pip install.*$", dockerfile, re.MULTILINE))
    assert "torch" not in installs and "[train" not in installs, "the image needs no torch"
    assert "[airflow" in dockerfile, "the airflow extra (Celery provider, redis)"
    for package in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]:
        name = package.rstrip("*")
        assert (ROOT / name).is_dir()
        assert f"COPY --chown=airflow:0 {name} " in dockerfile, f"{name} is not copied"
    for copied in re.findall(r"^COPY --chown=\S+ (\S+)", dockerfile, re.MULTILINE):
        assert (ROOT / copied).exists(), f"Dockerfile copies missing {copied}"
    airflow_extra = [Requirement(r) for r in project["optional-dependencies"]["airflow"]]
    core = next(r for r in airflow_extra if r.name == "apache-airflow")
    assert core.specifier.contains(version("apache-airflow"))
