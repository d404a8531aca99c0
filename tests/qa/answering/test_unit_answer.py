"""Answer units and the unit composer (``YIBAO_COMPOSER=units``) on the real corpus."""

import re

import pytest

from ingest.chunking import chunk_documents
from qa.answering.disclaimer import DISCLAIMER
from qa.answering.item_leads import detail_lead
from qa.answering.leads import elsewhere, unstated_figure
from qa.answering.unit_answer import UnitComposer
from qa.answering.units import repeats, sibling_units, unit_of
from qa.retrieval.question import understand
from qa.text.figures import unsupported_figures
from qa.text.normalize import char_bigrams
from qa.types import Document, Hit
from tests.conftest import make_settings
from tests.qa.answering.test_extractive import assert_well_cited, body_without_date_note, hits

ACTIVATE = "医保从来没用过怎么激活"


@pytest.fixture(scope="module")
def corpus(corpus_documents, corpus_chunks):
    return {d.doc_id: d for d in corpus_documents}, corpus_chunks


@pytest.fixture(scope="module")
def composer(tmp_path_factory):
    return UnitComposer(make_settings(tmp_path_factory.mktemp("units"), composer="units"))


def _chunk(chunks, title_part, text_part):
    return next(c for c in chunks if title_part in c.title and text_part in c.text)


def test_a_unit_is_the_section_with_its_list_structure(corpus):
    documents, chunks = corpus
    chunk = _chunk(chunks, ACTIVATE, "医保经办机构办理")
    unit = unit_of(chunk, documents[chunk.doc_id])
    assert unit.heading == "二、线下激活方式"
    shown = [(ln.shown, ln.depth, ln.heading) for ln in unit.lines]
    assert shown[0] == ("二、线下激活方式", 0, True)
    assert ("1. 医保经办机构办理", 1, True) in shown  # an item title: structure, not a point
    steps = [s for s, depth, heading in shown if depth == 2]
    assert steps and all(s.startswith("•") for s in steps)
    assert [ln.start for ln in unit.lines] == sorted(ln.start for ln in unit.lines)
    headings = [u.heading for u in sibling_units(unit)]
    assert headings[:2] == ["一、线上激活方式", "二、线下激活方式"]


def test_a_cut_off_snippet_ends_at_a_clean_stop_or_says_it_is_cut_off(corpus):
    documents, chunks = corpus
    snippets = [d for d in documents.values() if d.kind == "snippet" and not d.sections]
    marked = 0
    for doc in snippets:
        chunk = next(c for c in chunks if c.doc_id == doc.doc_id)
        lines = unit_of(chunk, doc).lines
        if lines:
            last = lines[-1].shown
            assert last[-1] in '。！？!?；;”）)】」』"%％元' or last.endswith("……"), last
            marked += last.endswith("……")
    assert marked  # some previews stop mid-sentence in the corpus


def test_a_preview_keeps_its_last_item_rather_than_losing_most_of_a_line(corpus):
    documents, chunks = corpus
    chunk = _chunk(chunks, "张家口城乡居民养老保险能补缴吗", "补缴")
    lines = [ln.shown for ln in unit_of(chunk, documents[chunk.doc_id]).lines]
    items = [ln for ln in lines if re.match(r"\d\.", ln)]  # inline 1.… 2.… became lines
    assert [i[:2] for i in items] == ["1.", "2."]
    assert any("不超过15年" in ln for ln in lines)  # kept, though the preview has no 。 after it
    assert lines[-1].endswith("……")
    assert not any(ln.startswith("以下是") for ln in lines)  # announcements are dropped


@pytest.mark.parametrize(
    "asked", ["我妈60多了从来没用过医保卡怎么激活", "医保卡有几种激活办法?我妈不太会用手机"]
)
def test_an_older_user_gets_the_in_person_route_in_source_order(composer, corpus, asked):
    documents, chunks = corpus
    wanted = [(ACTIVATE, "注意事项"), (ACTIVATE, "线上激活方式"), (ACTIVATE, "线下激活方式")]
    question = understand(asked)
    result = composer.compose(question, hits(chunks, *wanted), documents)
    body = result.body
    assert body.startswith("共有两种方式:线上激活方式、线下激活方式。")
    offline = body.index("二、线下激活方式")
    assert offline < body.index("医保经办机构办理") < body.index("定点医疗机构/药店激活")
    assert "一、线上激活方式" not in body  # the route the question does not need
    assert_well_cited(result, documents)


def test_headings_are_never_cited_and_nothing_is_said_twice(composer, corpus):
    documents, chunks = corpus
    questions = {
        "我妈60多了从来没用过医保卡怎么激活": [(ACTIVATE, "线下激活方式")],
        "怎么把老婆绑到我的家庭共济": [("家庭共济", "家庭成员绑定")],
        "合肥居民医保一年交多少钱": [("合肥市医保缴费", "")],
        "医保码能在微信激活吗": [(ACTIVATE, "线上激活方式")],
    }
    for text, wanted in questions.items():
        result = composer.compose(understand(text), hits(chunks, *wanted), documents)
        assert result.body and result.citations, text
        lines = [ln.strip() for ln in result.body.splitlines() if ln.strip()]
        for line in lines:
            if re.search(r"\[\d+\]$", line):
                bare = re.sub(r"\[\d+\]$", "", line)
                assert not re.fullmatch(r"[一二三四五六七八九十]+、.{0,12}", bare), line
                assert not bare.endswith((":", "：")), line
        points = [re.sub(r"\[\d+\]$", "", ln) for ln in lines if len(ln) > 12]
        assert len(points) == len(set(points)), text
        quotes = [c.quote for c in result.citations]
        assert not unsupported_figures(body_without_date_note(result), quotes)
        assert DISCLAIMER not in result.body
        assert_well_cited(result, documents)


def test_nothing_relevant_gives_an_empty_body(composer, corpus):
    documents, chunks = corpus
    chunk = _chunk(chunks, ACTIVATE, "线上激活方式")
    result = composer.compose(understand("茅台股票能买吗"), [Hit(chunk, 1, 1.0)], documents)
    assert result.body == "" and not result.citations


