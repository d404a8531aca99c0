"""The embeddable 医保问答 widget in a real (headless Debian) Chromium, against the real app.

The server is ``api.app.create_app`` over a fake-embedder index of a copy of the corpus plus
one hostile document, served by uvicorn on a free loopback port (``tests.live_server.LiveServer``).
"""

from __future__ import annotations

import json
import re
import shutil

import httpx
import pytest

from tests.api.support import CHROMIUM
from tests.conftest import CORPUS, rules_only_service
from tests.live_server import LiveServer, free_port

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"
)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs `pip install playwright`")

DISCLAIMER = "提示:本内容不能代替面诊,如有不适请尽快就医。"
ADMIN_KEY = "widget-test-admin-key"
XSS = "<img src=x onerror=alert(1)>"
XSS_DOC = f"""医保电子凭证申领测试{XSS}怎么办理

医保电子凭证申领测试{XSS}的办理方法:携带身份证到医保经办窗口办理电子凭证申领测试业务。
医保电子凭证申领测试完成后,可以在国家医保服务平台查看申领结果。
"""
QUESTION = "家庭共济怎么绑定家人"


# ---- fixtures ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from api.app import create_app

    tmp = tmp_path_factory.mktemp("widget")
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "900_xss_test.txt").write_text(XSS_DOC, encoding="utf-8")
    service = rules_only_service(
        tmp, corpus_dir=corpus, admin_key=ADMIN_KEY, rate_limit_per_minute=0
    )
    settings = service.settings
    with LiveServer(create_app(settings, service)) as live:
        live.settings, live.service = settings, service
        yield live


def _page(browser, **context_options):
    context = browser.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    return context, page


@pytest.fixture
def page(browser):
    context, page = _page(browser, viewport={"width": 1280, "height": 800})
    yield page
    context.close()


