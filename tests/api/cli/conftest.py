"""Fixtures for the `yibao` command tests: a fake-embedder environment, optionally indexed."""

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from tests.conftest import rules_only_settings


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """``YIBAO_*`` variables for a fake-embedder data dir in ``tmp_path``, rules-only refusal.

    They spell out ``rules_only_settings(tmp_path)`` (the command reads its settings itself).
    """
    settings = rules_only_settings(tmp_path)
    monkeypatch.setenv("YIBAO_EMBEDDER", settings.embedder)
    monkeypatch.setenv("YIBAO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("YIBAO_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("YIBAO_CALIBRATION_PATH", str(settings.calibration_path))
    return tmp_path


@pytest.fixture
def indexed(cli_env, runner):
    """``cli_env`` after `yibao ingest`."""
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 0, result.output
    return cli_env