def test_the_best_ranked_chunk_is_quoted_though_it_words_things_differently(composer, corpus):
    documents, chunks = corpus
    bind = _chunk(chunks, "家庭共济", "家庭成员绑定")
    other = _chunk(chunks, ACTIVATE, "线上激活方式")
    question = understand("怎么把家里人绑到我的医保上一起用")  # 家里人 is not in the corpus
    result = composer.compose(question, [Hit(bind, 1, 0.9), Hit(other, 2, 0.5)], documents)
    assert "家庭成员绑定" in result.body
    assert result.citations[0].title.startswith("怎样设置医保家庭共济账户")


def test_the_best_ranked_chunk_is_quoted_when_it_holds_only_a_synonym_of_a_rare_word(
    composer, corpus
):
    documents, chunks = corpus
    move = _chunk(chunks, "更换参保地", "参保地变更申请表")
    other = _chunk(chunks, ACTIVATE, "线上激活方式")
    question = understand("医保能转到外地吗")  # 转到 → 转移接续 / 参保地变更; no bigram shared
    assert not char_bigrams(question.text) & char_bigrams(move.text) - {"医保"}
    result = composer.compose(question, [Hit(move, 1, 0.9), Hit(other, 2, 0.5)], documents)
    assert "参保地变更" in result.body
    assert result.citations[0].title.startswith("如果医疗保险想更换参保地")


def test_what_to_show_when_treated_is_what_to_bring(composer, corpus):
    """出示医保电子凭证或社会保障卡 answers 看病要带啥: not another unit's enrolment papers."""
    documents, chunks = corpus
    care = _chunk(chunks, "申请异地就医备案后怎么就医", "有效凭证")
    notes = _chunk(chunks, "普通人怎么交医保缴费", "异地就医")
    papers = next(c for c in chunks if c.text.lstrip().startswith("特殊情况处理"))  # 出生证明…
    question = understand("办好了异地就医备案,到那边医院看病要带啥")
    ranked = [Hit(c, i, 1.0 / i) for i, c in enumerate([care, notes, papers], start=1)]
    result = composer.compose(question, ranked, documents)
    assert "社会保障卡" in result.body and "户口本" not in result.body
    assert result.citations[0].title.startswith("申请异地就医备案后怎么就医")


def test_a_long_snippet_is_quoted_where_the_retrieved_chunk_is(composer, corpus):
    documents, chunks = corpus
    chunk = _chunk(chunks, "汕头职工医保卡没激活怎么激活", "异地就医激活")
    doc = documents[chunk.doc_id]
    assert len(doc.text) > 1000 and chunk.start > 300  # the chunk is deep in a long snippet
    question = understand("医保卡还没激活,下个月要去外地看病怎么办")
    result = composer.compose(question, [Hit(chunk, 1, 1.0)], documents)
    assert "参保地" in result.body and "异地就医激活" in result.body
    assert "向银行工作人员说明" not in result.body  # the snippet's start is not quoted
    assert_well_cited(result, documents)


def test_a_materials_question_leads_with_the_materials(composer, corpus):
    documents, chunks = corpus
    chunk = _chunk(chunks, "普通人怎么交医保缴费", "所需材料")
    result = composer.compose(understand("交医保要带哪些材料"), [Hit(chunk, 1, 1.0)], documents)
    lead = result.body.splitlines()[0]
    assert lead.startswith("需要准备:身份证、户口本") and lead.endswith("[1]"), lead
    assert not unsupported_figures(body_without_date_note(result), [result.citations[0].quote])


def test_channels_under_their_own_headings_lead_as_routes(composer, corpus):
    documents, chunks = corpus
    chunk = _chunk(chunks, "汕头医疗保险从哪里查询缴费记录明细", "第三方支付平台")
    question = understand("汕头咋查自己医保交了多少钱的记录")
    assert question.kind == "how"  # a question how to look up, not an amount
    result = composer.compose(question, [Hit(chunk, 1, 1.0)], documents)
    lines = result.body.splitlines()
    assert lines[0].startswith("共有") and "种途径:医保局网站、医保APP或微信公众号、" in lines[0]
    routes = lines[0].split(":", 1)[1].rstrip("。").split("、")
    for route in routes:  # every route named is quoted, as a heading line
        assert any(ln.strip().rstrip(":：") == route for ln in lines[1:]), route


def test_a_when_question_is_answered_from_the_section_about_time(composer, corpus):
    documents, chunks = corpus
    register = _chunk(chunks, "首次缴纳城乡居民医疗保险怎么交", "线下登记")
    question = understand("南宁居民医保什么时候交")
    result = composer.compose(question, [Hit(register, 1, 1.0)], documents)
    lead = result.body.splitlines()[0]
    assert re.search(r"\d+月\d+日至\d+月\d+日", lead), lead  # the dates lead
    assert "线下登记" not in result.body


def test_announcing_openings_are_not_quoted(corpus):
    documents, _ = corpus
    shown = [
        ln.shown
        for doc in documents.values()
        for chunk in [c for c in corpus[1] if c.doc_id == doc.doc_id][:1]
        for ln in unit_of(chunk, doc).lines
    ]
    assert shown
    assert not [ln for ln in shown if re.match(r"^(以下|下面)[是为将]", ln)]
    assert not [ln for ln in shown if re.search(r"(具体流程|步骤)如下[:：]", ln)]


def test_a_moved_primary_is_quoted_whole_and_cited_under_its_own_heading(composer, corpus):
    documents, chunks = corpus
    other = _chunk(chunks, "首次缴纳城乡居民医疗保险怎么交", "线下登记")
    question = understand("居民医保交了多久可以报销")
    result = composer.compose(question, [Hit(other, 1, 1.0)], documents)
    assert result.citations[0].title.endswith("缴费时间和待遇享受期")
    assert "待遇等待期3个月" in result.body  # the whole section, not one line of it
    assert_well_cited(result, documents)


def test_someone_who_cannot_use_a_phone_gets_the_in_person_route(composer, corpus):
    documents, chunks = corpus
    online = _chunk(chunks, ACTIVATE, "线上激活方式")
    result = composer.compose(
        understand("我爸70了不会弄手机 医保卡咋激活"), [Hit(online, 1, 1.0)], documents
    )
    assert "二、线下激活方式" in result.body and "一、线上激活方式" not in result.body


