"""The soak script against a real `yibao serve` process: load, a reindex mid-run, no errors."""

from __future__ import annotations

import shutil

from eval.loadtest import main
from tests.conftest import rules_only_settings


def test_soak_with_a_reindex_under_load_has_no_errors(tmp_path, monkeypatch):
    settings = rules_only_settings(tmp_path)
    for name, value in {
        "YIBAO_EMBEDDER": "fake",
        "YIBAO_DATA_DIR": str(settings.data_dir),
        "YIBAO_CORPUS_DIR": str(settings.corpus_dir),
        "YIBAO_CALIBRATION_PATH": str(settings.calibration_path),
        "YIBAO_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no .env
    pages = tmp_path / "pages"
    shutil.copytree(settings.corpus_dir, pages)
    from ingest.pipeline import run_ingest

    run_ingest(settings, paths=[pages])
    out = tmp_path / "soak.json"
    summary = main(["--clients", "8", "--seconds", "4", "--reindex-at", "1", "--out", str(out)])
    assert summary["requests"] > 20 and summary["errors"] == 0, summary["error_samples"]
    reindex = summary["reindex"]
    assert reindex["status"] == "done", reindex
    assert reindex["version_after"] and reindex["version_after"] != reindex["version_before"]
    assert summary["rss_before_mb"] > 0 and summary["rss_after_mb"] > 0
    assert out.read_text("utf-8").strip().startswith("{")
