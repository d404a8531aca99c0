/*!
 * 医保问答 embeddable chat widget (yibao-qa). No build step, no dependencies.
 *
 * Embed with one tag:
 *   <script src="https://HOST/widget.js" data-api="https://HOST"></script>
 * data-api missing  -> the API is on the script's own origin;
 * data-api="" or a relative path -> resolved against the host page (same origin).
 * data-key (optional) -> sent as "Authorization: Bearer <key>" when the server requires keys.
 * A cross-origin host page must be listed in the server's YIBAO_CORS_ORIGINS.
 *
 * Everything lives in a Shadow DOM root, so the widget's CSS never touches the host page
 * and the host page's CSS does not reach inside. SECURITY: every piece of corpus, answer
 * and user text is put in the DOM with textContent/createElement only - never as HTML.
 */
(function () {
  "use strict";

  var DISCLAIMER = "提示:本内容不能代替面诊,如有不适请尽快就医。";
  var MAX_HISTORY = 12; // previous messages sent as context (6 turns)
  var MAX_CHARS = 500;
  var MAX_TURN_CHARS = 8000; // the server's limit per history message

  var script = document.currentScript;
  if (window.__yibaoWidgetLoaded) return;
  window.__yibaoWidgetLoaded = true;

  function apiBase() {
    var attr = script ? script.getAttribute("data-api") : null;
    var base;
    if (attr === null) {
      base = script && script.src ? new URL(script.src, document.baseURI).origin : "";
    } else {
      attr = attr.trim();
      base = attr ? new URL(attr, document.baseURI).href : "";
    }
    return base.replace(/\/+$/, "");
  }
  var API = apiBase();
  // Optional data-key: sent as "Authorization: Bearer" when the server requires API keys.
  var KEY = script ? (script.getAttribute("data-key") || "").trim() : "";

  function headers(extra) {
    var out = { Accept: "application/json" };
    Object.keys(extra || {}).forEach(function (k) {
      out[k] = extra[k];
    });
    if (KEY) out.Authorization = "Bearer " + KEY;
    return out;
  }

  var CSS = [
    ":host{all:initial !important;}",
    "*,*::before,*::after{box-sizing:border-box;}",
    ".root{font-family:-apple-system,BlinkMacSystemFont,'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',sans-serif;font-size:15px;line-height:1.6;color:#1f2933;}",
    "button{font:inherit;cursor:pointer;}",
    ".icon{width:18px;height:18px;flex:none;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;}",
    "button:focus-visible,textarea:focus-visible{outline:3px solid #f59e0b;outline-offset:2px;}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:6px;",
    "  padding:12px 18px;border:0;border-radius:999px;background:#0b6bcb;color:#fff;font-size:16px;font-weight:600;",
    "  box-shadow:0 6px 20px rgba(11,107,203,.35);}",
    ".launcher:hover{background:#0958a8;}",
    ".launcher[hidden]{display:none;}",
    ".panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:400px;height:min(640px,calc(100vh - 40px));",
    "  display:flex;flex-direction:column;background:#fff;border-radius:14px;overflow:hidden;",
    "  box-shadow:0 12px 40px rgba(15,23,42,.28);border:1px solid #d9e2ec;}",
    ".panel[hidden]{display:none;}",
    "@media (max-width:480px),(max-height:520px){.panel{left:0;right:0;top:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0;border:0;}",
    "  .launcher{right:12px;bottom:12px;}}",
    ".head{display:flex;align-items:center;gap:8px;padding:10px 12px;background:#0b6bcb;color:#fff;flex:none;}",
    ".head h2{margin:0;font-size:17px;font-weight:600;flex:1;}",
    ".head button{background:transparent;border:1px solid rgba(255,255,255,.6);color:#fff;border-radius:8px;padding:3px 10px;font-size:14px;}",
    ".head button:hover{background:rgba(255,255,255,.15);}",
    ".head .close{font-size:20px;line-height:1;padding:2px 9px;}",
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f5f7fa;display:flex;flex-direction:column;gap:10px;}",
    ".welcome{background:#fff;border:1px solid #e4e7eb;border-radius:12px;padding:10px 12px;}",
    ".welcome p{margin:0 0 8px;}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;}",
    ".chip{border:1px solid #9fc5ee;background:#eef6ff;color:#0b5aa8;border-radius:999px;padding:4px 12px;font-size:14px;text-align:left;}",
    ".chip:hover{background:#dcecff;}",
    ".msg{max-width:92%;padding:9px 12px;border-radius:12px;white-space:pre-wrap;word-break:break-word;overflow-wrap:anywhere;}",
    ".user{align-self:flex-end;background:#0b6bcb;color:#fff;border-bottom-right-radius:4px;}",
    ".bot{align-self:flex-start;background:#fff;border:1px solid #e4e7eb;border-bottom-left-radius:4px;}",
    ".bot.refused{border-color:#f0b429;}",
    ".body{white-space:pre-wrap;}",
    ".thinking{color:#7b8794;}",
    ".cite{display:inline-block;border:1px solid #9fc5ee;background:#eef6ff;color:#0b5aa8;border-radius:6px;",
    "  padding:0 5px;margin:0 1px;font-size:12px;line-height:18px;vertical-align:1px;}",
    ".cite:disabled{opacity:.6;cursor:default;}",
    ".cite:hover:not(:disabled){background:#dcecff;}",
    ".sources{margin-top:6px;padding-top:6px;border-top:1px dashed #d9e2ec;font-size:13px;color:#52606d;white-space:normal;}",
    ".sources ol{margin:2px 0 0;padding-left:0;list-style:none;}",
    ".sources li button{background:none;border:0;padding:1px 0;color:#0b5aa8;text-align:left;font-size:13px;}",
    ".sources li button:hover{text-decoration:underline;}",
    ".disclaimer{margin-top:8px;padding:6px 8px;background:#fff8e1;border-left:3px solid #f0b429;border-radius:4px;",
    "  font-size:13px;color:#7c5e10;white-space:normal;}",
    ".feedback{margin-top:6px;display:flex;align-items:center;gap:6px;font-size:13px;color:#52606d;white-space:normal;}",
    ".feedback button{display:inline-flex;align-items:center;gap:3px;border:1px solid #cbd2d9;background:#fff;color:#52606d;border-radius:8px;padding:2px 8px;font-size:13px;}",
    ".feedback .icon{width:15px;height:15px;}",
    ".feedback button[aria-pressed=true]{background:#e3f8ff;border-color:#0b6bcb;}",
    ".feedback button:disabled{cursor:default;}",
    ".error{align-self:stretch;background:#ffe3e3;color:#9b1c1c;border:1px solid #f8b4b4;border-radius:10px;padding:8px 12px;}",
    ".form{flex:none;display:flex;gap:8px;padding:10px 12px;border-top:1px solid #e4e7eb;background:#fff;}",
    ".form textarea{flex:1;resize:none;height:44px;max-height:120px;padding:10px;border:1px solid #cbd2d9;border-radius:10px;font:inherit;color:inherit;}",
    ".form .send{flex:none;border:0;border-radius:10px;background:#0b6bcb;color:#fff;padding:0 16px;font-weight:600;}",
    ".form .send:disabled{background:#9aa5b1;cursor:default;}",
    ".source{position:absolute;inset:0;background:#fff;display:flex;flex-direction:column;z-index:2;}",
    ".source[hidden]{display:none;}",
    ".source .shead{display:flex;align-items:center;gap:8px;padding:10px 12px;border-bottom:1px solid #e4e7eb;flex:none;}",
    ".source .shead button{border:1px solid #cbd2d9;background:#fff;border-radius:8px;padding:3px 10px;font-size:14px;}",
    ".source .sbody{flex:1;overflow-y:auto;padding:12px 14px;}",
    ".source h3{margin:0 0 4px;font-size:16px;line-height:1.5;word-break:break-word;}",
    ".source .meta{font-size:13px;color:#616e7c;margin-bottom:10px;}",
    ".source .text{white-space:pre-wrap;word-break:break-word;font-size:14px;}",
    ".source mark{background:#fff3a3;color:inherit;padding:1px 0;border-radius:2px;box-shadow:0 0 0 2px #fff3a3;}",
    ".source .note{color:#9b1c1c;font-size:13px;margin-bottom:8px;}",
    ".wrap{position:relative;flex:1;display:flex;flex-direction:column;min-height:0;}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;}",
  ].join("\n");

  // ---- tiny DOM helpers (text only, never HTML) -------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = value;
        else if (key === "class") node.className = value;
        else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 5h16v11H9l-5 4z",
    up: "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3",
    down: "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3zm7-13h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17",
  };
  /** A small stroked SVG icon from the fixed ICONS table (decorative: aria-hidden). */
  function icon(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // ---- build the widget ------------------------------------------------------------
  var host = document.createElement("yibao-widget");
  host.setAttribute("data-yibao-widget", "");
  var shadow = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent = CSS;
  shadow.appendChild(style);

  var root = el("div", { class: "root" });
  shadow.appendChild(root);

  var launcher = el("button", {
    class: "launcher",
    type: "button",
    "aria-label": "打开医保问答",
    "aria-expanded": "false",
    "aria-controls": "yibao-panel",
  }, [icon("chat"), el("span", { text: "医保问答" })]);
  var clearBtn = el("button", { type: "button", class: "clear", "aria-label": "清空对话", text: "清空对话" });
  var closeBtn = el("button", { type: "button", class: "close", "aria-label": "关闭医保问答", text: "×" });
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "对话内容" });
  var input = el("textarea", {
    rows: "1",
    maxlength: String(MAX_CHARS),
    placeholder: "请输入您的医保问题,按 Enter 发送",
    "aria-label": "输入您的问题",
  });
  var sendBtn = el("button", { type: "submit", class: "send", "aria-label": "发送问题", text: "发送" });
  var form = el("form", { class: "form", "aria-label": "提问" }, [input, sendBtn]);

  var sourceBack = el("button", { type: "button", "aria-label": "返回对话", text: "‹ 返回对话" });
  var sourceBody = el("div", { class: "sbody", tabindex: "-1" });
  var sourceView = el(
    "section",
    { class: "source", hidden: true, role: "region", "aria-label": "来源原文" },
    [el("div", { class: "shead" }, [sourceBack, el("strong", { text: "来源原文" })]), sourceBody]
  );

  var panel = el(
    "div",
    { class: "panel", id: "yibao-panel", role: "dialog", "aria-label": "医保问答", "aria-modal": "false", hidden: true },
    [
      el("div", { class: "head" }, [el("h2", { text: "医保问答" }), clearBtn, closeBtn]),
      el("div", { class: "wrap" }, [log, sourceView]),
      form,
    ]
  );
  root.appendChild(launcher);
  root.appendChild(panel);

  function mount() {
    (document.body || document.documentElement).appendChild(host);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  // ---- state -----------------------------------------------------------------------
  var history = []; // [{role, content}] of completed turns
  var busy = false;
  var controller = null; // AbortController of the request in flight
  var generation = 0; // bumped by 清空对话 so late responses are dropped
  var suggestions = null; // cached list
  var lastSourceTrigger = null;

  // ---- open / close ----------------------------------------------------------------
  function openPanel() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    if (!log.firstChild) showWelcome();
    input.focus();
  }
  function closePanel() {
    closeSource();
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  launcher.addEventListener("click", openPanel);
  closeBtn.addEventListener("click", closePanel);
  shadow.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || panel.hidden) return;
    event.preventDefault();
    if (!sourceView.hidden) closeSource();
    else closePanel();
  });

  // ---- welcome + suggestion chips -----------------------------------------------------
  function showWelcome() {
    var chips = el("div", { class: "chips", role: "list", "aria-label": "推荐问题" });
    var box = el("div", { class: "welcome" }, [
      el("p", { text: "您好!我可以根据医保资料库回答参保、缴费、报销、医保码等办事问题。试试这些问题:" }),
      chips,
    ]);
    log.appendChild(box);
    loadSuggestions(function (list) {
      clear(chips);
      list.forEach(function (question) {
        chips.appendChild(
          el("button", {
            type: "button",
            class: "chip",
            role: "listitem",
            "aria-label": "提问:" + question,
            text: question,
            onclick: function () {
              ask(question);
            },
          })
        );
      });
      if (!list.length) box.removeChild(chips);
    });
  }
  function loadSuggestions(done) {
    if (suggestions) return done(suggestions);
    fetch(API + "/api/suggestions", { headers: headers() })
      .then(function (res) {
        return res.ok ? res.json() : { suggestions: [] };
      })
      .then(function (data) {
        var list = (data && Array.isArray(data.suggestions) ? data.suggestions : [])
          .filter(function (s) {
            return typeof s === "string" && s.trim();
          })
          .slice(0, 6);
        if (list.length) suggestions = list;
        done(list);
      })
      .catch(function () {
        done([]);
      });
  }

  // ---- messages ----------------------------------------------------------------------
  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }
  function addUser(text) {
    log.appendChild(el("div", { class: "msg user", text: text, "aria-label": "我的问题" }));
    scrollDown();
  }
  function showError(message) {
    var box = el("div", { class: "error", role: "alert", text: message });
    log.appendChild(box);
    scrollDown();
    return box;
  }

  /** Answer text without the disclaimer (shown on its own line) - also hides a partial
   *  disclaimer at the end while it is still streaming in. */
  function stripDisclaimer(text) {
    var body = text.split(DISCLAIMER).join("");
    for (var i = Math.min(DISCLAIMER.length - 1, body.length); i > 0; i--) {
      if (body.slice(-i) === DISCLAIMER.slice(0, i)) {
        body = body.slice(0, -i);
        break;
      }
    }
    return body.replace(/\s+$/, "");
  }

  function BotMessage() {
    this.text = "";
    this.citations = null; // {n: citation}
    this.body = el("div", { class: "body" }, [el("span", { class: "thinking", text: "正在查找资料…" })]);
    this.extra = el("div");
    this.after = el("div");
    this.node = el("div", { class: "msg bot", "aria-label": "医保问答的回答" }, [
      this.body,
      this.extra,
      el("div", { class: "disclaimer", role: "note", text: DISCLAIMER }),
      this.after,
    ]);
    log.appendChild(this.node);
    scrollDown();
  }
  BotMessage.prototype.append = function (piece) {
    this.text += piece;
    this.render();
  };
  BotMessage.prototype.render = function () {
    var text = stripDisclaimer(this.text);
    clear(this.body);
    if (!text) {
      this.body.appendChild(el("span", { class: "thinking", text: "正在查找资料…" }));
      return;
    }
    var marker = /\[(\d{1,3})\]/g;
    var last = 0;
    var match;
    while ((match = marker.exec(text)) !== null) {
      if (match.index > last) this.body.appendChild(document.createTextNode(text.slice(last, match.index)));
      var n = Number(match[1]);
      var citation = this.citations ? this.citations[n] : null;
      if (this.citations && !citation) {
        this.body.appendChild(document.createTextNode(match[0]));
      } else {
        this.body.appendChild(
          el("button", {
            type: "button",
            class: "cite",
            disabled: !citation,
            "aria-label": "查看来源 " + n,
            title: citation ? citation.title || "" : "",
            text: "[" + n + "]",
            onclick: citation
              ? function (c) {
                  return function (event) {
                    openSource(c, event.currentTarget);
                  };
                }(citation)
              : null,
          })
        );
      }
      last = match.index + match[0].length;
    }
    if (last < text.length) this.body.appendChild(document.createTextNode(text.slice(last)));
    scrollDown();
  };
  BotMessage.prototype.finish = function (meta) {
    var self = this;
    meta = meta || {};
    if (typeof meta.answer === "string" && meta.answer) this.text = meta.answer;
    var list = Array.isArray(meta.citations) ? meta.citations : [];
    this.citations = {};
    list.forEach(function (c) {
      if (c && typeof c.n === "number") self.citations[c.n] = c;
    });
    if (meta.refused) this.node.classList.add("refused");
    this.render();
    clear(this.extra);
    if (list.length) {
      // One line per cited passage title: "[1][2] 标题(日期)", opening its first quote.
      var groups = [];
      var byKey = {};
      list.forEach(function (c) {
        var key = c.doc_id + "\u0000" + (c.title || "");
        if (!byKey[key]) groups.push((byKey[key] = { first: c, ns: [] }));
        byKey[key].ns.push(c.n);
      });
      var items = el("ol");
      groups.forEach(function (group) {
        var c = group.first;
        var name = c.title || c.source_title || c.source || "来源";
        var when = c.date ? "(" + c.date + ")" : c.added ? "(收录于 " + c.added + ")" : "";
        var label = group.ns.map(function (n) {
          return "[" + n + "]";
        }).join("") + " " + name + when;
        items.appendChild(
          el("li", null, [
            el("button", {
              type: "button",
              text: label,
              "aria-label": "来源 " + group.ns.join("、") + ":" + name,
              onclick: function (event) {
                openSource(c, event.currentTarget);
              },
            }),
          ])
        );
      });
      this.extra.appendChild(el("div", { class: "sources" }, [el("span", { text: "来源:" }), items]));
    }
    clear(this.after);
    if (meta.answer_id) this.after.appendChild(feedbackRow(String(meta.answer_id)));
    scrollDown();
  };
  BotMessage.prototype.fail = function () {
    if (this.node.parentNode) this.node.parentNode.removeChild(this.node);
  };

  function feedbackRow(answerId) {
    var status = el("span", { role: "status", "aria-live": "polite" });
    var up = el("button", { type: "button", "aria-label": "有帮助", "aria-pressed": "false", title: "有帮助" }, [
      icon("up"),
      el("span", { text: "有用" }),
    ]);
    var down = el("button", { type: "button", "aria-label": "没有帮助", "aria-pressed": "false", title: "没有帮助" }, [
      icon("down"),
      el("span", { text: "没用" }),
    ]);
    function send(rating, button) {
      up.disabled = down.disabled = true;
      button.setAttribute("aria-pressed", "true");
      status.textContent = "正在提交…";
      fetch(API + "/api/feedback", {
        method: "POST",
        headers: headers({ "Content-Type": "application/json" }),
        body: JSON.stringify({ answer_id: answerId, rating: rating }),
      })
        .then(function (res) {
          if (!res.ok) throw new Error(String(res.status));
          status.textContent = "谢谢反馈";
        })
        .catch(function () {
          status.textContent = "反馈提交失败,请稍后再试";
          button.setAttribute("aria-pressed", "false");
          up.disabled = down.disabled = false;
        });
    }
    up.addEventListener("click", function () {
      send("up", up);
    });
    down.addEventListener("click", function () {
      send("down", down);
    });
    return el("div", { class: "feedback" }, [el("span", { text: "这个回答有帮助吗?" }), up, down, status]);
  }

  // ---- source view -------------------------------------------------------------------
  function renderSource(doc, citation, note) {
    clear(sourceBody);
    var title = (doc && doc.title) || citation.title || "来源";
    var info = doc || citation;
    var date = info.date || citation.date;
    var added = info.added || citation.added;
    var origin = [info.publisher, info.source_title || info.source].filter(Boolean).join(" · ");
    var when = date ? "日期:" + date : added ? "收录日期:" + added + "(原文未注明日期)" : "日期:未注明";
    var url = info.url || citation.url;
    sourceBody.appendChild(el("h3", { class: "stitle", text: title }));
    sourceBody.appendChild(
      el("div", { class: "meta" }, [
        when + (origin ? " · 出处:" + origin : ""),
        /^https?:\/\//.test(url || "")
          ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: " · 原文链接" })
          : null,
      ])
    );
    if (note) sourceBody.appendChild(el("div", { class: "note", role: "alert", text: note }));
    var text = el("div", { class: "text" });
    var hl = doc && doc.highlight;
    var mark;
    if (hl && typeof hl.text === "string") {
      // The server sends a window of context around the quote: mark where it was cut.
      var before = hl.before || "";
      var after = hl.after || "";
      var full = doc && typeof doc.text === "string" ? doc.text.length : null;
      if (typeof hl.start === "number" && hl.start > before.length) before = "…" + before.replace(/^\s+/, "");
      if (full !== null && typeof hl.end === "number" && hl.end + after.length < full) after = after.replace(/\s+$/, "") + "…";
      mark = el("mark", { text: hl.text });
      text.appendChild(document.createTextNode(before));
      text.appendChild(mark);
      text.appendChild(document.createTextNode(after));
    } else if (doc && typeof doc.text === "string") {
      var at = citation.quote ? doc.text.indexOf(citation.quote) : -1;
      if (at < 0) text.appendChild(document.createTextNode(doc.text));
      else {
        mark = el("mark", { text: citation.quote });
        text.appendChild(document.createTextNode(doc.text.slice(0, at)));
        text.appendChild(mark);
        text.appendChild(document.createTextNode(doc.text.slice(at + citation.quote.length)));
      }
    } else {
      mark = el("mark", { text: citation.quote || "" });
      text.appendChild(mark);
    }
    sourceBody.appendChild(text);
    if (mark) {
      mark.setAttribute("aria-label", "引用的原文");
      mark.scrollIntoView({ block: "center" });
    }
  }
  function openSource(citation, trigger) {
    lastSourceTrigger = trigger || null;
    clear(sourceBody);
    sourceBody.appendChild(el("p", { class: "thinking", text: "正在打开来源…" }));
    sourceView.hidden = false;
    sourceBack.focus();
    var url =
      API +
      "/api/documents/" +
      encodeURIComponent(citation.doc_id) +
      "?highlight=" +
      encodeURIComponent(citation.start + "," + citation.end);
    fetch(url, { headers: headers() })
      .then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.json();
      })
      .then(function (doc) {
        if (!sourceView.hidden) renderSource(doc, citation, "");
      })
      .catch(function () {
        if (!sourceView.hidden) renderSource(null, citation, "无法加载完整原文,下面只显示引用的片段。");
      });
  }
  function closeSource() {
    if (sourceView.hidden) return;
    sourceView.hidden = true;
    clear(sourceBody);
    if (lastSourceTrigger && lastSourceTrigger.isConnected) lastSourceTrigger.focus();
    else input.focus();
  }
  sourceBack.addEventListener("click", closeSource);

  // ---- asking ------------------------------------------------------------------------
  function HttpError(status, message) {
    this.status = status;
    this.message = message;
  }
  function isNetworkError(err) {
    return err && err.name === "TypeError";
  }
  var OFFLINE = "网络连接已断开,请检查网络后重试。";

  function chinese(detail) {
    if (typeof detail !== "string") return "";
    return detail.split(/\s*\/\s*(?=[A-Z])/)[0].trim();
  }
  function httpError(res) {
    return res
      .text()
      .catch(function () {
        return "";
      })
      .then(function (raw) {
        var detail = "";
        try {
          var data = JSON.parse(raw);
          detail = typeof data.detail === "string" ? data.detail : "";
        } catch (e) {
          detail = "";
        }
        if (res.status === 429) {
          var wait = parseInt(res.headers.get("Retry-After") || "", 10);
          if (!(wait >= 0)) {
            var m = /(\d+)/.exec(detail);
            wait = m ? Number(m[1]) : NaN;
          }
          return new HttpError(
            429,
            "请求太频繁,请稍后再试" + (wait >= 0 ? "(请 " + wait + " 秒后重试)" : "") + "。"
          );
        }
        if (res.status === 503) return new HttpError(503, "服务正在启动或暂时繁忙,请稍后再试。");
        if (res.status >= 500) return new HttpError(res.status, "服务器出错了,请稍后再试。");
        return new HttpError(res.status, chinese(detail) || "请求失败(" + res.status + "),请稍后再试。");
      });
  }

  /** Parse an SSE stream from a fetch Response, calling onEvent(name, data). */
  function readSse(res, onEvent) {
    var reader = res.body.getReader();
    var decoder = new TextDecoder("utf-8");
    var buffer = "";
    var name = "";
    var data = [];
    function dispatch() {
      if (data.length) onEvent(name || "message", data.join("\n"));
      name = "";
      data = [];
    }
    function line(text) {
      if (text === "") return dispatch();
      if (text.charAt(0) === ":") return;
      var colon = text.indexOf(":");
      var field = colon < 0 ? text : text.slice(0, colon);
      var value = colon < 0 ? "" : text.slice(colon + 1);
      if (value.charAt(0) === " ") value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    function pump() {
      return reader.read().then(function (step) {
        if (step.done) {
          buffer += decoder.decode();
          if (buffer) buffer.split(/\r\n|\r|\n/).forEach(line);
          dispatch();
          return;
        }
        buffer += decoder.decode(step.value, { stream: true });
        var parts = buffer.split(/\r\n|\n|\r(?!$)/);
        buffer = parts.pop();
        parts.forEach(line);
        return pump();
      });
    }
    return pump();
  }

  /** An SSE data payload: ``{"text": …}``-style JSON gives that field, anything else is raw text. */
  function field(data, key) {
    if (data.charAt(0) === "{") {
      try {
        var parsed = JSON.parse(data);
        if (parsed && typeof parsed[key] === "string") return parsed[key];
      } catch (e) {
        /* not JSON: raw text */
      }
    }
    return data;
  }

  function streamAnswer(payload, message, signal) {
    return fetch(API + "/api/ask/stream", {
      method: "POST",
      headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
      body: JSON.stringify(payload),
      signal: signal,
    }).then(function (res) {
      if (!res.ok) {
        if (res.status === 404 || res.status === 405 || res.status === 501) return { fallback: true };
        return httpError(res).then(function (err) {
          throw err;
        });
      }
      var type = res.headers.get("Content-Type") || "";
      if (!res.body || !res.body.getReader || type.indexOf("text/event-stream") < 0) return { fallback: true };
      var meta = null;
      var failure = null;
      var finished = false;
      return readSse(res, function (name, data) {
        if (name === "delta") message.append(field(data, "text"));
        else if (name === "citations") {
          try {
            meta = JSON.parse(data);
          } catch (e) {
            meta = {};
          }
        } else if (name === "error") failure = field(data, "message") || "抱歉,回答时出现了问题,请稍后再试。";
        else if (name === "done") finished = true;
      }).then(
        function () {
          if (failure) throw new HttpError(0, failure);
          if (!meta && !finished) return { fallback: true }; // stream cut short
          return { meta: meta || {} };
        },
        function (err) {
          if (err && err.name === "AbortError") throw err;
          if (failure) throw new HttpError(0, failure);
          return { fallback: true }; // connection dropped mid-stream
        }
      );
    });
  }

  function plainAnswer(payload, signal) {
    return fetch(API + "/api/ask", {
      method: "POST",
      headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify(payload),
      signal: signal,
    }).then(function (res) {
      if (!res.ok)
        return httpError(res).then(function (err) {
          throw err;
        });
      return res.json();
    });
  }

  function setBusy(value) {
    busy = value;
    sendBtn.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
  }

  function ask(raw) {
    var question = (raw || "").trim();
    if (!question || busy) return;
    if (question.length > MAX_CHARS) question = question.slice(0, MAX_CHARS);
    closeSource();
    var welcome = log.querySelector(".welcome");
    if (welcome) welcome.parentNode.removeChild(welcome);
    addUser(question);
    input.value = "";
    if (navigator.onLine === false) {
      showError(OFFLINE);
      return;
    }
    var payload = { question: question, history: history.slice(-MAX_HISTORY) };
    var message = new BotMessage();
    var myGeneration = generation;
    controller = typeof AbortController === "function" ? new AbortController() : null;
    var signal = controller ? controller.signal : undefined;
    setBusy(true);
    streamAnswer(payload, message, signal)
      .then(
        function (result) {
          if (!result.fallback) return result.meta;
          message.text = "";
          message.render();
          return plainAnswer(payload, signal);
        },
        function (err) {
          // A network error on the streaming request: try the plain endpoint once.
          if (isNetworkError(err) && navigator.onLine !== false) {
            message.text = "";
            message.render();
            return plainAnswer(payload, signal);
          }
          throw err;
        }
      )
      .then(function (meta) {
        if (myGeneration !== generation) return;
        meta = meta || {};
        message.finish(meta);
        var answer = typeof meta.answer === "string" && meta.answer ? meta.answer : message.text;
        history.push({ role: "user", content: question });
        history.push({ role: "assistant", content: answer.slice(0, MAX_TURN_CHARS) });
      })
      .catch(function (err) {
        if (myGeneration !== generation || (err && err.name === "AbortError")) return;
        message.fail();
        if (err instanceof HttpError) showError(err.message);
        else if (isNetworkError(err) || navigator.onLine === false) showError(OFFLINE);
        else showError("抱歉,出现了意外错误,请稍后再试。");
      })
      .then(function () {
        if (myGeneration !== generation) return;
        controller = null;
        setBusy(false);
        if (!panel.hidden && (!shadow.activeElement || shadow.activeElement === sendBtn)) input.focus();
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask(input.value);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    ask(input.value);
  });

  clearBtn.addEventListener("click", function () {
    generation += 1;
    if (controller) controller.abort();
    controller = null;
    setBusy(false);
    history = [];
    closeSource();
    clear(log);
    showWelcome();
    input.value = "";
    input.focus();
  });

  window.addEventListener("offline", function () {
    if (!panel.hidden) showError(OFFLINE);
  });
})();
