"""`yibao ask` with the fake embedder (rules-only refusal model)."""

import json

import pytest

from api.cli.main import app
from qa.answering.disclaimer import DISCLAIMER


def test_ask_prints_answer_then_sources(indexed, runner):
    result = runner.invoke(app, ["ask", "家庭共济怎么绑定家人"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert DISCLAIMER in result.output and "来源" in result.output and "[1]" in result.output


def test_ask_json_structure(indexed, runner):
    result = runner.invoke(app, ["ask", "家庭共济怎么绑定家人", "--json"])
    payload = json.loads(result.output)
    keys = {"answer", "citations", "refused", "disclaimer", "sources_date_range", "timings_ms"}
    assert keys <= set(payload)
    assert payload["answer"].endswith(DISCLAIMER) and payload["disclaimer"] == DISCLAIMER
    assert payload["citations"][0]["n"] == 1 and payload["citations"][0]["quote"]


def test_ask_history_file(indexed, runner):
    history = indexed / "h.json"
    history.write_text(json.dumps([{"role": "user", "content": "南宁城乡居民医保怎么交"}]), "utf-8")
    result = runner.invoke(app, ["ask", "合肥呢", "--json", "--history", str(history)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["answer"].endswith(DISCLAIMER)


def test_ask_jsonl_batch_keeps_going_after_bad_lines(indexed, runner):
    batch = indexed / "q.jsonl"
    lines = [
        json.dumps({"id": "a", "question": "家庭共济怎么绑定家人"}),
        "not json",
        json.dumps({"id": "b", "question": ""}),
        json.dumps({"id": "c", "question": "你好"}),
    ]
    batch.write_text("\n".join(lines), "utf-8")
    result = runner.invoke(app, ["ask", "--jsonl", str(batch)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [line["id"] for line in out] == ["a", 2, "b", "c"]
    ok = out[0]
    keys = {"id", "question", "answer", "citations", "refused", "retrieved", "timings_ms"}
    assert keys <= set(ok)  # the README's fields, at least
    assert {"n", "doc_id", "source", "title", "date", "quote"} <= set(ok["citations"][0])
    assert {"rank", "chunk_id", "source", "text", "score"} <= set(ok["retrieved"][0])
    assert "error" in out[1] and "error" in out[2]
    assert out[3]["refused"] and out[3]["answer"].endswith(DISCLAIMER)


def test_ask_needs_exactly_one_input(indexed, runner):
    assert runner.invoke(app, ["ask"]).exit_code == 1
    assert runner.invoke(app, ["ask", "  "]).exit_code == 1


def test_ingest_and_ask_on_the_milvus_store(cli_env, runner, monkeypatch):
    """The issue's path: `YIBAO_STORE=milvus YIBAO_MILVUS_URI=<data>/milvus.db yibao ingest`,
    then a cited answer read from the collections (the local files are only the cache)."""
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    uri = cli_env / "data" / "milvus.db"
    monkeypatch.setenv("YIBAO_STORE", "milvus")
    monkeypatch.setenv("YIBAO_MILVUS_URI", str(uri))
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    assert uri.is_dir()
    again = runner.invoke(app, ["ingest", "--if-stale"])  # the store serves the local version
    assert again.exit_code == 0 and "最新" in again.output, again.output
    for name in (cli_env / "data" / "index").iterdir():  # nothing local can be read any more
        if name.is_dir():
            for item in name.iterdir():
                if item.suffix in (".faiss", ".index"):
                    item.unlink()
    result = runner.invoke(app, ["ask", "家庭共济怎么绑定家人", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert not payload["refused"] and payload["citations"][0]["quote"]
    assert payload["answer"].endswith(DISCLAIMER)
