"""`yibao ask` with the fake embedder (rules-only refusal model)."""

import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from qa.answering.disclaimer import DISCLAIMER
from tests.conftest import CORPUS

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    from qa.refusal.decision import FALLBACK_MODEL, save_model

    calibration = tmp_path / "calibration.json"
    save_model(FALLBACK_MODEL, calibration)
    monkeypatch.setenv("YIBAO_EMBEDDER", "fake")
    monkeypatch.setenv("YIBAO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("YIBAO_CORPUS_DIR", str(CORPUS))
    monkeypatch.setenv("YIBAO_CALIBRATION_PATH", str(calibration))
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    return tmp_path


def test_ask_prints_answer_then_sources(env):
    result = runner.invoke(app, ["ask", "家庭共济怎么绑定家人"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert DISCLAIMER in result.output and "来源" in result.output and "[1]" in result.output


def test_ask_json_structure(env):
    result = runner.invoke(app, ["ask", "家庭共济怎么绑定家人", "--json"])
    payload = json.loads(result.output)
    assert {
        "answer",
        "citations",
        "refused",
        "disclaimer",
        "sources_date_range",
        "timings_ms",
    } <= set(payload)
    assert payload["answer"].endswith(DISCLAIMER) and payload["disclaimer"] == DISCLAIMER
    assert payload["citations"][0]["n"] == 1 and payload["citations"][0]["quote"]


def test_ask_history_file(env):
    history = env / "h.json"
    history.write_text(json.dumps([{"role": "user", "content": "南宁城乡居民医保怎么交"}]), "utf-8")
    result = runner.invoke(app, ["ask", "合肥呢", "--json", "--history", str(history)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["answer"].endswith(DISCLAIMER)


def test_ask_jsonl_batch_keeps_going_after_bad_lines(env):
    batch = env / "q.jsonl"
    batch.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "question": "家庭共济怎么绑定家人"}),
                "not json",
                json.dumps({"id": "b", "question": ""}),
                json.dumps({"id": "c", "question": "你好"}),
            ]
        ),
        "utf-8",
    )
    result = runner.invoke(app, ["ask", "--jsonl", str(batch)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["id"] for line in lines] == ["a", 2, "b", "c"]
    ok = lines[0]
    assert set(ok) == {
        "id",
        "question",
        "answer",
        "citations",
        "refused",
        "retrieved",
        "timings_ms",
    }
    assert set(ok["citations"][0]) == {"n", "doc_id", "source", "title", "date", "quote"}
    assert set(ok["retrieved"][0]) == {"rank", "chunk_id", "source", "text", "score"}
    assert "error" in lines[1] and "error" in lines[2]
    assert lines[3]["refused"] and lines[3]["answer"].endswith(DISCLAIMER)


def test_ask_needs_exactly_one_input(env):
    assert runner.invoke(app, ["ask"]).exit_code == 1
    assert runner.invoke(app, ["ask", "  "]).exit_code == 1