def test_another_places_figures_do_not_answer_a_local_amount(composer, corpus):
    documents, chunks = corpus
    hefei = _chunk(chunks, "合肥", "400")
    question = understand("天津居民医保一年交多少钱")
    assert question.asks_local and not question.cross_region
    result = composer.compose(question, [Hit(hefei, 1, 1.0)], documents)
    assert result.body == "" and not result.citations
    same_place = composer.compose(
        understand("合肥居民医保一年交多少钱"), [Hit(hefei, 1, 1.0)], documents
    )
    assert "400" in same_place.body


def test_a_time_question_quotes_the_ranked_unit_that_states_a_time(composer, corpus):
    documents, chunks = corpus
    together = _chunk(chunks, "公司交的社保和医保是分开交吗", "捆绑缴纳")  # ranked first, no time
    deadline = _chunk(chunks, "公司交社保不交医保可以吗", "三十日内")  # 三十日内: Chinese numerals
    question = understand("刚入职,公司最晚多久之内得给我上社保")
    assert question.kind == "time"
    hits = [Hit(together, 1, 1.0), Hit(deadline, 2, 0.9)]
    result = composer.compose(question, hits, documents)
    assert "三十日内" in result.body
    assert result.citations[0].quote and "三十日内" in result.citations[0].quote


def test_a_yes_no_question_quotes_the_one_list_item_that_answers_it(composer, corpus):
    documents, chunks = corpus
    notes = _chunk(chunks, "普通人怎么交医保缴费", "跨省就医需提前备案")  # 注意事项 items 1–3
    question = understand("我在深圳交的医保去广州看病能报吗")
    result = composer.compose(question, [Hit(notes, 1, 1.0)], documents)
    body = body_without_date_note(result)
    assert "跨省就医需提前备案" in body
    assert "缴费失败处理" not in body and "医保待遇" not in body  # items that answer nothing
    # the one item answers, so it leads as the verdict (its number and heading go)
    assert body.startswith("异地就医 :跨省就医需提前备案")
    assert "五、注意事项" not in body and "3. 异地就医" not in body
    # a list whose items answer alike is quoted whole
    listing = understand("普通人交医保缴费要注意什么")
    whole = composer.compose(listing, [Hit(notes, 1, 1.0)], documents)
    assert "缴费失败处理" in whole.body and "跨省就医需提前备案" in whole.body


def test_an_amount_question_answered_without_a_figure_is_marked_for_refusal(composer, corpus):
    documents, chunks = corpus
    lapse = _chunk(chunks, "医保中间漏交一个月要紧吗", "灵活就业人员")  # who pays, no amount
    result = composer.compose(understand("灵活就业一个月交多少"), [Hit(lapse, 1, 1.0)], documents)
    assert result.unstated == "金额"  # the service refuses: 没有写明您问的金额
    hefei = _chunk(chunks, "合肥", "400")
    stated = composer.compose(
        understand("合肥居民医保一年交多少钱"), [Hit(hefei, 1, 1.0)], documents
    )
    assert "400" in stated.body and not stated.unstated
    lookup = composer.compose(
        understand("灵活就业一个月交多少在哪查"), [Hit(lapse, 1, 1.0)], documents
    )
    assert lookup.body and not lookup.unstated  # asks where to look it up


def test_how_many_people_or_how_long_answered_without_one_is_marked(composer, corpus):
    documents, chunks = corpus
    steps = _chunk(chunks, "家庭共济", "家庭成员绑定")  # how to bind, not how many
    result = composer.compose(understand("家庭共济能绑几个人"), [Hit(steps, 1, 1.0)], documents)
    assert result.unstated == "人数"
    days = composer.compose(
        understand("共济绑定提交审核以后几天能通过"), [Hit(steps, 1, 1.0)], documents
    )
    assert days.unstated == "时间"
    alipay = _chunk(chunks, "", "仅需3分钟")
    minutes = composer.compose(
        understand("支付宝交医保要多长时间"), [Hit(alipay, 1, 1.0)], documents
    )
    assert "3分钟" in minutes.body and not minutes.unstated  # minutes state a time


def test_an_extra_source_adds_one_point_and_no_restated_step(composer, corpus):
    documents, chunks = corpus
    steps = _chunk(chunks, "四、操作步骤示例", "家庭成员绑定")
    online = _chunk(chunks, "一、线上办理方式", "按提示输入被绑定人信息")
    prenatal = _chunk(chunks, "医保家庭共济可以用于产检吗", "近亲属")
    question = understand("怎么把老婆绑到我的家庭共济")
    hits = [Hit(steps, 1, 1.0), Hit(prenatal, 2, 0.9), Hit(online, 3, 0.8)]
    body = composer.compose(question, hits, documents).body
    assert "填写被绑定人信息" in body and "另外" in body
    assert "家庭共济与产检费用的关系" not in body  # the list after the added line: another topic
    assert "按提示输入被绑定人信息并提交" not in body  # says what steps 1 and 2 said
    assert "产检" not in body  # the snippet is about 产检: its 产检 lines are another matter
    assert "通过以上方式" not in body.split("另外")[1]  # a closing line adds nothing


def test_an_amount_or_time_question_leads_with_the_item_that_states_it(composer, corpus):
    documents, chunks = corpus
    tianjin = _chunk(chunks, "城乡居民医疗保险的缴费标准是什么", "2024年10月8日")
    question = understand("天津居民医保集中交费从几号开始")
    assert question.kind == "time"
    result = composer.compose(question, [Hit(tianjin, 1, 1.0)], documents)
    lead = result.body.split("\n")[0]
    assert lead.startswith("集中参保缴费时间") and "2024年10月8日" in lead  # no bullet
    assert result.body.count("2024年10月8日") == 1  # taken out of the list, not said twice


def test_an_age_and_a_place_pick_the_group_and_the_city(composer, corpus):
    documents, chunks = corpus
    rates = _chunk(chunks, "城乡居民医疗保险的缴费标准是什么", "60-69周岁人员")
    result = composer.compose(
        understand("在上海,35岁没上班,交城乡居民医保一年多少钱"), [Hit(rates, 1, 1.0)], documents
    )
    body = body_without_date_note(result)
    assert body.split("\n")[0].startswith("个人缴费标准:超过18周岁、不满60周岁人员995元/年")
    assert "上海市2025年城乡居民医保缴费标准" in body
    assert "6409元/月" not in body  # the end of 深圳's list before 上海's heading
    older = composer.compose(
        understand("上海60多岁老人交居民医保一年多少钱"), [Hit(rates, 1, 1.0)], documents
    )
    assert older.body.startswith("个人缴费标准:60-69周岁人员825元/年")


