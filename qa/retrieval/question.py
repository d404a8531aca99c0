"""Question understanding, done once: follow-up resolution, then one :class:`qa.types.Question`.

Every later stage — retrieval, the refusal decision and its message, the composer — reads the
``Question`` built here and never re-normalises or re-tokenises the user's text.

* ``text`` — NFKC, simplified, typos fixed, fillers/particles/punctuation removed
  (:func:`qa.text.normalize.normalize_question`); ``embedding_text`` keeps punctuation.
* ``terms`` — BM25 tokens; ``expanded`` adds synonyms' tokens (``data/synonyms.toml``);
  ``content_terms`` drops greetings and thanks (none left = small talk).
* ``intent`` — of the standalone question when the follow-up is elliptical ("那线下怎么办"
  after a 医保码 question is about 医保 too), else of the user's own words, so an off-topic or
  medical follow-up is still routed away.
* ``key_terms`` / ``concepts`` / ``asks_local`` / ``topic`` — what the refusal decision checks
  and names (see ``qa.refusal.features``).

Example:
    >>> q = understand("那线下怎么办", [Turn("user", "怎么激活医保码")])
    >>> (q.standalone, q.intent)
    ('怎么激活医保码 线下怎么办', 'insurance')
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from qa.refusal.intent import classify_intent, load_vocabulary
from qa.retrieval.followups import resolve
from qa.text.cohorts import asked_groups, asked_payers
from qa.text.figures import ASKS_YEARS
from qa.text.normalize import clean_question, normalize_question
from qa.text.regions import find_regions, province_of
from qa.text.synonyms import get_synonyms
from qa.text.tokenizer import get_tokenizer, outermost, synonym_terms
from qa.types import Question, QuestionKind, Turn

logger = logging.getLogger(__name__)

#: Words that carry no question content: a query made only of these (after stopwords) is
#: small talk (the tokenizer already drops 在/吗/请 …).
SMALL_TALK = frozenset(
    {
        "你好", "您好", "你们好", "大家", "大家好", "哈喽", "哈", "喽", "嗨", "嗯", "哎",
        "谢谢", "多谢", "感谢", "辛苦", "辛苦了", "好", "好的", "行", "ok", "hi", "hello", "hey",
        "thanks", "thank", "you", "再见", "拜拜", "早上好", "早上", "上好", "晚上好", "晚上",
        "下午好", "下午", "不在", "有人", "人", "早安", "晚安", "在不在",
    }
)  # fmt: skip
_SUFFIXES = "金费险卡证线率额"  # single-char tokens that finish a term (失业+金 = 失业金)
_TOPIC_CHARS = 12
#: What a question across two places is about (在深圳参保去广州看病 → 异地就医备案).
CROSS_REGION_TERMS = ("异地就医", "备案")
#: What a question across two places is about when the person moves (从苏州调到南京工作,
#: 医保怎么转过去 → 参保地变更), unless it is about being treated there.
MOVE_TERMS = ("参保地变更", "转移接续")
_MOVES = re.compile(
    r"转(?:过去|过来|到|移|入|出|走|回)|迁|调到|调去|调动|搬到|搬去|搬家|换工作|跳槽|换了工作|"
    r"变更|换参保地|(?:去|到|在)[^,，。？?]{0,6}(?:工作|上班|定居|落户)"
)
_TREATED = re.compile(r"看病|就医|住院|报销|能报|买药|拿药|门诊|治病|手术|备案")


#: Another place named without its name (老家, 外地 …): with a treatment word the question is
#: about being treated away from where one is insured (我爸在老家参保,来我这边看病能报吗).
_ELSEWHERE = re.compile(
    r"老家|家乡|外地|外省|省外|外市|异地|户籍地|原籍|参保地以外|(?:别的|其他|另一个)(?:城市|地方|省)"
)


def implies_two_places(text: str) -> bool:
    """Whether ``text`` speaks of being treated in a place other than where one is insured
    without naming both (see ``_ELSEWHERE``)."""
    return bool(_ELSEWHERE.search(text) and _TREATED.search(text))


def moves_away(text: str, regions: Sequence[str]) -> bool:
    """Whether ``text`` asks about moving the insurance of the one place it names to another
    it does not name (郑州的医保能转到外地吗): a question across places, like two named."""
    return len(regions) == 1 and bool(_ELSEWHERE.search(text) and _MOVES.search(text))


def cross_region_terms(text: str) -> tuple[str, ...]:
    """What a question naming two places is about: moving the insurance (参保地变更) or being
    treated in the other place (异地就医备案, the default)."""
    moves = _MOVES.search(text) and not _TREATED.search(text)
    return MOVE_TERMS if moves else CROSS_REGION_TERMS


#: Question words jieba's HMM glues to the verb after them (在哪交 → 哪交, 咋弄).
_ASKING = frozenset("哪咋啥")


def key_terms(terms: Sequence[str], regions: Sequence[str] = ()) -> tuple[str, ...]:
    """Content words a passage answering the question should contain.

    Args:
        terms: The question's BM25 tokens.
        regions: Places named in it (left out: they have their own check).

    Returns:
        Longest non-nested tokens of 2+ characters that are not generic 医保 words, in order.
    """
    generic, tokenizer = set(load_vocabulary().generic), get_tokenizer()
    words: list[str] = []
    for token in terms:
        if len(token) < 2 or token in generic or token in words:
            continue
        if len(token) == 2 and token[0] in _ASKING and not tokenizer.known(token):
            continue  # 在哪交 → 哪交: a question word glued to a verb, no term
        if any(token in place or place in token for place in regions):
            continue
        words.append(token)
    return outermost(words)


def topic_phrase(text: str, regions: Sequence[str], keys: Sequence[str]) -> str:
    """A short name for what the question asks about, e.g. ``北京门诊起付线`` or ``失业金``."""
    shown = []
    parts = [*regions[:1], *keys]
    for part in parts:
        if any(ch.isdigit() for ch in part) or PERIOD.fullmatch(part):
            continue  # a year, sum or period is not a topic (东莞农村2025年交, 北京医保一年交多少)
        at = text.find(part)
        end = at + len(part)
        starts_next = any(text.startswith(other, end) for other in parts)  # 参保|证明, not 参保证
        if at >= 0 and end < len(text) and text[end] in _SUFFIXES and not starts_next:
            part += text[end]
        shown.append(part)
    if shown == list(regions[:1]) and (scheme := _SCHEME.search(text)):
        shown.append(scheme.group())  # 北京医保, not 北京 alone
    phrase = "".join(shown)
    return phrase if len(phrase) <= _TOPIC_CHARS else "、".join(shown[:4])


#: A period named in a question (一年, 每个月, 今年): no topic, and nothing to say is missing.
PERIOD = re.compile(r"[一每今明去本前][个]?[年月天日]|每个月|一个月|[一二两三半]?[年月]度?")
_SCHEME = re.compile(r"(?:城乡)?居民医保|职工医保|医保|社保")


#: A question ending by asking yes or no (…能查吗, …能不能): a when-word before it asks no "when".
_ENDS_YES_NO = r"(?:[吗么]|能不能|可不可以|会不会)$"
#: Cues of each question kind, tried in order (the first that matches wins).
_KIND_CUES: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = (
    (
        "materials",
        re.compile(r"材料|证件|资料|带些?(?:什么|啥|哪些)|准备什么|准备啥|提供什么|需要什么证"),
    ),
    # … unless a later clause asks yes/no (有效期到啥时候,打电话能查吗)
    (
        "time",
        re.compile(
            r"(?:什么时候|啥时|何时|几号|几月|哪天|多久|多长时间|几天|多少天|多少个?工作日|期限|截止|到账)"
            rf"(?![^,,。?? ]*[,,。?? ].*{_ENDS_YES_NO})"
        ),
    ),
    # a bare 时间 asks when, unless it is 这段时间 or the question asks yes/no (错过时间了还能补吗)
    ("time", re.compile(rf"(?<![段这那])时间(?!.*{_ENDS_YES_NO})")),
    # 会怎样 asks what happens, not how to do something
    ("other", re.compile(r"会怎[样么]样?|会有什么(?:影响|后果)|有什么影响|什么后果")),
    ("where", re.compile(r"电话|热线|号码|客服|网址|网站地址")),  # 网址是多少: no amount
    ("how", re.compile(r"(?:怎么|咋|如何|怎样|在哪|哪里)(?:查|看|找)")),  # 咋查交了多少钱的记录
    # 能给老婆付产检的费用吗 asks whether, not how much: a cost noun right before 吗
    ("yesno", re.compile(r"(?:能|可以)[^多几]*(?:费用|金额|价格|价钱)[吗么]$")),
    (
        "amount",
        re.compile(
            r"多少|几成|几个点|百分之|费率|比例|标准|金额|费用|价格|价钱|多钱|几个人|几个家|几位|几名"
        ),
    ),
    ("where", re.compile(r"哪里|在哪|去哪|哪儿|哪个部门|哪个窗口|什么地方|渠道|入口")),
    # 要填什么 ends in 么 but asks what, not yes or no
    (
        "yesno",
        re.compile(
            r"能不能|可不可以|可以吗|是否|行不行|要不要|会不会|有没有|(?<![什怎])[吗么]$"
            r"|是不是[^,，。 ]*$|真的假的"  # in the last clause: not 是不是得改参保地 要咋弄
            r"|(?:能|可以|会|要|有|算|行)[^,，。 啥什哪]{0,16}[不没]$"  # 能当场激活不; not 有啥…没
        ),
    ),
    ("how", re.compile(r"怎么|如何|怎样|咋|步骤|流程|操作|办理|方法|办法|途径")),
)


#: Asking where or how to look something up (咋看医保卡还有多久过期): a channel answers it.
LOOKS_UP = re.compile(r"查|[看瞧](?!病)|在哪|哪里|哪儿|怎么知道")  # 看病 is not a lookup


#: What an amount question measures: what is paid back, else what is paid in.
_REIMBURSEMENT = re.compile(r"报销|能报|给报|报多少|报百分|报几|报了")
_CONTRIBUTION = re.compile(r"交|缴|扣")
#: How much pension one gets (退休后每月能领多少), not a pension figure (计发基数是多少).
_PENSION = re.compile(
    r"(?:每月|每个月|一个月|退休)[^,，。？?]{0,10}(?:领|拿)(?:多少|几)"
    r"|(?:养老金|退休金|退休工资)(?:能|可以|大概|大约)?(?:领|拿|有|是)?多少"
)


def amount_measure(text: str, kind: QuestionKind) -> str:
    """``reimbursement``, ``pension``, ``contribution`` or ``""`` (``Question.measure``)."""
    if kind != "amount":
        return ""
    if _REIMBURSEMENT.search(text):
        return "reimbursement"
    if _PENSION.search(text):
        return "pension"
    if ASKS_YEARS.search(text):  # 交多少年: a number of years, not a sum paid in
        return ""
    return "contribution" if _CONTRIBUTION.search(text) else ""


def question_kind(text: str) -> QuestionKind:
    """What ``text`` (normalised) asks for; see ``_KIND_CUES`` for the order of the rules."""
    for kind, cue in _KIND_CUES:
        if cue.search(text):
            return kind
    return "other"


def crosses_regions(regions: Sequence[str]) -> bool:
    """Two places named, neither containing the other (深圳 and 广州; not 德州 and 山东)."""
    return any(
        a != b and province_of(a) != b and province_of(b) != a
        for i, a in enumerate(regions)
        for b in regions[i + 1 :]
    )


def domain_concepts(text: str) -> tuple[str, ...]:
    """The specific 医保 concepts ``text`` names (longest of nested ones)."""
    return outermost([t for t in load_vocabulary().concepts if t in text])


def understand(asked: str, history: Sequence[Turn] = (), max_turns: int = 6) -> Question:
    """Understand ``asked`` (already validated) in the context of the earlier turns.

    Args:
        asked: The user's question.
        history: Earlier turns; only the user's own questions are used.
        max_turns: How many earlier user turns may be considered.

    Returns:
        The :class:`qa.types.Question`; for an empty text every derived field is empty.
    """
    resolved = resolve(asked, history, max_turns)
    tokenizer = get_tokenizer()
    cleaned = tokenizer.respell(clean_question(resolved.text))  # 被案 → 备案
    text = normalize_question(cleaned)
    terms = tuple(tokenizer.tokenize(text))
    extra = synonym_terms(get_synonyms().related(text))
    regions = find_regions(text)
    cross = crosses_regions(regions) or implies_two_places(text) or moves_away(text, regions)
    across = cross_region_terms(text)
    if cross:  # insured in one place, treated in (or moving to) another
        extra += synonym_terms(across)
    keys = key_terms(terms, regions)
    if cross:  # the question is about 异地就医 (or 参保地变更) even when it does not say so
        cleaned = f"{cleaned} {across[0]}"
        keys = outermost([*keys, across[0]])
    intent = classify_intent(text)
    if resolved.follow_up:  # the user's own words decide unless they only continue the topic
        own_intent = classify_intent(normalize_question(asked))
        if not (resolved.inherits and own_intent in ("offtopic", "greeting")):
            intent = own_intent
    question = Question(
        asked=asked,
        standalone=resolved.text,
        text=text,
        embedding_text=cleaned,
        terms=terms,
        expanded=terms + tuple(t for t in extra if t not in terms),
        content_terms=tuple(t for t in terms if t not in SMALL_TALK),
        regions=regions,
        intent=intent,
        kind=(kind := question_kind(text)),
        key_terms=keys,
        concepts=domain_concepts(text),
        asks_local=not cross and any(cue in text for cue in load_vocabulary().local_cues),
        cross_region=cross,
        looks_up=bool(LOOKS_UP.search(text)),
        measure=amount_measure(text, kind),
        groups=asked_groups(text),
        payers=asked_payers(text),
        topic=topic_phrase(text, regions, keys),
        follow_up=resolved.follow_up,
    )
    logger.debug(
        "question understood chars=%d terms=%d regions=%d intent=%s follow_up=%s",
        len(text),
        len(terms),
        len(regions),
        intent,
        resolved.follow_up,
    )
    return question
