/*!
 * 医保问答 admin page (yibao-qa): upload, list and delete documents, test retrieval, review
 * feedback, watch the reindex. No build step, no dependencies; same origin as the API.
 *
 * The admin key is kept in sessionStorage (this tab only) and sent as X-Admin-Key.
 * SECURITY: every value from the server or the user is put in the DOM with
 * textContent/createElement only - never as HTML.
 */
(function () {
  "use strict";

  var KEY_ITEM = "yibao-admin-key";
  var DOC_PAGE = 20;
  var FEEDBACK_PAGE = 10;
  var POLL_MS = 1500; // admin routes share the per-IP rate limit (60 a minute by default)

  function $(id) {
    return document.getElementById(id);
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }
  function size(n) {
    if (n >= 1000000) return (n / 1000000).toFixed(1) + " MB";
    if (n >= 1000) return (n / 1000).toFixed(1) + " KB";
    return n + " B";
  }
  /** The Chinese half of a "<中文> / <English>" message. */
  function chinese(detail) {
    if (typeof detail !== "string") return "";
    return detail.split(/\s*\/\s*(?=[A-Z])/)[0].trim();
  }

  // ---- the key and the API ---------------------------------------------------------------
  var key = sessionStorage.getItem(KEY_ITEM) || "";

  function ApiError(status, message, retryAfter) {
    this.status = status;
    this.message = message;
    this.retryAfter = retryAfter;
  }
  function message(status, body, retryAfter) {
    var detail = chinese(body && body.detail);
    if (status === 403) return "管理员密钥无效,或服务器未启用管理功能。";
    if (status === 429) return "请求太频繁,请" + (retryAfter ? " " + retryAfter + " 秒" : "稍") + "后再试。";
    if (status === 413) return detail || "上传的内容太大。";
    if (status === 503) return detail || "服务正在启动或暂时繁忙,请稍后再试。";
    if (status >= 500) return "服务器出错了,请稍后再试。";
    return detail || "请求失败(" + status + ")。";
  }
  function api(method, path) {
    return fetch(path, { method: method, headers: { "X-Admin-Key": key, Accept: "application/json" } })
      .catch(function () {
        throw new ApiError(0, "网络连接已断开,请检查网络后重试。");
      })
      .then(function (res) {
        return res
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            if (res.ok) return body;
            var wait = parseInt(res.headers.get("Retry-After") || "", 10);
            var err = new ApiError(res.status, message(res.status, body, wait >= 0 ? wait : 0), wait);
            if (res.status === 403) logout(err.message);
            throw err;
          });
      });
  }

  // ---- log in / out ----------------------------------------------------------------------
  function showAdmin(on) {
    $("login").hidden = on;
    $("admin").hidden = !on;
    $("logout").hidden = !on;
  }
  function logout(reason) {
    key = "";
    sessionStorage.removeItem(KEY_ITEM);
    showAdmin(false);
    $("login-error").hidden = !reason;
    $("login-error").textContent = reason || "";
    $("key").value = "";
  }
  function enter() {
    api("GET", "/api/admin/reindex").then(
      function (status) {
        $("login-error").hidden = true;
        showAdmin(true);
        renderStatus(status);
        if (busy(status)) watch();
        loadDocs(1);
        loadFeedback(1);
      },
      function (err) {
        if (err.status !== 403) logout(err.message);
      }
    );
  }
  $("key-form").addEventListener("submit", function (event) {
    event.preventDefault();
    key = $("key").value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_ITEM, key);
    enter();
  });
  $("logout").addEventListener("click", function () {
    logout("");
  });

  // ---- reindex status --------------------------------------------------------------------
  var polling = false;
  var sawRun = false;

  function busy(status) {
    return status.status === "running" || status.queued;
  }
  function renderStatus(s) {
    var box = $("status");
    var service = s.service || {};
    var text;
    box.className = "status";
    if (busy(s)) {
      box.className = "status busy";
      text = "正在重建索引…" + (s.queued ? "(完成后还会再更新一次,以包含最新的改动)" : "") + "旧索引继续服务。";
    } else if (s.status === "failed") {
      box.className = "status failed";
      text = "重建索引失败:" + (s.error || "未知错误") + "。原索引继续服务。";
    } else {
      text = (s.status === "done" ? "索引已更新" : "索引就绪") + ":" + service.documents + " 篇文档";
      if (service.index_version) text += ",版本 " + service.index_version;
      if (s.status === "done" && s.seconds !== null) text += "(用时 " + s.seconds + " 秒)";
      text += "。";
    }
    box.textContent = text;
  }
  /** Poll the reindex until it (and any queued run) ends, then refresh the lists. */
  function watch() {
    sawRun = true;
    if (polling) return;
    polling = true;
    (function tick() {
      api("GET", "/api/admin/reindex").then(
        function (s) {
          renderStatus(s);
          if (busy(s)) return setTimeout(tick, POLL_MS);
          polling = false;
          if (sawRun) {
            sawRun = false;
            loadDocs(docs.page);
          }
        },
        function (err) {
          if (err.status === 429 || err.status === 0) {
            $("status").textContent = err.message + "(稍后自动刷新状态)";
            return setTimeout(tick, (err.retryAfter > 0 ? err.retryAfter : 5) * 1000);
          }
          polling = false;
          if (err.status !== 403) $("status").textContent = err.message;
        }
      );
    })();
  }

  // ---- upload ----------------------------------------------------------------------------
  var limits = { max_file_bytes: 0, max_upload_bytes: 0 };

  function renderUpload(body, status) {
    var box = $("upload-result");
    clear(box);
    if (body.detail && !(body.accepted && body.accepted.length)) {
      box.appendChild(el("p", { class: "error", role: "alert", text: message(status, body) }));
    }
    var list = el("ul", { class: "results", "aria-label": "上传结果" });
    (body.accepted || []).forEach(function (f) {
      var note = f.stored_as !== f.name ? "(保存为 " + f.stored_as + ")" : "";
      list.appendChild(
        el("li", { class: "ok" }, ["✓ " + f.name + note + ":已接受," + f.documents + " 篇文档,正在加入索引"])
      );
    });
    (body.rejected || []).forEach(function (f) {
      list.appendChild(el("li", { class: "bad" }, ["✗ " + (f.name || "(无文件名)") + ":" + f.reason]));
    });
    if (list.firstChild) box.appendChild(list);
  }
  $("upload-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var files = $("files").files;
    if (!files || !files.length) {
      renderUpload({ detail: "请先选择要上传的文件。" }, 400);
      return;
    }
    var total = 0;
    var form = new FormData();
    Array.prototype.forEach.call(files, function (f) {
      total += f.size;
      form.append("files", f, f.name);
    });
    if (limits.max_upload_bytes && total > limits.max_upload_bytes) {
      renderUpload({ detail: "所选文件共 " + size(total) + ",超过一次上传的上限 " + size(limits.max_upload_bytes) + ",请分批上传。" }, 413);
      return;
    }
    var xhr = new XMLHttpRequest();
    var bar = $("progress");
    $("upload-button").disabled = true;
    $("upload-progress").hidden = false;
    bar.value = 0;
    $("progress-text").textContent = "正在上传… 0%";
    clear($("upload-result"));
    xhr.open("POST", "/api/admin/documents");
    xhr.setRequestHeader("X-Admin-Key", key);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.round((e.loaded / e.total) * 100);
      bar.value = pct;
      $("progress-text").textContent = "正在上传… " + pct + "%(" + size(e.loaded) + " / " + size(e.total) + ")";
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        body = {};
      }
      $("upload-button").disabled = false;
      bar.value = 100;
      $("progress-text").textContent = xhr.status === 202 ? "上传完成" : "上传未成功";
      if (xhr.status === 403) return logout(message(403, body));
      renderUpload(body, xhr.status);
      if (xhr.status === 202) {
        $("files").value = "";
        renderStatus(body.reindex);
        watch();
      }
    });
    xhr.addEventListener("error", function () {
      $("upload-button").disabled = false;
      $("progress-text").textContent = "上传未成功";
      renderUpload({ detail: "网络连接已断开,请检查网络后重试。" }, 0);
    });
    xhr.send(form);
  });

  // ---- documents -------------------------------------------------------------------------
  var docs = { page: 1, pages: 1 };

  function loadDocs(page) {
    var q = $("docs-q").value.trim();
    var path = "/api/admin/documents?page=" + page + "&size=" + DOC_PAGE + (q ? "&q=" + encodeURIComponent(q) : "");
    api("GET", path).then(
      function (data) {
        limits = data;
        $("files").setAttribute("accept", data.upload_types.join(","));
        $("upload-hint").textContent =
          "可上传 " + data.upload_types.join("、") + ";单个文件不超过 " + size(data.max_file_bytes) +
          ",一次不超过 " + size(data.max_upload_bytes) + "。上传后自动重建索引。";
        docs.pages = Math.max(1, Math.ceil(data.total / data.size));
        if (page > docs.pages) return loadDocs(docs.pages);
        docs.page = page;
        renderDocs(data);
      },
      function (err) {
        $("docs-message").textContent = err.message;
      }
    );
  }
  function renderDocs(data) {
    var body = $("docs-body");
    clear(body);
    $("docs-message").textContent = data.total ? "" : "没有找到文档。";
    data.items.forEach(function (d) {
      var del = el("button", {
        type: "button",
        class: "danger",
        "aria-label": "删除《" + d.title + "》",
        text: "删除",
        onclick: function () {
          deleteDoc(d, del);
        },
      });
      body.appendChild(
        el("tr", null, [
          el("td", null, [el("span", { text: d.title }), el("div", { class: "muted", text: d.doc_id })]),
          el("td", { text: d.source }),
          el("td", null, [d.uploaded ? el("span", { class: "badge", text: "上传" }) : el("span", { class: "muted", text: d.origin || "—" })]),
          el("td", { text: d.date || "—" }),
          el("td", { class: "num", text: String(d.chunks) }),
          el("td", null, [del]),
        ])
      );
    });
    $("docs-page").textContent = "第 " + docs.page + " / " + docs.pages + " 页,共 " + data.total + " 篇";
    $("docs-prev").disabled = docs.page <= 1;
    $("docs-next").disabled = docs.page >= docs.pages;
  }
  function deleteDoc(d, button) {
    var what = d.uploaded ? "上传的文件将被删除。" : "它将从知识库中移除(原文件保留)。";
    if (!window.confirm("确定删除《" + d.title + "》吗?" + what)) return;
    button.disabled = true;
    api("DELETE", "/api/admin/documents/" + encodeURIComponent(d.doc_id)).then(
      function (res) {
        $("docs-message").textContent = "已删除《" + res.title + "》,正在重建索引。";
        renderStatus(res.reindex);
        watch();
      },
      function (err) {
        button.disabled = false;
        $("docs-message").textContent = err.message;
      }
    );
  }
  $("docs-filter").addEventListener("submit", function (event) {
    event.preventDefault();
    loadDocs(1);
  });
  $("docs-prev").addEventListener("click", function () {
    loadDocs(docs.page - 1);
  });
  $("docs-next").addEventListener("click", function () {
    loadDocs(docs.page + 1);
  });

  // ---- retrieval test --------------------------------------------------------------------
  function fixed(v) {
    return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
  }
  $("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var q = $("search-q").value.trim();
    var box = $("search-result");
    clear(box);
    if (!q) return;
    var path = "/api/admin/search?q=" + encodeURIComponent(q) + "&top_k=" + $("search-k").value + "&mode=" + $("search-mode").value;
    box.appendChild(el("p", { class: "muted", text: "正在检索…" }));
    api("GET", path).then(
      function (data) {
        clear(box);
        var u = data.understood;
        var info = "检索用的问题:" + u.text + ";词:" + (u.terms.join(" ") || "—") + ";地区:" + (u.regions.join("、") || "—") + ";类型:" + u.kind;
        box.appendChild(el("p", { class: "hint", text: info }));
        if (!data.hits.length) box.appendChild(el("p", { text: "没有检索到段落。" }));
        var list = el("ol", { class: "list", "aria-label": "检索结果" });
        data.hits.forEach(function (h) {
          var signals = el("div", { class: "signals", "aria-label": "各信号得分" });
          Object.keys(h.scores).forEach(function (name) {
            signals.appendChild(el("span", { class: "signal", text: name + " " + fixed(h.scores[name]) }));
          });
          list.appendChild(
            el("li", null, [
              el("div", { class: "hit-head" }, [
                el("span", { class: "badge", text: "#" + h.rank }),
                el("strong", { text: h.title }),
                el("span", { class: "muted", text: h.source + (h.date ? " · " + h.date : "") + " · 得分 " + fixed(h.score) }),
              ]),
              signals,
              el("p", { class: "text", text: h.text.length > 300 ? h.text.slice(0, 300) + "…" : h.text }),
            ])
          );
        });
        box.appendChild(list);
      },
      function (err) {
        clear(box);
        box.appendChild(el("p", { class: "error", role: "alert", text: err.message }));
      }
    );
  });

  // ---- feedback review -------------------------------------------------------------------
  var feedback = { page: 1, pages: 1 };

  function loadFeedback(page) {
    api("GET", "/api/admin/feedback?page=" + page + "&size=" + FEEDBACK_PAGE).then(
      function (data) {
        feedback.pages = Math.max(1, Math.ceil(data.total / data.size));
        feedback.page = page;
        renderFeedback(data);
      },
      function (err) {
        $("feedback-summary").textContent = err.message;
      }
    );
  }
  function renderFeedback(data) {
    var list = $("feedback-list");
    clear(list);
    $("feedback-summary").textContent = data.total
      ? "共 " + data.total + " 条反馈,其中“没用” " + data.down + " 条(排在前面)。"
      : "还没有反馈。";
    data.items.forEach(function (f) {
      var cites = el("ul", { class: "cites", "aria-label": "回答的引用" });
      if (f.citations === null) cites.appendChild(el("li", { text: "引用未记录(较早的反馈)" }));
      else if (!f.citations.length) cites.appendChild(el("li", { text: "回答没有引用(拒答或出错)" }));
      else
        f.citations.forEach(function (c) {
          cites.appendChild(el("li", { text: "[" + c.n + "] " + c.title + "(" + c.source + (c.date ? " · " + c.date : "") + ")" }));
        });
      list.appendChild(
        el("li", null, [
          el("div", { class: "fb-head" }, [
            el("span", { class: "badge " + f.rating, text: f.rating === "down" ? "没用" : "有用" }),
            el("strong", { text: f.question || "(问题未记录)" }),
            el("span", { class: "muted", text: f.created_at }),
          ]),
          f.comment ? el("p", { class: "text", text: "意见:" + f.comment }) : null,
          el("details", null, [el("summary", { text: "回答" }), el("p", { class: "text", text: f.answer })]),
          cites,
        ])
      );
    });
    $("feedback-page").textContent = "第 " + feedback.page + " / " + feedback.pages + " 页";
    $("feedback-prev").disabled = feedback.page <= 1;
    $("feedback-next").disabled = feedback.page >= feedback.pages;
  }
  $("feedback-prev").addEventListener("click", function () {
    loadFeedback(feedback.page - 1);
  });
  $("feedback-next").addEventListener("click", function () {
    loadFeedback(feedback.page + 1);
  });

  if (key) enter();
})();
