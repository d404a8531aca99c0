"""The encoder on OpenVINO's CPU runtime (``YIBAO_EMBEDDING_BACKEND=openvino``).

:func:`ensure_openvino_model` exports a sentence-transformers folder once (``yibao model`` or
first use) into ``<data_dir>/models/<name>-openvino/``: its transformer is loaded with
``transformers.AutoModel`` on CPU, traced by ``openvino.convert_model`` with dynamic batch and
sequence axes and saved with fp32 weights; the tokenizer files are copied next to it. Nothing
is downloaded. :class:`OpenVinoEmbedder` then runs it with the same prompts, truncation, mean
pooling over the attention mask and L2 normalisation as sentence-transformers, so the vectors
agree with the torch backend to cosine ~1 (the test asserts >= 0.9999).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from qa.embedders.base import unit_rows
from qa.embedders.bundled import MARKER, file_sha256, publish_folder

logger = logging.getLogger(__name__)

SUFFIX = "-openvino"
MODEL_XML = "openvino_model.xml"
#: Bump when the export changes, so exported folders count as stale.
EXPORT_VERSION = 1
_COPIED = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "sentence_bert_config.json",
    "config.json",
)


class OpenVinoExportError(RuntimeError):
    """The folder cannot be exported (not a mean-pooled sentence-transformers model)."""


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _json_or_empty(path: Path) -> dict[str, Any]:
    return _read_json(path) if path.is_file() else {}


def _check_source(src: Path) -> None:
    """Refuse folders whose vectors this backend would not reproduce."""
    modules = _read_json(src / "modules.json") if (src / "modules.json").is_file() else []
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    pooling = next((m["path"] for m in modules if m["type"].endswith("Pooling")), None)
    mean = pooling is not None and _json_or_empty(src / pooling / "config.json").get(
        "pooling_mode_mean_tokens", False
    )
    if kinds[:2] != ["Transformer", "Pooling"] or modules[0]["path"] not in ("", ".") or not mean:
        raise OpenVinoExportError(
            f"{src} 不是可导出的模型:OpenVINO 后端只支持 Transformer + 平均池化的 "
            "sentence-transformers 本地文件夹。请改用 YIBAO_EMBEDDING_BACKEND=torch。"
        )
    if not (src / "tokenizer.json").is_file():
        raise OpenVinoExportError(f"{src} 缺少 tokenizer.json,无法导出到 OpenVINO。")


def _source_stamp(src: Path) -> str:
    """What the export depends on: the source's completion marker (or weights) and format."""
    marker = src / MARKER
    if marker.is_file():
        source = marker.read_text(encoding="ascii").strip()
    else:
        weights = src / "model.safetensors"
        source = file_sha256(weights if weights.is_file() else src / "pytorch_model.bin")
    return json.dumps({"source": source, "export": EXPORT_VERSION})


def _convert(src: Path, folder: Path) -> None:
    """Trace the transformer of ``src`` and write the OpenVINO model and tokenizer files."""
    import openvino as ov
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(src), dtype=torch.float32).eval()
    example = {
        "input_ids": torch.ones((2, 8), dtype=torch.long),
        "attention_mask": torch.ones((2, 8), dtype=torch.long),
    }
    if model.config.to_dict().get("type_vocab_size", 0):
        example["token_type_ids"] = torch.zeros((2, 8), dtype=torch.long)
    with torch.no_grad():
        converted = ov.convert_model(model, example_input=example)  # axes stay dynamic ([?,?])
    ov.save_model(converted, str(folder / MODEL_XML), compress_to_fp16=False)
    for name in _COPIED:
        if (src / name).is_file():
            shutil.copy2(src / name, folder / name)


def export_openvino(src: Path, dest: Path) -> Path:
    """Export the sentence-transformers folder ``src`` to an OpenVINO folder ``dest``.

    ``dest`` is replaced whole and atomically; its ``.complete`` marker records the source.
    """
    src = Path(src)
    _check_source(src)
    stamp = _source_stamp(src)
    return publish_folder(Path(dest), lambda folder: _convert(src, folder), stamp)


def openvino_folder(src: Path, models_dir: Path) -> Path:
    """Where the export of ``src`` lives: ``<models_dir>/<name>-openvino``."""
    return Path(models_dir) / (Path(src).name + SUFFIX)