def test_what_a_person_pays_leads_not_the_state_subsidy_unless_asked(composer, corpus):
    documents, chunks = corpus
    rates = _chunk(chunks, "城乡居民医疗保险的缴费标准是什么", "少年儿童和大学生")
    found = [Hit(rates, 1, 1.0)]
    lead = {
        asked: composer.compose(understand(asked), found, documents).body.split("\n")[0]
        for asked in ("深圳小孩的居民医保一年自己出多少", "深圳居民医保小孩政府给补多少")
    }
    own, state = lead.values()
    assert "38.454元/年" in own and "6409元/月" not in own  # 个人缴费标准, the child's rate
    assert "76.908元/年" in state  # the 财政补助标准 item for 少年儿童, when the state is asked


def test_short_lines_with_figures_are_facts_and_differing_figures_are_no_repeat(corpus):
    documents, chunks = corpus
    rates = _chunk(chunks, "城乡居民医疗保险的缴费标准是什么", "高档:1030元/年")
    unit = unit_of(rates, documents[rates.doc_id])
    high = [ln for ln in unit.lines if "高档" in ln.shown]
    assert len(high) == 2 and not any(ln.heading for ln in high)  # 高档:1030元/年, 1100元/年
    assert not repeats(high[1].key, {high[0].key})
    assert repeats(high[0].key, {high[0].key + "。"})


def test_someone_without_a_phone_gets_the_in_person_channels_not_the_phone_snippet(
    composer, corpus
):
    documents, chunks = corpus
    phone = _chunk(chunks, "怎样在手机上交居民医保缴费", "")
    ways = _chunk(chunks, "普通人怎么交医保缴费", "线下缴费")
    question = understand("不会用手机的老人怎么交居民医保")
    body = composer.compose(question, [Hit(phone, 1, 1.0), Hit(ways, 2, 0.9)], documents).body
    assert body.startswith("一、缴费方式") and "2. 线下缴费" in body and "银行柜台" in body
    assert "线上缴费(推荐)" not in body and "微信公众号/支付宝" not in body
    # a question about a time is not moved off its best passage for saying 线下
    timing = composer.compose(
        understand("线下办医保转移大概要多长时间"),
        [Hit(phone, 1, 1.0), Hit(ways, 2, 0.9)],
        documents,
    )
    assert "社保局/社区服务中心" not in timing.body
    # 没有智能手机: the 线下 passage shares no word with the question, and is still the answer
    phoneless = composer.compose(
        understand("没有智能手机怎么交医保"), [Hit(phone, 1, 1.0), Hit(ways, 2, 0.9)], documents
    )
    assert "2. 线下缴费" in phoneless.body and "银行柜台" in phoneless.body
    assert "国家医保服务平台APP 下载" not in phoneless.body


def test_a_how_question_gets_the_steps_not_the_notes_ranked_above_them(composer, corpus):
    documents, chunks = corpus
    notes = _chunk(chunks, "三、关键注意事项", "")
    steps = _chunk(chunks, "四、操作步骤示例", "")
    hits = [Hit(notes, 1, 1.0), Hit(steps, 2, 0.9)]
    how = composer.compose(understand("怎么把老婆绑到我的家庭共济"), hits, documents).body
    assert how.startswith("四、操作步骤示例") and "填写被绑定人信息" in how
    # what follows a step taken is in the notes: 绑好了…咋用
    after = composer.compose(understand("家庭共济绑好了,我老婆看病咋用我账户的钱"), hits, documents)
    assert after.body.startswith("三、关键注意事项") and "亲情账户" in after.body


def test_only_a_list_of_notes_is_narrowed_to_one_item(composer, corpus):
    documents, chunks = corpus
    late = _chunk(chunks, "错过了城乡居民医疗保险的缴费期限怎么办", "补缴时间")
    question = understand("城乡居民医保断了两年还能补交吗")
    body = composer.compose(question, [Hit(late, 1, 1.0)], documents).body
    assert "仍然有补缴的机会" in body  # the verdict before the list
    assert "补缴时间:" in body and "缴费标准:" in body  # 补缴时间和标准 is no list of notes


def test_a_how_question_answered_by_one_note_quotes_that_note(composer, corpus):
    documents, chunks = corpus
    notes = _chunk(chunks, "普通人怎么交医保缴费", "缴费失败处理")
    for asked, note, other in (
        ("跨省住院怎么结算", "跨省就医需提前备案", "缴费失败处理"),
        ("网上交医保扣款失败了咋整", "缴费失败处理", "跨省就医"),
    ):
        body = composer.compose(understand(asked), [Hit(notes, 1, 1.0)], documents).body
        assert note in body and other not in body and "医保待遇" not in body, body


def test_a_where_question_quotes_a_unit_naming_channels_over_a_better_ranked_one(composer, corpus):
    documents, chunks = corpus
    rates = _chunk(chunks, "城乡居民医疗保险的缴费标准是什么", "少年儿童和大学生")
    ways = _chunk(chunks, "普通人怎么交医保缴费", "线上缴费(推荐)")
    found = [Hit(rates, 1, 1.0), Hit(ways, 2, 0.9)]
    body = composer.compose(understand("孩子的居民医保在哪交"), found, documents).body
    assert "国家医保服务平台APP" in body and "社区服务中心" in body
    assert "38.454" not in body  # 深圳's rates answer 多少钱, not 在哪交


def test_a_time_lead_needs_no_question_word_when_the_place_heading_has_them(composer, corpus):
    documents, chunks = corpus
    rates = _chunk(chunks, "城乡居民医疗保险的缴费标准是什么", "2024年10月8日")
    body = composer.compose(
        understand("天津居民医保什么时候交"), [Hit(rates, 1, 1.0)], documents
    ).body
    assert body.startswith("集中参保缴费时间:2024年10月8日至2024年12月31日")