@pytest.fixture
def mobile(browser):
    context, page = _page(
        browser, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    yield page
    context.close()


# ---- helpers ----------------------------------------------------------------------------
def open_widget(page, server):
    page.goto(server.url + "/")
    page.get_by_role("button", name="打开医保问答").click()
    expect = sync_api.expect
    expect(page.get_by_role("dialog", name="医保问答")).to_be_visible()
    return page


def ask(page, question):
    box = page.get_by_role("textbox", name="输入您的问题")
    box.fill(question)
    box.press("Enter")


def wait_answer(page, index=0):
    """The ``index``-th bot message once finished (its feedback row has appeared)."""
    message = page.locator(".msg.bot").nth(index)
    sync_api.expect(message.locator(".feedback")).to_be_visible()
    return message


def stream_bodies(page):
    bodies = []
    page.on(
        "request",
        lambda request: (
            bodies.append(request.post_data_json)
            if request.url.endswith("/api/ask/stream")
            else None
        ),
    )
    return bodies


def shadow_count(page, selector):
    return page.evaluate(
        "sel => document.querySelector('yibao-widget').shadowRoot.querySelectorAll(sel).length",
        selector,
    )


def save(page, tmp_path, name, copy_to=None):
    path = tmp_path / name
    page.screenshot(path=str(path))
    if copy_to:
        shutil.copyfile(path, copy_to)
    return path


# ---- tests ------------------------------------------------------------------------------
def test_demo_page_embeds_with_one_script_tag(server):
    html = httpx.get(server.url + "/").text
    assert '<script src="/widget.js" data-api=""></script>' in html
    js = httpx.get(server.url + "/widget.js")
    assert js.status_code == 200 and "attachShadow" in js.text
    assert "innerHTML" not in js.text and "insertAdjacentHTML" not in js.text


def test_ask_cite_feedback_clear_and_history(page, server, tmp_path):
    expect = sync_api.expect
    bodies = stream_bodies(page)
    open_widget(page, server)
    chips = page.locator(".chip")
    expect(chips.first).to_be_visible()
    assert chips.count() >= 1

    ask(page, QUESTION)
    expect(page.locator(".msg.user").first).to_have_text(QUESTION)
    answer = wait_answer(page)
    expect(answer.locator(".body")).to_contain_text("家庭共济")
    # The disclaimer is its own line, visible exactly once per answer.
    expect(answer.locator(".disclaimer")).to_have_text(DISCLAIMER)
    assert DISCLAIMER not in answer.locator(".body").inner_text()
    assert answer.inner_text().count(DISCLAIMER) == 1
    assert bodies[0]["question"] == QUESTION and bodies[0]["history"] == []
    save(page, tmp_path, "widget.png", "/tmp/widget-desktop.png")

    # [1] opens the source with its title, date line and the highlighted quote.
    with page.expect_response("**/api/documents/**") as info:
        answer.get_by_role("button", name="查看来源 1").first.click()
    doc = info.value.json()
    source = page.get_by_role("region", name="来源原文")
    expect(source).to_be_visible()
    expect(source.locator("h3")).to_have_text(doc["title"])
    expect(source.locator(".meta")).to_contain_text("日期:")
    expect(source.locator("mark")).to_have_text(doc["highlight"]["text"])
    assert doc["highlight"]["text"].strip()
    save(page, tmp_path, "widget-source.png")
    page.keyboard.press("Escape")  # Esc closes the source view first …
    expect(source).to_be_hidden()
    expect(page.get_by_role("dialog", name="医保问答")).to_be_visible()

    # Thumbs up → 谢谢反馈, and the rating is in the admin CSV export.
    with page.expect_request("**/api/feedback") as sent:
        answer.get_by_role("button", name="有帮助", exact=True).click()
    answer_id = sent.value.post_data_json["answer_id"]
    assert sent.value.post_data_json["rating"] == "up"
    expect(answer.get_by_text("谢谢反馈")).to_be_visible()
    export = httpx.get(
        server.url + "/api/feedback/export", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    )
    assert export.status_code == 200, export.text
    row = next(line for line in export.text.splitlines() if answer_id in line)
    assert "up" in row
    assert httpx.get(server.url + "/api/feedback/export").status_code in (401, 403)

    # A second question in the same conversation carries the first turn as history.
    ask(page, "需要带什么材料")
    wait_answer(page, 1)
    history = bodies[1]["history"]
    assert [turn["role"] for turn in history] == ["user", "assistant"]
    assert history[0]["content"] == QUESTION and "家庭共济" in history[1]["content"]

    # 清空对话 forgets it: the next question has no history, the follow-up has one turn.
    page.get_by_role("button", name="清空对话").click()
    expect(page.locator(".msg")).to_have_count(0)
    expect(page.locator(".chip").first).to_be_visible()
    ask(page, "南宁城乡居民医保怎么交")
    wait_answer(page)
    assert bodies[2]["history"] == []
    ask(page, "合肥呢")
    wait_answer(page, 1)
    assert [turn["content"] for turn in bodies[3]["history"]][0] == "南宁城乡居民医保怎么交"
    assert len(bodies[3]["history"]) == 2
    assert page.dialogs == []


def test_cross_origin_embed_with_api_key(page, server):
    """A page on another origin embeds the script with no data-api: the API is the script's
    origin (CORS allowed by the server), and data-key is sent as a Bearer key."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from api.app import create_app

    host_port = free_port()
    third_party = f"http://127.0.0.1:{host_port}"
    guarded = server.settings.model_copy(
        update={"cors_origins": third_party, "api_keys": "widget-key"}
    )
    with LiveServer(create_app(guarded, server.service)) as api:
        html = (
            "<!doctype html><meta charset=utf-8><title>第三方页面</title><p>第三方页面</p>"
            f'<script src="{api.url}/widget.js" data-key="widget-key"></script>'
        )
        shop = Starlette(routes=[Route("/", lambda request: HTMLResponse(html))])
        with LiveServer(shop, port=host_port):
            auth = []
            page.on(
                "request",
                lambda r: auth.append(r.headers.get("authorization")) if "/api/" in r.url else None,
            )
            page.goto(third_party + "/")
            page.get_by_role("button", name="打开医保问答").click()
            sync_api.expect(page.locator(".chip").first).to_be_visible()
            ask(page, QUESTION)
            answer = wait_answer(page)
            sync_api.expect(answer.locator(".disclaimer")).to_have_text(DISCLAIMER)
            assert auth and set(auth) == {"Bearer widget-key"}
            assert page.dialogs == []


def test_keyboard_only(page, server):
    expect = sync_api.expect
    page.goto(server.url + "/")
    launcher = page.get_by_role("button", name="打开医保问答")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.focus()
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="输入您的问题")
    expect(box).to_be_focused()
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    wait_answer(page)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="医保问答")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


def test_mobile_360_panel_fits_screen(mobile, server, tmp_path):
    expect = sync_api.expect
    open_widget(mobile, server)
    panel = mobile.get_by_role("dialog", name="医保问答")
    expect(mobile.locator(".chip").first).to_be_visible()
    ask(mobile, QUESTION)
    wait_answer(mobile)
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= 360 and box["y"] + box["height"] <= 740
    assert box["width"] >= 355 and box["height"] >= 730  # full screen on a phone
    overflow = mobile.evaluate(
        "() => { const root = document.querySelector('yibao-widget').shadowRoot;"
        " const log = root.querySelector('.log'); return log.scrollWidth - log.clientWidth; }"
    )
    assert overflow <= 1
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 360
    send = mobile.get_by_role("button", name="发送问题").bounding_box()
    assert send["x"] + send["width"] <= 360
    save(mobile, tmp_path, "widget-360.png", "/tmp/widget-mobile.png")


def test_xss_in_corpus_and_question_is_shown_as_text(page, server, tmp_path):
    expect = sync_api.expect
    open_widget(page, server)
    question = f"医保电子凭证申领测试怎么办理{XSS}"
    ask(page, question)
    answer = wait_answer(page)
    expect(page.locator(".msg.user")).to_have_text(question)
    expect(answer.locator(".body")).to_contain_text(XSS)
    with page.expect_response("**/api/documents/**"):
        answer.get_by_role("button", name="查看来源 1").first.click()
    source = page.get_by_role("region", name="来源原文")
    expect(source.locator("h3")).to_contain_text(XSS)
    expect(source.locator(".text")).to_contain_text(XSS)
    save(page, tmp_path, "widget-xss.png")
    page.wait_for_timeout(300)  # give a would-be onerror handler time to fire
    assert page.dialogs == []
    assert shadow_count(page, "img") == 0
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_host_page_css_does_not_reach_the_widget(page, server):
    open_widget(page, server)
    # The widget's CSS does not leak out: the host page keeps its own fonts and colours.
    assert "Georgia" in page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(240, 244, 248)"
    # … and hostile host CSS does not reach inside the widget.
    page.add_style_tag(
        content="* { color: rgb(0, 128, 0) !important; font-family: serif !important; }"
        " button { background: rgb(255, 0, 0) !important; display: none !important; }"
        " div, textarea { display: none !important; }"
    )
    send = page.get_by_role("button", name="发送问题")
    sync_api.expect(send).to_be_visible()
    sync_api.expect(page.get_by_role("textbox", name="输入您的问题")).to_be_visible()
    style = send.evaluate(
        "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color]; }"
    )
    assert style == ["rgb(11, 107, 203)", "rgb(255, 255, 255)"]


def test_rate_limit_shows_retry_after(page, server):
    page.route(
        "**/api/ask/stream",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "7", "Content-Type": "application/json"},
            body=json.dumps({"detail": "请求太频繁 / Too many requests"}),
        ),
    )
    open_widget(page, server)
    ask(page, QUESTION)
    alert = page.get_by_role("alert")
    sync_api.expect(alert).to_contain_text("请求太频繁,请稍后再试")
    sync_api.expect(alert).to_contain_text("7 秒")
    assert page.locator(".msg.bot").count() == 0


def test_real_rate_limit_and_loading_messages(page, server):
    """The real middleware's 429 (Retry-After) and the 503 of a service still loading."""
    import threading

    from api.app import create_app

    expect = sync_api.expect
    limited = server.settings.model_copy(update={"rate_limit_per_minute": 2})
    with LiveServer(create_app(limited, server.service)) as live:
        open_widget(page, live)  # /api/suggestions is request 1
        ask(page, QUESTION)  # request 2
        wait_answer(page)
        ask(page, QUESTION)  # request 3: limited
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("请求太频繁,请稍后再试")
        assert re.search(r"请 \d+ 秒后重试", alert.inner_text())

    loaded = threading.Event()

    def slow_loader(_settings):
        loaded.wait(30)
        return server.service

    loading = server.settings.model_copy(update={"feedback_db": server.settings.data_dir / "f2.db"})
    with LiveServer(create_app(loading, loader=slow_loader)) as live:
        try:
            page.goto(live.url + "/")
            page.get_by_role("button", name="打开医保问答").click()
            ask(page, QUESTION)
            expect(page.get_by_role("alert")).to_contain_text("服务正在启动或暂时繁忙")
            loaded.set()
            for _ in range(100):  # wait until the service is ready
                if httpx.get(live.url + "/readyz").status_code == 200:
                    break
                page.wait_for_timeout(50)
            ask(page, QUESTION)
            expect(wait_answer(page).locator(".disclaimer")).to_have_text(DISCLAIMER)
        finally:
            loaded.set()


def test_503_and_stream_error_event(page, server):
    expect = sync_api.expect
    page.route(
        "**/api/ask/stream",
        lambda route: route.fulfill(
            status=503,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"detail": "正在加载 / Loading"}),
        ),
    )
    open_widget(page, server)
    ask(page, QUESTION)
    expect(page.get_by_role("alert")).to_contain_text("服务正在启动或暂时繁忙")
    page.unroute("**/api/ask/stream")
    page.route(
        "**/api/ask/stream",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/event-stream"},
            body="event: delta\ndata: 部分\n\nevent: error\ndata: 抱歉,回答时出错了\n\n",
        ),
    )
    ask(page, QUESTION)
    expect(page.get_by_role("alert").nth(1)).to_have_text("抱歉,回答时出错了")


