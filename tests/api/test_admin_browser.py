"""The admin page (/admin) in a real headless Chromium, against the real app and the widget.

An operator enters the key, uploads a page about a made-up city (青稞市) that nothing else
answers, waits for the reindex, sees the widget answer and cite it, reviews the feedback,
deletes it and sees the widget refuse. Same setup as ``test_widget_browser.py``.
"""

from __future__ import annotations

import httpx
import pytest

from tests.api.routes.admin.support import QINGKE_MD, QINGKE_QUESTION
from tests.api.support import CHROMIUM
from tests.api.test_widget_browser import DISCLAIMER, XSS
from tests.conftest import rules_only_service
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"
)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs `pip install playwright`")

ADMIN_KEY = "admin-page-test-key"
HOSTILE_MD = f"# 管理页面安全测试{XSS}\n\n这是管理页面安全测试的说明{XSS},应当原样显示为文字。\n"
DELETE_QINGKE = f"删除《{QINGKE_QUESTION}》"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from api.app import create_app

    service = rules_only_service(
        tmp_path_factory.mktemp("admin-page"), admin_key=ADMIN_KEY, rate_limit_per_minute=0
    )
    with LiveServer(create_app(service.settings, service)) as live:
        live.settings = service.settings
        yield live


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    context.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(dialog):  # the delete confirmation is accepted; anything else is a bug
        context.dialogs.append((dialog.type, dialog.message))
        dialog.accept() if dialog.type == "confirm" else dialog.dismiss()

    context.on("page", lambda page: page.on("dialog", on_dialog))
    yield context
    context.close()


def ask_widget(page, server, question):
    """Ask the widget on ``/``; the finished bot message."""
    page.goto(server.url + "/")
    page.get_by_role("button", name="打开医保问答").click()
    box = page.get_by_role("textbox", name="输入您的问题")
    box.fill(question)
    box.press("Enter")
    message = page.locator(".msg.bot").first
    sync_api.expect(message.locator(".feedback")).to_be_visible()
    return message


def wait_reindexed(admin):
    """Until the status says the index was updated (not busy)."""
    sync_api.expect(admin.get_by_role("status")).to_contain_text("索引已更新")


def test_upload_answer_review_delete_refuse(context, server, tmp_path):
    expect = sync_api.expect
    admin = context.new_page()
    admin.goto(server.url + "/admin")
    admin.get_by_role("textbox", name="管理员密钥").fill("wrong-key")
    admin.get_by_role("button", name="进入管理").click()
    expect(admin.get_by_role("alert")).to_contain_text("管理员密钥无效")
    admin.get_by_role("textbox", name="管理员密钥").fill(ADMIN_KEY)
    admin.get_by_role("button", name="进入管理").click()
    expect(admin.get_by_role("status")).to_contain_text("索引就绪")
    expect(admin.locator("#upload-hint")).to_contain_text(".md")

    # Upload: one good page, one hostile page (shown as text), one refused file.
    admin.get_by_label("选择要上传的文件").set_input_files(
        [
            {"name": "青稞市.md", "mimeType": "text/markdown", "buffer": QINGKE_MD},
            {"name": "安全测试.md", "mimeType": "text/markdown", "buffer": HOSTILE_MD.encode()},
            {"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90"},
        ]
    )
    admin.get_by_role("button", name="上传", exact=True).click()
    expect(admin.locator("#progress-text")).to_have_text("上传完成")
    assert admin.locator("#progress").evaluate("el => el.value") == 100
    results = admin.get_by_role("list", name="上传结果")
    expect(results).to_contain_text("✓ 青稞市.md")
    expect(results).to_contain_text("✗ tool.exe:不支持的文件类型 .exe")
    wait_reindexed(admin)
    delete = admin.get_by_role("button", name=DELETE_QINGKE)
    expect(delete).to_be_visible()
    expect(admin.locator("#docs-body")).to_contain_text(f"管理页面安全测试{XSS}")
    admin.screenshot(path=str(tmp_path / "admin.png"), full_page=True)

    # Retrieval test: the page's chunk is found, with its signal scores.
    admin.get_by_label("检索问题").fill(QINGKE_QUESTION)
    admin.get_by_role("button", name="检索", exact=True).click()
    hits = admin.get_by_role("list", name="检索结果")
    expect(hits).to_contain_text(QINGKE_QUESTION)
    expect(hits.get_by_label("各信号得分").first).to_contain_text("bm25")

    # The widget answers from the upload and cites it; the user marks it 没用.
    widget = context.new_page()
    answer = ask_widget(widget, server, QINGKE_QUESTION)
    expect(answer.locator(".body")).to_contain_text("1357")
    expect(answer.locator(".disclaimer")).to_have_text(DISCLAIMER)
    answer.get_by_role("button", name="查看来源 1").first.click()
    expect(widget.get_by_role("region", name="来源原文").locator("h3")).to_have_text(
        QINGKE_QUESTION
    )
    widget.keyboard.press("Escape")  # back from the source to the conversation
    answer.get_by_role("button", name="没有帮助").click()
    expect(answer.get_by_text("谢谢反馈")).to_be_visible()

    # The review shows it, with its citation; the key survived the reload (sessionStorage).
    admin.reload()
    expect(admin.get_by_role("button", name="退出")).to_be_visible()
    review = admin.get_by_role("list", name="反馈列表(没用的在前)")
    expect(review.locator("li").first).to_contain_text("没用")
    expect(review.locator("li").first).to_contain_text(QINGKE_QUESTION)
    expect(review.get_by_role("list", name="回答的引用").first).to_contain_text(
        f"[1] {QINGKE_QUESTION}(青稞市.md)"
    )

    # Delete (confirmed), wait for the reindex, and the widget refuses.
    admin.get_by_role("button", name=DELETE_QINGKE).click()
    expect(admin.locator("#docs-message")).to_contain_text("已删除")
    expect(admin.get_by_role("button", name=DELETE_QINGKE)).to_have_count(0)
    wait_reindexed(admin)
    refused = ask_widget(widget, server, QINGKE_QUESTION)
    expect(refused).to_have_class("msg bot refused")
    expect(refused.locator(".body")).to_contain_text("没有找到")

    # Every value was text: no element, no script ran, only the one confirmation.
    assert admin.evaluate("document.querySelectorAll('img').length") == 0
    assert admin.evaluate("typeof window.__xss") == "undefined"
    assert [kind for kind, _ in context.dialogs] == ["confirm"]
    assert QINGKE_QUESTION in context.dialogs[0][1]
    uploads = server.settings.data_dir / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["安全测试.md"]


def test_admin_page_is_served_and_never_builds_html_from_data(server):
    html = httpx.get(server.url + "/admin")
    assert html.status_code == 200 and '<script src="/admin.js"></script>' in html.text
    script = httpx.get(server.url + "/admin.js")
    assert script.status_code == 200 and "textContent" in script.text
    assert "innerHTML" not in script.text and "insertAdjacentHTML" not in script.text
    assert httpx.get(server.url + "/api/admin/documents").status_code == 403