def test_a_sentence_that_only_names_the_question_is_not_a_line(corpus):
    documents, chunks = corpus
    family = _chunk(chunks, "城乡居民医保可以给家人用吗", "")
    shown = [ln.shown for ln in unit_of(family, documents[family.doc_id]).lines]
    assert not any("是一个涉及" in s for s in shown)
    assert any("家庭成员必须参加城乡居民医保" in s for s in shown)


def test_a_time_question_is_answered_from_the_units_time_block_not_the_chunk_found(
    composer, corpus
):
    documents, chunks = corpus
    steps = _chunk(chunks, "汕头手机上怎么更换医疗保险参保地", "市民中心")  # no time in it
    assert "工作日" not in steps.text
    question = understand("参保地变更大概多久能办好")
    assert question.kind == "time"
    body = composer.compose(question, [Hit(steps, 1, 1.0)], documents).body
    assert "15个工作日" in body and "办理时限" in body
    assert "市民中心" not in body


def test_a_short_label_with_an_aside_is_a_heading_not_a_cited_point(corpus):
    documents, chunks = corpus
    phone = _chunk(chunks, "", "电话激活(部分地区支持)")
    lines = unit_of(phone, documents[phone.doc_id]).lines
    label = next(ln for ln in lines if ln.shown.startswith("电话激活"))
    assert label.heading
    step = next(ln for ln in lines if "拨打当地医保服务热线" in ln.shown)
    assert not step.heading  # a step with an aside of its own stays a point
    assert not any(ln.heading for ln in lines if "(" in ln.shown and len(ln.shown) > 16)


def test_the_question_titling_the_next_qa_of_a_page_is_not_quoted(composer, corpus):
    documents, chunks = corpus
    timing = _chunk(chunks, "", "15个工作日内完成转移接续")
    lines = unit_of(timing, documents[timing.doc_id]).lines
    assert "15个工作日内完成转移接续" in lines[-1].shown
    assert not any(ln.shown.endswith("怎么激活?") for ln in lines)
    intro = _chunk(chunks, "", "下面随新社通小编一起来了解具体内容")
    found = [Hit(intro, 1, 1.0), Hit(timing, 2, 0.9)]
    body = composer.compose(understand("参保地变更要多久"), found, documents).body
    assert "15个工作日" in body and "怎么激活" not in body


def test_a_closing_sentence_that_refers_back_never_leads(composer, corpus):
    documents, chunks = corpus
    special = _chunk(chunks, ACTIVATE, "金融功能激活")
    question = understand("社保卡的金融功能在哪激活")
    body = composer.compose(question, [Hit(special, 1, 1.0)], documents).body
    assert "金融功能激活" in body
    assert not body.startswith("若按上述方法")


def test_the_one_item_naming_what_the_question_singles_out_leads(composer, corpus):
    documents, chunks = corpus
    ways = _chunk(chunks, "普通人怎么交医保缴费", "悦享生活")
    result = composer.compose(
        understand("建行手机银行交医保要填什么号码"), [Hit(ways, 1, 1.0)], documents
    )
    body = result.body
    assert body.startswith("银行渠道 :通过建设银行")  # 建行 = 建设银行, the only such item
    assert body.count("悦享生活") == 1  # taken out of the list, not repeated
    assert "2. 线下缴费" not in body  # the other channels answer nothing asked
    assert len(body_without_date_note(result).strip().splitlines()) == 1
    generic = composer.compose(
        understand("居民医保有哪些缴费渠道"), [Hit(ways, 1, 1.0)], documents
    ).body
    assert not generic.startswith("银行渠道")  # nothing singled out: the quote opens as written


def test_a_singled_out_item_keeps_the_quote_when_only_it_names_the_asked_place(composer, corpus):
    documents, chunks = corpus
    online = _chunk(chunks, "一、线上办理方式", "阜新医保公众号")
    question = understand("阜新的想开通家庭共济,在当地哪个平台上办")
    body = composer.compose(question, [Hit(online, 1, 1.0)], documents).body
    assert body.startswith("支付宝/微信搜索")  # a singled-out item leads, naming no place
    assert "阜新医保公众号" in body  # so the quote naming 阜新 stays


def test_a_line_about_another_place_is_elsewhere():
    question = understand("扬州医保热线是多少")
    assert elsewhere(question, "例如,陕西省的咨询电话为0913-6731811。")
    assert not elsewhere(question, "扬州市的医保热线为12393。")
    assert not elsewhere(question, "可以拨打当地医保部门的咨询电话。")
    assert not elsewhere(understand("医保热线是多少"), "陕西省的咨询电话为0913-6731811。")


def test_the_one_line_about_the_asked_place_leads_a_long_unit(composer, corpus):
    documents, chunks = corpus
    waiting = _chunk(chunks, "", "等待期:补缴后通常")
    unit = unit_of(waiting, documents[waiting.doc_id])
    question = understand("扬州有没有医保热线可以打")
    scorer = composer.extractive.scorer(question, documents)
    topic = f"{unit.heading} {unit.doc.title}"
    lead = detail_lead(question, unit.lines, scorer, topic)
    assert lead is not None and lead.shown.endswith("扬州市的医保热线为12393。")
    # 陕西's number names no asked place; without a place, no line is singled out
    assert detail_lead(understand("医保热线可以打吗"), unit.lines, scorer, topic) is None


def test_a_source_ranked_far_below_is_added_only_when_it_adds_a_point(composer, corpus):
    documents, chunks = corpus
    lost = _chunk(chunks, "医保卡丢了哪里去补办", "补办")
    empty = _chunk(chunks, "年年交医保为什么医保卡里没有钱", "不设立个人账户")
    question = understand("医保卡丢了去哪补")
    far = [Hit(lost, 1, 1.0), Hit(empty, 2, 0.6)]  # 医保卡 is all it shares, and it is shown
    assert "没有钱" not in composer.compose(question, far, documents).body
    near = [Hit(lost, 1, 1.0), Hit(empty, 2, 0.9)]  # ranked close to the best: it may add
    assert "不设立个人账户" in composer.compose(question, near, documents).body


def test_a_far_source_stating_another_figure_is_added_to_an_amount_answer(composer, corpus):
    documents, chunks = corpus
    base = _chunk(chunks, "山东德州社保基数15700", "同比上涨3.97%")
    raise_ = next(c for c in chunks if "3%左右" in c.text)
    question = understand("2024年养老金大概涨了多少")
    body = composer.compose(question, [Hit(base, 1, 1.0), Hit(raise_, 2, 0.5)], documents).body
    assert "3%左右" in body and "另外" in body


