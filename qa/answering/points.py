"""Point selection for extractive answers: which passages are relevant, the lead, the points.

A passage is used when it covers enough of the question's IDF weight and shares an uncommon
word with it (when some state the question's numbers, only those). The lead is the best
sentence of the best-ranked such passage (one stating an amount when the question asks
多少/几/比例 …). Points (three per passage) are steps, bullets or sentences sharing an
uncommon non-place word with the question and scoring at least half the lead's relevance
(every point of a passage whose title matches the question qualifies). Every excerpt is checked
with :func:`qa.text.figures.unsupported_figures` and dropped, logged, if it fails.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence

from qa.answering.quotes import Excerpt, overlaps, same_text, split_passage
from qa.settings import default
from qa.text.figures import extract_figures, unsupported_figures
from qa.text.normalize import char_bigrams, fold
from qa.text.regions import find_regions
from qa.types import Chunk

logger = logging.getLogger(__name__)

_PASSAGE_MIN = 0.2  # share of the question's weight a passage must cover
_TITLE_MATCH = 0.6
#: What a lead should state for a time or materials question (``Question.kind``).
_KIND_FIT = {
    "time": re.compile(r"\d+\s*个?(?:工作日|天|月|日|号)|截止|期限|之前|以内|即时|当天"),
    "materials": re.compile(r"身份证|户口|材料|证明|照片|复印件"),
}
_ASKS_AMOUNT = re.compile(r"多少|几|比例|标准|金额|上下限|上限|下限|号码")
_AMOUNT = re.compile(
    r"\d+(?:\.\d+)?\s*(?:%|％|万?元|个月|个工作日|天|周岁|岁)|(?<!\d)\d{1,2}\s*[年月](?![\d度])|123\d\d"
)


SYNONYM_SHARE = 0.25  # of a question word's weight, for its synonym


class Scorer:
    """Overlap of a text with the question: IDF-weighted tokens, then character bigrams."""

    def __init__(
        self,
        question: str,
        weights: dict[str, float],
        rare: float,
        kind: str = "other",
        variants: Mapping[str, Sequence[str]] | None = None,  # each token with its synonyms
    ) -> None:
        self.weights = weights
        self.rare = rare  # weight from which a token is uncommon enough to show relevance
        self.total = sum(weights.values()) or 1.0
        self.bigrams = char_bigrams(question)
        self.asks_amount = bool(_ASKS_AMOUNT.search(question))
        self.kind_fit = _KIND_FIT.get(kind)
        self.places = {t for t in weights if find_regions(t)}
        variants = variants or {}
        self.variants = {t: variants.get(t) or (t,) for t in weights}  # 补交: 补缴 too

    def _in(self, token: str, text: str) -> bool:
        return any(v in text for v in self.variants[token])

    def coverage(self, text: str, places: bool = True) -> float:
        """Share of the question's weight whose tokens occur in ``text`` (a token present only
        as a synonym counts a quarter: 医疗保险卡 for 医保卡 must not outweigh the word asked);
        without ``places``, place names count for nothing."""
        text = fold(text)
        found = 0.0
        for token, weight in self.weights.items():
            if not places and token in self.places:
                continue
            if token in text:
                found += weight
            elif self._in(token, text):
                found += SYNONYM_SHARE * weight
        return found / self.total

    def informative(self, text: str, places: bool = True) -> bool:
        """Whether ``text`` holds an uncommon question word of 2+ characters (or place name)."""
        text = fold(text)
        return any(
            len(t) > 1 and w >= self.rare and (places or t not in self.places) and self._in(t, text)
            for t, w in self.weights.items()
        )

    def unshown(self, shown: str) -> Callable[[str], bool]:
        """A test of whether a text holds a question word of some weight (``rare`` or more)
        that ``shown`` lacks: what an added source must bring (医保卡丢了去哪补 answered, a
        line about 医保卡里没有钱 brings no word of the question that is not shown already)."""
        shown = fold(shown)
        missing = [t for t, w in self.weights.items() if w >= self.rare and not self._in(t, shown)]
        return lambda text: any(self._in(t, fold(text)) for t in missing)

    def bigram(self, text: str) -> float:
        """Share of the question's character bigrams found in ``text``."""
        return len(self.bigrams & char_bigrams(text)) / (len(self.bigrams) or 1)


