"""The first sentence of a unit answer: one short line that answers the question's kind.

- how-to / where, when the article offers several routes (sections ``一、线上激活方式``
  ``二、线下激活方式``, or headed groups inside one unit ``医保局网站:`` ``医保APP:`` …):
  ``共有两种方式:线上激活方式、线下激活方式。``
- materials: the materials the quoted lines name, ``需要准备:身份证、户口本、1寸照片。``
- otherwise: the quoted lines' best prose sentence for the kind (a date for *when*, an amount
  for *how much*, the verdict for yes/no), never a list item, heading or question (a how-to:
  an opening summary only), or the item naming what the question singles out (``item_leads``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answering.points import Scorer
from qa.answering.units import (
    BULLET,
    LIST_MARK,
    NUMBERED,
    REFERS_BACK,
    STATES_AMOUNT,
    Line,
    Unit,
    sibling_units,
)
from qa.text import figures
from qa.text.cohorts import line_fit
from qa.text.figures import STATES_RATE
from qa.text.regions import find_regions
from qa.types import Question

#: A line that asks rather than tells (a snippet's own question, a FAQ heading).
ASKS = re.compile(
    r"[?？]\s*$|(?:怎么办|怎么[^,，。]{0,8}|吗|多少|是什么|有哪些|哪些|如何[^,，。]{0,6})$"
    r"|^[^。！!；;,，]{0,24}(?:怎么|怎样|如何|哪里|在哪|什么|多少)[^。！!；;,，]*$"
)
#: What a line should state to answer each kind of question.
KIND_CUES = {
    "materials": re.compile(r"材料|身份证|户口|证件|复印件|照片|出示|有效凭证|社会保障卡"),
    "amount": STATES_AMOUNT,
    "time": re.compile(
        r"[\d一二两三四五六七八九十]+\s*(?:个?[月日号天]|周(?!岁)|分钟|小时)|个工作日|截止|期限|之前|以内"
        r"|次月|当月"
    ),
    "where": re.compile(
        r"窗口|机构|服务中心|APP|app|微信|支付宝|电话|热线|网点|银行|平台|网站|官网|公众号|小程序"
        r"|大厅|社区|街道|委会"
    ),
    "yesno": re.compile(r"^[^。]{0,30}(?:可以|不可以|能|不能|是|不是|需要|无需|不需要)"),
}
#: IDF weight from which a question word singles out one item of a list (闽政通 3.5; app 1.8).
SPECIFIC = 3.0  # IDF weight of a question term that singles a line out
_ASKS_RATE = re.compile(r"几个点|百分之|比例|费率|几成")
#: Asking a phone number (打哪个电话), and a line giving one.
_ASKS_PHONE = re.compile(r"(?:哪个|什么|啥|多少)(?:电话|热线)|(?:电话|热线)号?码?是?多少|打哪个")
_PHONE = re.compile(r"\d{3,4}-\d{7,8}|(?<!\d)12\d{3}(?!\d)|\d{7,}")
ROUTE = re.compile(r"方式|渠道|途径")
_NUMERALS = "零一两三四五六七八九十"
#: Headed groups that are not routes (a group of notes, steps or conditions).
_NOT_ROUTE = re.compile(r"操作|注意|事项|场景|步骤|流程|准备|说明|提示|示例|原因|条件|材料|建议|后")
#: What a channel is called (a group under such a heading is a route).
_CHANNEL = re.compile(
    r"网站|官网|app|APP|微信|支付宝|小程序|公众号|平台|窗口|大厅|经办|机构|银行|电话|热线|网点"
    r"|线上|线下|网上|现场|柜台|医院|药店|社区|街道|服务点|中心|政务"
)
#: A line that tells how to do something: a channel, or an action taken there.
STEP = re.compile(
    _CHANNEL.pattern + r"|登录|注册|搜索|进入|点击|选择|填写|提交|携带|前往|拨打|申请|申领|绑定"
    r"|授权|添加|激活|认证|扫码|缴纳|缴费|办理"
)
_MATERIAL = re.compile(
    r"(?:居民)?身份证(?:原件)?|户口[本簿]|社保卡|医保卡|医疗保险卡|医保电子凭证"
    r"|\d寸(?:免冠)?(?:彩色)?照片|(?:近期)?(?:免冠)?照片|银行(?:卡|存折)|存折|结婚证|出生(?:医学)?证明"
    r"|(?:劳动关系|离职|无业|居住|在校|学籍|户籍|参保|就业|亲属关系|婚姻|收入)证明"
    r"|《[^》]{2,24}》|[\u4e00-\u9fff]{2,8}(?:申请表|登记表)"
)
_NEEDS = re.compile(r"提供|携带|准备|材料|证件|所需|必备|带上|带好|持|凭")  # says what to bring
_ITEM_MARK = re.compile(r"^[\s•·\-\d.、)）]*")


def kind_cue(question: Question) -> re.Pattern[str] | None:
    """What a line should state to answer ``question`` (a percentage when it asks a rate, a
    number of people when it asks how many)."""
    if question.kind == "amount" and _ASKS_RATE.search(question.text):
        return STATES_RATE
    if question.kind == "amount" and figures.ASKS_COUNT.search(question.text):
        return figures.STATES_COUNT
    if question.kind == "time" and figures.ASKS_MAKE_UP.search(question.text):  # a 补缴 line
        return _MAKE_UP_DATE if figures.ASKS_DEADLINE.search(question.text) else _MAKE_UP_TIME
    if question.kind == "time" and (cue := figures.time_cue(question.text)):
        return cue  # 最晚几号: a date; 几天能批下来: days; 多久能用: the waiting period
    if question.kind in _SPAN_KINDS and figures.ASKS_AGE.search(question.text):
        return figures.STATES_AGE
    if question.kind in _SPAN_KINDS and figures.ASKS_YEARS.search(question.text):
        return figures.STATES_YEARS
    return KIND_CUES.get(question.kind)


_MAKE_UP_TIME = re.compile(rf"(?m)^(?=.*补).*?(?:{KIND_CUES['time'].pattern})")  # not 集中缴费
_MAKE_UP_DATE = re.compile(rf"(?m)^(?=.*补).*?(?:{figures.STATES_DATE.pattern})")

#: Kinds whose question can ask an age or a number of years (not how or where; a yes/no
#: question can: 医保卡有效期一般是几年啊,到期要换吗).
_SPAN_KINDS = ("amount", "time", "other", "yesno")


def figure_cue(question: Question) -> re.Pattern[str] | None:
    """:func:`kind_cue` of an amount or time question, or of one asking an age, a number of
    years or a phone number (what states the asked figure), else None."""
    if question.kind == "where" and _ASKS_PHONE.search(question.text):
        return _PHONE  # which line leads, and which block of the unit is quoted
    cue = kind_cue(question)
    spans = (figures.STATES_AGE, figures.STATES_YEARS)
    return cue if question.kind in ("amount", "time") or cue in spans else None


_UNSTATED = {"amount": "金额", "time": "时间"}


def unstated_figure(question: Question, body: str) -> str | None:
    """What an amount, rate or time question asks that ``body`` states none of (金额, 比例,
    人数, 时间: 灵活就业一个月交多少 answered with who pays, not how much), else None."""
    cue = figure_cue(question)
    if cue is None or cue is _PHONE or cue.search(body) or question.looks_up:
        return None  # a hotline asked and none quoted: the channels quoted may still answer
    named = {
        STATES_RATE: "比例",
        figures.STATES_COUNT: "人数",
        figures.STATES_AGE: "年龄",
        figures.STATES_YEARS: "年限",
    }
    return named.get(cue) or _UNSTATED[question.kind]


def _route_name(heading: str) -> str:
    return re.sub(r"^(?:[一二三四五六七八九十]+|\d{1,2})[、.．]\s*", "", heading).strip(" :：")


def _routes_sentence(names: Sequence[str], word: str) -> str | None:
    if not 2 <= len(names) < len(_NUMERALS):
        return None
    return f"共有{_NUMERALS[len(names)]}种{word}:{'、'.join(names)}。"


def route_lead(question: Question, primary: Unit) -> str | None:
    """``共有两种方式:线上激活方式、线下激活方式。`` when the article offers several routes."""
    if question.kind not in ("how", "where"):
        return None
    routes = [u.heading for u in sibling_units(primary) if ROUTE.search(u.heading)]
    if primary.heading not in routes:
        return None
    word = m.group() if (m := ROUTE.search(routes[0])) else "方式"
    return _routes_sentence([_route_name(r) for r in routes], word)


_ROUTE_HEAD = re.compile(
    r"(?:线上|线下)(?:变更|办理|缴费|登记|激活|查询|申请|申领)?(?:方式|渠道|途径)?$"
)
#: A question pointing at the in-person route, or at the online one.
OFFLINE = re.compile(
    r"线下|窗口|柜台|现场|大厅|没有智能手机|不[太大怎]?会[用弄玩使]?手机|不懂手机|没手机|老人|年纪大|腿脚"
    r"|行动不便|[6-9]\d多?岁|[6-9]\d多?了|[六七八九]十多?岁?"
)
ONLINE = re.compile(r"(?i)线上|网上|手机|app|微信|支付宝|小程序|公众号")


def group_lead(question: Question, lines: Sequence[Line]) -> str | None:
    """``共有三种途径:医保局网站、医保APP或微信公众号、第三方支付平台。`` when the quoted
    lines are groups under short top-level headings that name channels, not notes or steps."""
    if question.kind not in ("how", "where") or not lines:
        return None
    top = min(ln.depth for ln in lines)
    heads = [
        ln
        for i, ln in enumerate(lines)
        if ln.heading and ln.depth == top and i + 1 < len(lines) and not lines[i + 1].heading
    ]
    names = [_route_name(ln.shown) for ln in heads if not ASKS.search(ln.shown)]
    routes = len(set(names)) == len(names) and not any(
        _NOT_ROUTE.search(n) or len(n) > 16 for n in names
    )
    if routes and all(_CHANNEL.search(n) for n in names):  # 缴费年限 / 办理时限 are not routes
        return _routes_sentence(names, "途径")
    if OFFLINE.search(question.text) or ONLINE.search(question.text):
        return None  # it chose a route: its steps, not the list of routes
    named = [_route_name(ln.shown) for ln in lines if ln.heading]
    both = [n for n in named if _ROUTE_HEAD.match(n)]
    if len(both) == 2 and both[0][:2] != both[1][:2]:  # flat: 线上变更方式: … 线下变更:
        return _routes_sentence(both, "方式")
    return None


def _names_materials(text: str) -> bool:
    """Whether ``text`` says what to bring or is a short item naming it (not 医保卡即可激活)."""
    item = _ITEM_MARK.sub("", text)
    return bool(_NEEDS.search(text) or _MATERIAL.match(item) and len(item) <= 24)


def materials_lead(question: Question, lines: Sequence[Line]) -> str | None:
    """``需要准备:身份证、户口本、1寸照片。`` from the materials the lines name."""
    if question.kind != "materials":
        return None
    said = [ln.shown for ln in lines if not ln.heading and _names_materials(ln.shown)]
    found = [m.group() for text in said for m in _MATERIAL.finditer(text)]
    names = list(dict.fromkeys(found))[:6]
    return f"需要准备:{'、'.join(names)}。" if len(names) >= 2 else None


def line_score(
    question: Question, scorer: Scorer, text: str, places: bool = True
) -> tuple[float, ...]:
    """How well a line answers the question's kind: cue matches, then question words (without
    ``places``, not counting place names: a unit already about the asked place)."""
    cue = kind_cue(question)
    hits = len(cue.findall(text)) if cue else 0
    coverage = round(scorer.coverage(text, places), 2)
    if (phone := figure_cue(question)) is _PHONE:  # 打哪个电话: a line with a number first
        return float(bool(phone.search(text))), coverage, float(hits > 0)
    if question.kind in ("materials", "amount", "time"):
        return float(hits > 0), coverage, float(hits)
    return coverage, float(hits > 0)


def _stating_items(lines: Sequence[Line], cue: re.Pattern[str]) -> list[Line]:
    """Bulleted (not numbered) items that state what ``cue`` looks for: a lead for an amount
    or time question whose prose states none (taking one out of a bulleted list leaves no gap
    in a numbering)."""
    return [
        ln
        for ln in lines
        if not ln.heading
        and (ln.depth > 0 or BULLET.match(ln.shown))
        and not NUMBERED.match(ln.shown)
        and not ASKS.search(ln.shown)
        and cue.search(ln.shown)
    ]


def elsewhere(question: Question, text: str) -> bool:
    """Whether ``text`` names only places other than the ones the question asks about (陕西's
    hotline does not lead an answer about 扬州)."""
    named = find_regions(text)
    return bool(question.regions and named and not set(named) & set(question.regions))


def lead_text(line: Line, question: Question | None = None) -> str:
    """A line as a lead sentence: without its bullet, and for a question about a place, of a
    line whose sentences name several places only those naming the asked one (扬州居民医保多少钱:
    扬州市的个人缴费标准为…540元/人, not 陕西省's 400元 first)."""
    text = NUMBERED.sub("", BULLET.sub("", line.shown)).strip()  # 3. 异地就医 :… leads bare
    if question is None or not question.regions:
        return text
    sentences = [part for part in _SENTENCE_END.split(text) if part.strip()]
    asked = set(question.regions)
    mine = [part for part in sentences if asked & set(find_regions(part))]
    others = [part for part in sentences if part not in mine and find_regions(part)]
    return "".join(mine).strip() if mine and others else text


_SENTENCE_END = re.compile(r"(?<=[。;；])")


def sentence_lead(
    question: Question, lines: Sequence[Line], scorer: Scorer, snippet: bool
) -> Line | None:
    """The best prose line of ``lines`` for the question's kind (not a list item or heading)."""
    prose = [ln for ln in lines if not ln.heading and ln.depth == 0]
    prose = [ln for ln in prose if not LIST_MARK.match(ln.shown)]
    prose = [ln for ln in prose if not REFERS_BACK.match(ln.shown) and not ASKS.search(ln.shown)]
    prose = [ln for ln in prose if not elsewhere(question, ln.shown)]
    cue = figure_cue(question)
    if cue is not None:
        stated = [ln for ln in prose if cue.search(ln.shown)]
        prose = stated or prose or _stating_items(lines, cue)  # 集中参保缴费时间:9月1日至…
    if not prose:
        return None
    if question.kind == "how":  # steps are read in order: only an opening summary leads
        opening = next(ln for ln in lines if not ln.heading)
        prose = [ln for ln in prose if ln is opening]
        if not prose:
            return None
    parent = {  # the line each line is an item of (• 财政补助标准 above • 成年居民:…): amounts only
        ln.start: next((p.shown for p in reversed(lines[:i]) if p.depth < ln.depth), "")
        for i, ln in enumerate(lines if question.kind == "amount" else ())
    }
    best = max(  # 35岁 → 超过18周岁、不满60周岁人员; 医疗保险每月扣多少 → the 医疗保险 line
        prose,
        key=lambda ln: (
            *line_fit(question, ln.shown, parent.get(ln.start, "")),
            *line_score(question, scorer, ln.shown),
            -ln.start,
        ),
    )
    states = cue is not None and bool(cue.search(best.shown))
    return best if scorer.coverage(best.shown) > 0 or snippet or states else None