def test_a_materials_lead_brings_the_rest_of_its_list_not_the_lines_before_it(composer, corpus):
    documents, chunks = corpus
    found = _chunk(chunks, "汕头手机上怎么更换医疗保险参保地", "携带本人身份证")
    assert "劳动关系证明" not in found.text  # the list goes on in the next chunk
    result = composer.compose(understand("换参保地要准备什么材料"), [Hit(found, 1, 1.0)], documents)
    lines = [ln for ln in body_without_date_note(result).splitlines() if ln]
    assert lines[0].startswith("携带本人身份证") and "劳动关系证明" in lines[1]
    assert "线上变更方式" not in result.body  # no app steps for a list of materials


def test_a_materials_lead_names_what_to_bring_not_what_a_line_mentions(composer, corpus):
    documents, chunks = corpus
    notes = _chunk(chunks, "医保从来没用过怎么激活", "首次激活需提供身份证")
    assert "医保卡首次使用" in notes.text  # 医保卡 is mentioned there, not asked for
    result = composer.compose(
        understand("医保卡想去窗口激活,要带些什么"), [Hit(notes, 1, 1.0)], documents
    )
    lead = result.body.splitlines()[0]
    assert lead.startswith("需要准备:身份证、户口簿") and "医保卡" not in lead


def test_a_yes_no_answer_opens_with_the_line_giving_the_verdict_not_a_heading(composer, corpus):
    documents, chunks = corpus
    offline = _chunk(chunks, "医保从来没用过怎么激活", "原件及复印件")
    question = understand("去窗口激活医保卡,身份证要带复印件吗")
    lines = composer.compose(question, [Hit(offline, 1, 1.0)], documents).body.splitlines()
    assert "复印件" in lines[0] and not lines[0].startswith("二、")
    assert sum("复印件" in line for line in lines) == 1  # taken out of the quote it leads
    assert "二、线下激活方式" in lines  # the rest of the unit follows as the reason


def test_a_yes_no_answer_keeps_a_lead_in_that_already_says_the_verdict(composer, corpus):
    documents, chunks = corpus
    late = _chunk(chunks, "错过了城乡居民医疗保险的缴费期限怎么办", "仍然有补缴的机会")
    question = understand("错过居民医保交费时间了还能补交吗")
    body = composer.compose(question, [Hit(late, 1, 1.0)], documents).body
    assert body.startswith("如果您错过了城乡居民医疗保险的缴费期限,仍然有补缴的机会")


def test_a_where_lead_under_a_heading_naming_the_asked_thing_quotes_that_group(composer, corpus):
    documents, chunks = corpus
    phone = _chunk(chunks, "汕头医疗保险从哪里查询缴费记录明细", "电话查询")
    assert "养老金总体水平" in documents[phone.doc_id].text  # noise in the page, above 电话查询
    result = composer.compose(understand("汕头医保电话是多少"), [Hit(phone, 1, 1.0)], documents)
    body = body_without_date_note(result)
    assert "12393" in body.splitlines()[0] and "电话查询" in body
    assert "养老金" not in body and "社保大厅" not in body


def test_alternative_figures_lead_together_unless_one_is_asked(composer, corpus):
    documents, chunks = corpus
    rates = _chunk(chunks, "", "二档:775元/年")
    both = composer.compose(understand("城乡居民医保一年交多少钱"), [Hit(rates, 1, 1.0)], documents)
    lines = both.body.splitlines()
    assert lines[0].startswith("个人缴费标准:一档400元/年、二档775元/年。")
    assert not any("二档" in line for line in lines[1:])  # not left alone in the list
    one = composer.compose(understand("居民医保二档一年交多少"), [Hit(rates, 1, 1.0)], documents)
    assert one.body.splitlines()[0].startswith("个人缴费标准:二档775元/年。")  # under its label


def test_a_flat_page_with_online_and_offline_groups_leads_with_the_two_routes(composer, corpus):
    documents, chunks = corpus
    page = _chunk(chunks, "汕头手机上怎么更换医疗保险参保地", "线上变更方式")
    moving = composer.compose(
        understand("从苏州调到南京工作,医保怎么转"), [Hit(page, 1, 1.0)], documents
    )
    assert moving.body.startswith("共有两种方式:线上变更方式、线下变更。")
    phone = understand("想在手机上把医保参保地换过来,app里点哪儿")  # it chose the online route
    chosen = composer.compose(phone, [Hit(page, 1, 1.0)], documents)
    assert not chosen.body.startswith("共有两种方式")


def test_a_snippet_keeps_the_short_answer_it_opens_with_before_announcing_details(corpus):
    documents, chunks = corpus
    chunk = _chunk(chunks, "医保有效期多久怎么查", "官网")
    lines = [ln.shown for ln in unit_of(chunk, documents[chunk.doc_id]).lines]
    assert lines[0] == "官网、社保卡、电话查询。"  # its headline, a sentence, not the 以下是…
    assert not any("以下是" in ln for ln in lines)


def test_a_line_that_says_something_before_announcing_keeps_what_it_says(corpus):
    documents, chunks = corpus
    chunk = _chunk(chunks, "汕头手机上怎么更换医疗保险参保地", "线上或线下")
    lines = [ln.shown for ln in unit_of(chunk, documents[chunk.doc_id]).lines]
    assert "医保参保地的变更可通过线上或线下方式办理" in lines  # not ",具体操作如下:"
    assert not any("如下" in ln or "本文" in ln for ln in lines)  # nor the pitch before one


def test_a_phone_question_stays_on_a_best_unit_already_about_that_channel(composer, corpus):
    documents, chunks = corpus
    alipay = _chunk(chunks, "医保里共济账户 支付宝绑定", "同医保统筹区")
    online = _chunk(chunks, "一、线上办理方式", "家庭成员绑定")
    hits = [Hit(alipay, 1, 1.0), Hit(online, 2, 0.9)]
    body = composer.compose(understand("支付宝上弄医保共济,能跨地区用吗"), hits, documents).body
    assert "同医保统筹区" in body.split("另外")[0]  # the 支付宝 snippet, not the article's route


