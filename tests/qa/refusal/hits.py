"""Hand-built hits shared by the refusal tests."""

from __future__ import annotations

from qa.refusal.calibration import RefusalModel
from qa.refusal.features import FEATURE_NAMES
from qa.types import Chunk, Hit

HOSPITAL = "2025年河南鹤壁出现腋下疼痛去哪家医院好"
HOSPITAL_TEXT = "腋下疼痛可到鹤壁市人民医院就诊,也可选择北京的专科医院。"


def hit(
    title: str,
    text: str,
    dense: float | None = None,
    bm25: float | None = None,
    regions: tuple[str, ...] = (),
    doc: str = "",
    rank: int = 1,
) -> Hit:
    """A hand-built hit; the chunk id is the title, the doc id defaults to it too."""
    scores = {k: v for k, v in (("dense", dense), ("bm25", bm25)) if v is not None}
    chunk = Chunk(title, doc or title, "x.txt", "snippet", title, text, 0, len(text), None, regions)
    return Hit(chunk, rank, 0.03, scores)


ACTIVATE = hit(
    "医保从来没用过怎么激活",
    "打开国家医保服务平台APP,点击【医保码】,选择参保地后点击【立即激活】,设置密码。",
    0.93,
    9.0,
)
FAMILY = hit(
    "怎样设置医保家庭共济账户",
    "进入【地方专区】→【门诊共济】→【家庭成员绑定】,按提示输入被绑定人信息。",
    0.90,
    4.0,
    rank=2,
)
DEZHOU = hit(
    "山东德州社保基数15500每个月扣多少",
    "养老保险个人8%,医疗保险个人2%,失业保险0.3%。",
    0.88,
    2.0,
    regions=("德州", "山东"),
    rank=3,
)
SHANXI = hit("山西农村合作医疗截止日期", "山西新农合每年12月31日截止缴费。", 0.89, 3.0, ("山西",))
ALWAYS = RefusalModel(FEATURE_NAMES, (0.0,) * len(FEATURE_NAMES), 0.0, 0.0)  # refuses
NEVER = RefusalModel(FEATURE_NAMES, (0.0,) * len(FEATURE_NAMES), 0.0, 1.0)  # answers
