"""Fixtures for the `yibao` command tests: a fake-embedder environment, optionally indexed."""

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from tests.conftest import CORPUS


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """``YIBAO_*`` variables for a fake-embedder data dir in ``tmp_path``, rules-only refusal."""
    from qa.refusal.calibration import FALLBACK_MODEL, save_model

    calibration = tmp_path / "calibration.json"
    save_model(FALLBACK_MODEL, calibration)
    monkeypatch.setenv("YIBAO_EMBEDDER", "fake")
    monkeypatch.setenv("YIBAO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("YIBAO_CORPUS_DIR", str(CORPUS))
    monkeypatch.setenv("YIBAO_CALIBRATION_PATH", str(calibration))
    return tmp_path


@pytest.fixture
def indexed(cli_env, runner):
    """``cli_env`` after `yibao ingest`."""
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 0, result.output
    return cli_env