def test_a_phone_question_moves_only_to_the_online_section_of_an_article_on_its_topic(
    composer, corpus
):
    documents, chunks = corpus
    paying = _chunk(chunks, "怎样在手机上交医保缴费", "官方社保APP")
    notes = _chunk(chunks, ACTIVATE, "激活时效")  # an article on activating, not paying
    hits = [Hit(paying, 1, 1.0), Hit(notes, 2, 0.9)]
    body = composer.compose(understand("在手机上交医保都能用哪些app"), hits, documents).body
    assert body.startswith("在手机上交医保缴费非常便捷") and "线上激活方式" not in body
    activate = composer.compose(understand("医保卡能不能在手机上自己激活"), hits, documents)
    assert "一、线上激活方式" in activate.body  # asked about activating: its online route


def test_a_unit_titled_about_a_place_of_care_the_question_does_not_name_is_not_primary(
    composer, corpus
):
    documents, chunks = corpus
    prenatal = _chunk(chunks, "医保家庭共济可以用于产检吗", "近亲属")
    notes = _chunk(chunks, "三、关键注意事项", "调整共济成员")
    hits = [Hit(prenatal, 1, 1.0), Hit(notes, 2, 0.9)]
    body = composer.compose(understand("共济绑的家人想换一个还能改吗"), hits, documents).body
    assert body.startswith("三、关键注意事项") and "调整共济成员" in body.split("另外")[0]
    asked = composer.compose(understand("家庭共济的钱能用来做产检吗"), hits, documents).body
    assert asked.startswith("医保家庭共济政策允许家庭成员间共享医保账户资金")  # 产检 asked


def test_someone_without_a_phone_asking_for_materials_gets_the_in_person_group(composer, corpus):
    documents, chunks = corpus
    enrol = _chunk(chunks, "参保登记", "爱南宁")
    asked = "南宁我姥爷没有智能手机,第一次参加居民医保怎么登记,要带啥"
    body = composer.compose(understand(asked), [Hit(enrol, 1, 1.0)], documents).body
    assert body.startswith("携带本人身份证到社区或街道医保服务网点办理参保登记。")
    assert "爱南宁" not in body  # the online group is of no use to him
    phone = composer.compose(
        understand("南宁第一次参加居民医保怎么登记,要带啥"), [Hit(enrol, 1, 1.0)], documents
    )
    assert "爱南宁" in phone.body  # nothing points to the counter: the chunk found answers
    both = composer.compose(
        understand("南宁居民医保登记线上线下都能弄,要带啥"), [Hit(enrol, 1, 1.0)], documents
    )
    assert "爱南宁" in both.body  # both routes named: no choice made for the user


def test_a_lead_naming_several_places_keeps_the_sentence_about_the_asked_one(composer, corpus):
    documents, chunks = corpus
    late = next(c for c in chunks if "扬州市的个人缴费标准为普通城乡居民540元" in c.text)
    result = composer.compose(understand("扬州居民医保多少钱一年"), [Hit(late, 1, 1.0)], documents)
    lead = result.body.splitlines()[0]
    assert lead.startswith("扬州市的个人缴费标准为普通城乡居民540元") and "陕西" not in lead
    shaanxi = understand("陕西补交居民医保个人交多少")
    other = composer.compose(shaanxi, [Hit(late, 1, 1.0)], documents)
    assert "扬州" not in other.body.splitlines()[0]


def test_no_conflict_note_about_figures_the_answer_does_not_show(composer, corpus):
    documents, chunks = corpus
    late = next(c for c in chunks if "新生儿在出生后3个月内" in c.text)
    other = next(c for c in chunks if "12333" in c.text and c.doc_id != late.doc_id)
    assert "12393" in late.text  # the quoted chunk holds 扬州's hotline, another page 12333
    question = understand("新生儿医保怎么办理")
    result = composer.compose(question, [Hit(late, 1, 1.0), Hit(other, 2, 0.5)], documents)
    assert "新生儿" in result.body.splitlines()[0]
    assert "12393" not in result.body and "咨询电话" not in result.body  # not asked, not shown


def test_a_look_up_question_quotes_the_unit_about_looking_it_up(composer, corpus):
    documents, chunks = corpus
    paying = _chunk(chunks, "如何在支付宝交医保费用", "市民中心")
    records = _chunk(chunks, "医保查询缴费记录在哪查", "缴费记录")
    hits = [Hit(paying, 1, 1.0), Hit(records, 2, 0.9)]
    body = composer.compose(understand("在支付宝上怎么查医保交没交"), hits, documents).body
    assert body.startswith("医保缴费记录可以通过线上和线下两种方式查询")
    paid = composer.compose(understand("在支付宝上怎么交医保"), hits, documents).body
    assert not paid.startswith("医保缴费记录")  # paying, not looking up: the best unit stays


def test_a_yes_no_question_is_answered_from_the_unit_that_gives_the_verdict(composer, corpus):
    documents, chunks = corpus
    after = _chunk(chunks, "申请异地就医备案后怎么就医", "出示有效凭证")
    notes = _chunk(chunks, "普通人怎么交医保缴费", "跨省就医需提前备案")
    hits = [Hit(after, 1, 1.0), Hit(notes, 2, 0.9)]
    body = composer.compose(understand("异地就医需要提前备案吗"), hits, documents).body
    assert "跨省就医需提前备案" in body.split("另外")[0]  # the verdict before anything added
    flow = composer.compose(understand("异地就医备案后怎么看病"), hits, documents).body
    assert flow.startswith("异地就医备案后的就医流程")  # not a yes/no question: best unit stays


def test_a_singled_out_item_alone_under_its_heading_stands_alone(composer):
    text = (
        "一、缴费渠道\n\n  1. 线上缴费\n\n    • 国家医保服务平台APP注册登录后缴费。\n\n"
        "    • 微信搜索医保缴费完成支付。\n\n  2. 银行缴费\n\n"
        "    • 通过建设银行柜台办理,需提供农合卡序列号。\n\n"
        "  3. 线下缴费\n\n    • 携带身份证到社保局窗口缴费。\n"
    )
    doc = Document("d1", "mine.txt", "file", "居民医保怎么缴费", text, end=len(text))
    others = [  # enough documents for 建设银行 to be an uncommon word
        Document(f"f{i}", f"f{i}.txt", "file", f"其他{i}", f"医保码激活说明第{i}篇。", end=12)
        for i in range(40)
    ]
    documents = {"d1": doc, **{d.doc_id: d for d in others}}
    hits = [Hit(c, i, 1.0 / i) for i, c in enumerate(chunk_documents([doc]), start=1)]
    result = composer.compose(understand("用建行交居民医保要填什么号"), hits, documents)
    lines = body_without_date_note(result).strip().splitlines()
    assert lines == ["通过建设银行柜台办理,需提供农合卡序列号。[1]"]  # its heading not left over