def ensure_openvino_model(src: Path, models_dir: Path) -> Path:
    """Return the OpenVINO export of ``src``, exporting only if missing or stale."""
    src = Path(src)
    if not src.is_dir():
        raise OpenVinoExportError(
            f"OpenVINO 后端需要本地模型文件夹,{src} 不存在。请使用内置模型或本地文件夹。"
        )
    dest = openvino_folder(src, models_dir)
    marker = dest / MARKER
    if marker.is_file() and marker.read_text(encoding="ascii").strip() == _source_stamp(src):
        return dest
    logger.info("exporting src=%s to OpenVINO dest=%s", src, dest)
    export_openvino(src, dest)
    logger.info("exported OpenVINO model dest=%s", dest)
    return dest


class OpenVinoEmbedder:
    """An exported sentence-transformers model on OpenVINO's CPU runtime.

    Example:
        >>> folder = ensure_openvino_model(bundled_folder, settings.models_dir)
        >>> emb = OpenVinoEmbedder(folder, model_id="bundled:multilingual-e5-small", threads=1)
        >>> emb.embed_queries(["怎么激活医保码"]).shape
        (1, 384)

    Args:
        folder: Output of :func:`export_openvino`.
        model_id: Name recorded in the index metadata (the same as the torch backend's).
        query_prompt: Prefix for queries (``"query: "`` for e5 models).
        passage_prompt: Prefix for passages (``"passage: "`` for e5 models).
        batch_size: Texts per inference call.
        max_seq_length: Token limit (with the special tokens); longer texts are truncated.
        threads: CPU threads of one inference; 0 = OpenVINO's choice. With ``threads`` > 0
            the model gets one stream per ``threads`` cores, so concurrent calls run in
            parallel, each on ``threads`` threads.
    """

    def __init__(
        self,
        folder: Path,
        model_id: str,
        query_prompt: str = "query: ",
        passage_prompt: str = "passage: ",
        batch_size: int = 32,
        max_seq_length: int = 512,
        threads: int = 0,
    ) -> None:
        import openvino as ov

        folder = Path(folder)
        config: dict[str, object] = {
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": "f32",  # the CPU plugin would pick bf16 where it can
        }
        if threads > 0:  # 0: OpenVINO chooses (one stream over all cores)
            # One stream per ``threads`` cores: concurrent callers run side by side instead of
            # queueing on one stream (4 callers, 1 thread each: 1.96x the sequential rate).
            streams = max(1, (os.cpu_count() or 1) // threads)
            config["NUM_STREAMS"] = streams
            config["INFERENCE_NUM_THREADS"] = streams * threads
            config["ENABLE_CPU_PINNING"] = False  # a stream pinned to a busy core would wait
        core = ov.Core()
        model = core.read_model(str(folder / MODEL_XML))
        self._inputs = {p.get_any_name() for p in model.inputs}
        self._model = core.compile_model(model, "CPU", config=config)
        self._output = self._model.output("last_hidden_state")
        self._local = threading.local()
        self.dim = int(self._output.get_partial_shape()[-1].get_length())
        limit = int(_json_or_empty(folder / "sentence_bert_config.json").get("max_seq_length", 512))
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(min(max_seq_length, limit))
        self._tokenizer.no_padding()
        pad = _json_or_empty(folder / "special_tokens_map.json").get("pad_token", "<pad>")
        pad = pad.get("content", "<pad>") if isinstance(pad, dict) else pad
        self._pad_id = self._tokenizer.token_to_id(pad) or 0  # masked out either way
        self.model_id = model_id
        self._query_prompt = query_prompt
        self._passage_prompt = passage_prompt
        self._batch_size = batch_size
        logger.info("loaded OpenVINO model id=%s dim=%d threads=%d", model_id, self.dim, threads)

    def _request(self) -> Any:
        """This thread's infer request (created on first use)."""
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._model.create_infer_request()
        return request

    def _batch(self, texts: list[str]) -> np.ndarray:
        """Mean-pooled, normalised vectors of one batch (padded to its longest text)."""
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(texts), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        types = np.zeros((len(texts), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
            types[row, : len(enc.ids)] = enc.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        request = self._request()  # one per thread: a shared request mixes callers' outputs
        hidden = request.infer({k: v for k, v in feed.items() if k in self._inputs})[self._output]
        weights = mask[:, :, None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        return unit_rows(summed / np.clip(weights.sum(axis=1), 1e-9, None))

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        prompted = [prompt + t for t in texts]
        order = sorted(range(len(texts)), key=lambda i: -len(prompted[i]))  # less padding
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = self._batch([prompted[i] for i in rows])
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)