def test_offline_messages(page, server):
    expect = sync_api.expect
    open_widget(page, server)
    page.route("**/api/ask/stream", lambda route: route.abort("internetdisconnected"))
    page.route("**/api/ask", lambda route: route.abort("internetdisconnected"))
    ask(page, QUESTION)
    expect(page.get_by_role("alert").first).to_contain_text("网络连接已断开")
    page.unroute("**/api/ask/stream")
    page.unroute("**/api/ask")
    page.context.set_offline(True)
    ask(page, "医保从来没用过怎么激活")
    expect(page.get_by_role("alert").last).to_contain_text("网络连接已断开")
    page.context.set_offline(False)


def test_stream_failure_falls_back_to_plain_ask(page, server):
    page.route("**/api/ask/stream", lambda route: route.abort("connectionreset"))
    open_widget(page, server)
    with page.expect_response("**/api/ask") as info:
        ask(page, QUESTION)
    assert info.value.status == 200
    answer = wait_answer(page)
    sync_api.expect(answer.locator(".body")).to_contain_text("家庭共济")
    sync_api.expect(answer.locator(".disclaimer")).to_have_text(DISCLAIMER)
    assert answer.inner_text().count(DISCLAIMER) == 1
    answer.get_by_role("button", name="查看来源 1").first.click()
    sync_api.expect(page.get_by_role("region", name="来源原文").locator("mark")).to_be_visible()
