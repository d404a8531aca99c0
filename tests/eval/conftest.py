"""Shared helpers for the eval tests: tiny metric fixtures, the corpus pages and fake runs.

The builders (``item``, ``pred``, ``hit`` …) are plain functions, imported by the metric and
conversation tests; the corpus readers are cached so every test module reads each page once.
The fixtures build the fake-embedder index once per session and run the systems on a tiny gold
set and three conversations.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from eval.conversations import Conversation
from eval.gold import CitedPassage, GoldItem, MetricResult, Prediction, RetrievedChunk, System
from eval.runner import SystemRun, run_eval
from eval.systems import build_systems
from ingest.formats.pages import parse_page
from qa.settings import Settings
from qa.text.normalize import compact
from qa.types import Document, Turn
from tests.conftest import CORPUS, make_settings

SEEDS = (
    "000_6efac6a7bac98b9c.txt",
    "001_5a948301c2343ca9.txt",
    "002_39695e3f86a6b490.txt",
    "003_f38d73674fa39f0d.txt",
    "004_ef3ce06d3a4f1cd1.txt",
)
LINK_LIST_SEED = "003_f38d73674fa39f0d.txt"
_LINK_SEPARATOR = re.compile(r"\s*\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}医保知识\s*")
_TRAILING_DATE = re.compile(r"[((][^()()]*\d[^()()]*[))]\s*$")

ANCHOR = "城乡居民医保个人缴费标准为每人每年400元"
DISC = "提示:本内容不能代替面诊,如有不适请尽快就医。"


# --------------------------------------------------------------------------- corpus


@cache
def raw(source: str) -> str:
    """The text of one seed page."""
    return (CORPUS / source).read_text(encoding="utf-8")


@cache
def documents(source: str) -> tuple[Document, ...]:
    """The documents ingest parses out of one seed page."""
    return tuple(parse_page(raw(source), source))


def link_list_titles() -> list[str]:
    """Titles of seed 003's trailing link list (``title date time医保知识`` runs)."""
    text = raw(LINK_LIST_SEED)
    tail = text[text.index("社保网声明") :].split("投诉", 1)[1]
    titles = [t.strip() for line in tail.splitlines() for t in _LINK_SEPARATOR.split(line)]
    return [t for t in titles if t]


@cache
def forbidden_questions() -> frozenset[str]:
    """Normalised titles a question must not copy.

    Document titles, section headings, every short stand-alone line (sub-headings such
    as ``线上登记``) and seed 003's link-list titles, also without their trailing date
    and split at question marks.
    """
    keys: set[str] = set()
    for source in SEEDS:
        for doc in documents(source):
            keys.add(compact(doc.title))
            keys.update(compact(sec.heading) for sec in doc.sections)
        keys.update(compact(ln) for ln in raw(source).splitlines() if len(ln.strip()) <= 40)
    for title in link_list_titles():
        undated = _TRAILING_DATE.sub("", title)
        keys.update(compact(t) for t in (title, undated, *re.split(r"[??!!]", undated)))
    keys.discard("")
    return frozenset(keys)


# --------------------------------------------------------------------------- metric fixtures


def chunk(text: str, source: str = "a.md") -> RetrievedChunk:
    return RetrievedChunk(text=text, source=source)


def cite(n: int, text: str, source: str = "a.md") -> CitedPassage:
    return CitedPassage(n=n, text=text, source=source)


def miss() -> RetrievedChunk:
    return chunk("门诊慢特病待遇按规定执行。")


def hit() -> RetrievedChunk:
    return chunk(f"根据通知,{ANCHOR},财政补助670元。")


def item(iid: str, kind: str = "answerable", **kw) -> GoldItem:
    defaults = {"source": "a.md", "anchor": ANCHOR, "key_facts": ("400元", "670元")}
    if kind == "unanswerable":
        defaults = {}
    defaults.update(kw)
    return GoldItem(id=iid, question="居民医保交多少钱?", kind=kind, **defaults)  # type: ignore[arg-type]


def pred(iid: str, retrieved=(), **kw) -> Prediction:
    return Prediction(item_id=iid, question="q", retrieved=list(retrieved), **kw)


def assert_reasons(result: MetricResult) -> None:
    assert all(isinstance(s.reason, str) and s.reason for s in result.items)


# --------------------------------------------------------------------------- fake runs

TINY_GOLD = [
    GoldItem(
        "t1",
        "合肥市医保缴费标准每人每年多少",
        "answerable",
        "002_39695e3f86a6b490.txt",
        "合肥市医保缴费标准为每人每年400元",
        ("400元",),
        "合肥普通居民个人每年缴400元。",
    ),
    GoldItem(
        "t2",
        "家里人怎么绑定家庭共济",
        "answerable",
        "001_5a948301c2343ca9.txt",
        "进入【地方专区】→【门诊共济】→【家庭成员绑定】",
        ("家庭成员绑定",),
        "在国家医保服务平台APP的地方专区→门诊共济→家庭成员绑定里办理。",
    ),
    GoldItem("t3", "明天天气怎么样", "unanswerable", reference="资料库没有天气信息。"),
]
TINY_CONVERSATIONS = [
    Conversation(
        "k1",
        (Turn("user", "家里人怎么绑定家庭共济"),),
        "国家医保APP里在哪绑",
        "answer",
        key_facts=("家庭成员绑定",),
        source="001_5a948301c2343ca9.txt",
    ),
    Conversation("k2", (Turn("user", "医保码怎么激活"),), "帮我写首诗吧", "refuse", "offtopic"),
    Conversation("k3", (Turn("user", "合肥居民医保交多少"),), "成都呢", "refuse", "region"),
]


@pytest.fixture(scope="session")
def eval_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Fake-embedder settings whose index is shared by the whole eval test session."""
    return make_settings(tmp_path_factory.mktemp("eval"))


@pytest.fixture(scope="session")
def fake_systems(eval_settings: Settings) -> list[System]:
    return build_systems(["yibao", "bm25", "dense"], eval_settings)


@pytest.fixture(scope="session")
def fake_runs(fake_systems: list[System]) -> list[SystemRun]:
    """``yibao``, ``bm25`` and ``dense`` on :data:`TINY_GOLD` and :data:`TINY_CONVERSATIONS`."""
    return run_eval(fake_systems, TINY_GOLD, conversations=TINY_CONVERSATIONS)