@pytest.mark.parametrize(
    ("question", "body", "unstated"),
    [
        # an age asked: a line without one does not answer, a 周岁 figure does
        ("孩子几岁以后才能用自己的手机激活医保码", "参保人需本人到场完成人脸识别。", "年龄"),
        ("孩子几岁以后才能用自己的手机激活医保码", "年满16周岁可自行激活。", None),
        # a number of years asked: months or a calendar year do not answer, 30年 does
        ("灵活就业断了好几年,最多能往前补几年", "补缴后需等待2个月才能恢复待遇。", "年限"),
        ("灵活就业断了好几年,最多能往前补几年", "2025年起可补缴。", "年限"),
        ("灵活就业断了好几年,最多能往前补几年", "最多可补缴3年。", None),
        ("职工医保交够多少年退休后不用再交", "通常男性30年,女性25年。", None),
        # 好几年 is no question; how-to questions are not checked
        ("医保卡办了好几年没用过怎么激活", "携带身份证到窗口办理。", None),
        # a yes/no question asking a number of years in one clause needs one too
        ("医保卡有效期一般是几年啊,到期要换吗", "登录官网即可查看医保卡有效期。", "年限"),
        ("医保卡有效期一般是几年啊,到期要换吗", "医保卡有效期一般为10年。", None),
        # how long a step takes: a waiting period in months does not answer, working days do
        ("异地就医备案提交了,一般几天能批下来", "缴费后通常1-3个月可正常使用。", "时间"),
        ("手机上换参保地提交以后多久生效", "线上办理:一般即时生效或1-3个工作日内完成。", None),
        ("单位交完社保以后,个人账户过几天能到账", "一般2至3天到账。", None),
        # a deadline (多久之内办好) is no processing time: a month answers it
        ("宝宝出生后医保多久之内办好", "出生后3个月内办理参保。", None),
    ],
)
def test_an_asked_age_number_of_years_or_processing_time_needs_one(question, body, unstated):
    assert unstated_figure(understand(question), body) == unstated


def test_a_listed_place_is_answered_from_its_own_block_or_not_at_all(composer, corpus):
    documents, chunks = corpus
    listing = _chunk(chunks, "缴费标准是什么", "2024年9月1日")  # item 1, about no place
    tianjin = composer.compose(
        understand("天津居民医保集中交费从几号开始"), [Hit(listing, 1, 1.0)], documents
    )
    assert "2024年10月8日" in tianjin.body and "2024年9月1日" not in tianjin.body
    assert not tianjin.unstated
    shanghai = composer.compose(
        understand("上海城乡居民医保每年从几号开始交,几号截止"), [Hit(listing, 1, 1.0)], documents
    )
    assert "2024年9月1日" not in shanghai.body  # item 1's dates are not 上海's
    assert shanghai.unstated == "时间"  # the service refuses: 上海's block states no date


def test_a_hotline_asked_leads_with_the_number_and_no_other_places(composer, corpus):
    documents, chunks = corpus
    missed = _chunk(chunks, "错过了城乡居民医疗保险的缴费期限", "等待期")
    result = composer.compose(
        understand("陕西补缴居民医保打哪个电话问"), [Hit(missed, 1, 1.0)], documents
    )
    assert "0913-6731811" in result.body.splitlines()[0]  # the number leads
    assert "12393" not in result.body  # 扬州's hotline answers no 陕西 question
    assert not result.unstated


def test_a_labelled_item_leads_under_its_label(composer, corpus):
    documents, chunks = corpus
    tianjin = _chunk(chunks, "缴费标准是什么", "高档:1030元/年")
    result = composer.compose(
        understand("天津居民医保交高档要多少钱"), [Hit(tianjin, 1, 1.0)], documents
    )
    lead = result.body.splitlines()[0]
    assert lead.startswith("个人缴费标准:高档1030元/年。")  # not a bare 高档:1030元/年
    assert "。。" not in result.body


def test_an_amount_for_one_insurance_item_leads_with_its_line(composer, corpus):
    documents, chunks = corpus
    dezhou = _chunk(chunks, "山东德州社保基数15500每个月扣多少", "每月310元")
    medical = composer.compose(
        understand("德州社保基数15500,医疗保险个人扣多少"), [Hit(dezhou, 1, 1.0)], documents
    )
    assert "310元" in medical.body.splitlines()[0]  # the 医疗保险 line, not the 1705元 total
    total = composer.compose(
        understand("德州社保基数15500,个人每个月一共扣多少"), [Hit(dezhou, 1, 1.0)], documents
    )
    assert "1705元" in total.body.splitlines()[0]


def test_a_make_up_deadline_is_not_the_enrolment_period_nor_another_places(composer, corpus):
    documents, chunks = corpus
    listing = _chunk(chunks, "缴费标准是什么", "2024年10月8日")
    late = _chunk(chunks, "错过了城乡居民医疗保险的缴费期限", "8月31日")
    tianjin = composer.compose(
        understand("天津居民医保错过集中缴费了,补缴最晚到几号"),
        [Hit(listing, 1, 1.0), Hit(late, 2, 0.9)],
        documents,
    )
    assert tianjin.unstated == "时间"  # 天津's 集中 dates, 陕西's and 扬州's 补缴 dates
    yangzhou = composer.compose(
        understand("扬州的居民医保错过了,最晚啥时候之前能补交"), [Hit(late, 1, 1.0)], documents
    )
    assert "2025年8月31日" in yangzhou.body and not yangzhou.unstated
    # by when: the deadline leads, not the 3-month waiting period of the same unit
    assert (
        "8月31日" in yangzhou.body.splitlines()[0] and "等待" not in yangzhou.body.splitlines()[0]
    )