def relevant_chunks(scorer: Scorer, question: str, chunks: list[Chunk]) -> list[Chunk]:
    """Chunks covering enough of the question; when some state the question's numbers
    (a 基数 such as 15500), only those."""
    figures = {c.chunk_id: set(extract_figures(f"{c.title}\n{c.text}")) for c in chunks}
    for figure in dict.fromkeys(extract_figures(question)):
        if any(figure in figures[c.chunk_id] for c in chunks):
            chunks = [c for c in chunks if figure in figures[c.chunk_id]]
    return [
        c
        for c in chunks
        if scorer.coverage(text := f"{c.title}\n{c.text}") >= _PASSAGE_MIN
        and scorer.informative(text)
    ]


def _faithful(excerpts: list[Excerpt]) -> list[Excerpt]:
    """Drop any excerpt stating a figure found in no cited quote (never expected)."""
    quotes = [p.chunk.text[p.start : p.end] for p in excerpts]
    kept = []
    for excerpt in excerpts:
        missing = unsupported_figures(excerpt.shown, quotes)
        if missing:
            logger.error("dropped answer excerpt with figures %s not in cited quotes", missing)
        else:
            kept.append(excerpt)
    return kept


def _repeats(unit: Excerpt, lead: Excerpt, chosen: Sequence[Excerpt]) -> bool:
    """Whether ``unit`` repeats what is chosen (a step block may contain the lead sentence)."""
    if any(same_text(unit, c) or overlaps(unit, c) for c in chosen[1:]):
        return True
    return same_text(unit, lead) or overlaps(unit, lead) and not unit.sub


def select_points(
    scorer: Scorer,
    passages: Sequence[Chunk],
    max_points: int,
    per_passage: int = default("answer_points_per_passage"),
) -> list[Excerpt]:
    """The lead sentence, then up to ``max_points`` relevant points.

    The lead comes from the best-ranked passage (one stating an amount when the question
    asks for one): its sentence with the most question weight, then bigram overlap, then
    length; a snippet whose title matches the question leads with its first sentence.

    Args:
        scorer: Scores text against the question.
        passages: Relevant passages, best first.
        max_points: Most points after the lead.

    Returns:
        The lead then the points; empty when no passage has a quotable sentence.
    """
    split = {p.chunk_id: split_passage(p) for p in passages}

    def amount_ok(excerpt: Excerpt) -> bool:
        return not scorer.asks_amount or bool(_AMOUNT.search(excerpt.shown))

    def lead_key(excerpt: Excerpt) -> tuple:
        score = scorer.coverage(excerpt.shown)
        title_match = scorer.coverage(excerpt.chunk.title) >= _TITLE_MATCH
        if excerpt.first and excerpt.chunk.kind == "snippet" and title_match:
            score += 1.0
        bigram = round(scorer.bigram(excerpt.shown), 2)
        fits = scorer.kind_fit is None or bool(scorer.kind_fit.search(excerpt.shown))
        return (amount_ok(excerpt), fits, round(score, 3), bigram, min(len(excerpt.shown), 80))

    leads = {
        p.chunk_id: [s for s in split[p.chunk_id][1] if s.lead_ok] or split[p.chunk_id][1]
        for p in passages
    }
    candidates = [p for p in passages if leads[p.chunk_id]]
    if not candidates:
        return []
    best = max(  # the first passage with an amount (if asked) and a full sentence
        candidates,
        key=lambda p: (
            any(map(amount_ok, leads[p.chunk_id])),
            any(s.lead_ok for s in leads[p.chunk_id]),
        ),
    )
    lead = max(leads[best.chunk_id], key=lead_key)

    def relevance(unit: Excerpt) -> float:
        return scorer.coverage(unit.shown) + 0.5 * scorer.coverage(unit.chunk.title)

    floor = 0.5 * relevance(lead)
    chosen = [lead]
    for passage in sorted(passages, key=lambda p: p is not best):
        title_match = scorer.coverage(passage.title) >= _TITLE_MATCH
        units = [
            u
            for u in split[passage.chunk_id][0]
            if scorer.informative(u.shown, places=False)
            and amount_ok(u)
            and (title_match or relevance(u) >= floor)
        ]
        taken: list[Excerpt] = []
        for unit in sorted(units, key=relevance, reverse=True):
            room = max_points + 1 - len(chosen) - len(taken)
            if room <= 0 or len(taken) == per_passage:
                break
            if not _repeats(unit, lead, chosen + taken):
                taken.append(unit)
        chosen.extend(sorted(taken, key=lambda u: u.start))
    return _faithful(chosen)
