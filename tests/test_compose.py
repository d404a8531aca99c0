"""``docker-compose.milvus.yml`` and its ``Dockerfile``, checked without Docker (none here).

Well-formed YAML, the services it promises (Milvus 2.6 standalone with etcd and MinIO, and
yibao built from the repo), settings that exist, and yibao commands and options that exist.
"""

from __future__ import annotations

import re
import shlex

import pytest
import typer.main

from api.cli.main import app
from qa.settings import Settings
from tests.conftest import ROOT

yaml = pytest.importorskip("yaml")

COMPOSE = ROOT / "docker-compose.milvus.yml"
DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text("utf-8"))


def _yibao_env(compose: dict) -> dict[str, str]:
    return {k: str(v) for k, v in compose["services"]["yibao"]["environment"].items()}


def test_the_services_are_milvus_standalone_with_etcd_and_minio_and_yibao(compose):
    services = compose["services"]
    assert set(services) == {"etcd", "minio", "milvus", "yibao"}
    milvus = services["milvus"]
    assert re.fullmatch(r"milvusdb/milvus:v2\.6\.\d+", milvus["image"])
    assert milvus["command"] == ["milvus", "run", "standalone"]
    assert milvus["environment"] == {"ETCD_ENDPOINTS": "etcd:2379", "MINIO_ADDRESS": "minio:9000"}
    assert set(milvus["depends_on"]) == {"etcd", "minio"}
    assert services["yibao"]["build"]["context"] == "."
    assert services["yibao"]["depends_on"]["milvus"]["condition"] == "service_healthy"
    named = set(compose["volumes"])
    for service in services.values():  # every volume mounted is declared
        assert {v.split(":")[0] for v in service.get("volumes", [])} <= named


def test_every_yibao_setting_in_the_compose_file_and_dockerfile_exists(compose):
    fields = {f"YIBAO_{name.upper()}" for name in Settings.model_fields}
    used = set(_yibao_env(compose))
    used |= set(re.findall(r"\b(YIBAO_[A-Z0-9_]+)=", DOCKERFILE.read_text("utf-8")))
    assert used - fields == set()
    assert {"YIBAO_STORE", "YIBAO_MILVUS_URI", "YIBAO_MILVUS_TOKEN"} <= used
    assert "YIBAO_MILVUS_COLLECTION" in used


def test_yibao_points_at_the_milvus_service(compose):
    env = _yibao_env(compose)
    settings = Settings(
        _env_file=None,
        store=env["YIBAO_STORE"],
        milvus_uri=env["YIBAO_MILVUS_URI"],
        milvus_collection=env["YIBAO_MILVUS_COLLECTION"],
    )
    assert settings.store == "milvus"
    assert settings.milvus_target == "http://milvus:19530"  # service name, Milvus's port
    assert any(p.endswith(":19530") for p in compose["services"]["milvus"]["ports"])


def test_the_yibao_commands_and_options_exist(compose):
    group = typer.main.get_command(app)
    script = compose["services"]["yibao"]["command"][-1]
    steps = [shlex.split(step) for step in script.split("&&")]
    dockerfile = DOCKERFILE.read_text("utf-8")
    steps.append(["yibao", "model"])  # run while building the image
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
    assert cmd is not None
    steps.append(yaml.safe_load(cmd.group(1)))
    for step in steps:
        words = step[step.index("yibao") :]
        command = group.commands[words[1]]
        options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        assert {w for w in words[2:] if w.startswith("--")} <= options, words
    assert "yibao model" in dockerfile


def test_the_dockerfile_copies_what_exists_and_installs_the_milvus_extra():
    text = DOCKERFILE.read_text("utf-8")
    for source in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for name in source.split():
            assert (ROOT / name).exists(), name
    assert '".[milvus]"' in text and "torch==2.13.0" in text and "constraints.txt" in text
    assert "python:3.11" in text
