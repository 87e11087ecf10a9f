/* The live draw page: a websocket tells us when the record changed; we then refresh the
   record section from the server (the push is only a notification, the page is the truth).
   Also: generate a secret and its SHA-256 commitment in the browser, so the secret never
   reaches the server before the reveal. */
(function () {
  "use strict";
  // Words through Django's JavaScript catalogue (/jsi18n/, loaded before this file).
  var t = typeof gettext === "function" ? gettext : function (w) { return w; };
  function fill(text, values) {
    return typeof interpolate === "function" ? interpolate(text, values, true)
      : text.replace(/%\((\w+)\)s/g, function (m, k) { return values[k]; });
  }
  var card = document.getElementById("record-card");
  if (!card) { return; }
  var drawId = card.getAttribute("data-draw");
  var dot = document.getElementById("live-dot");
  var status = document.getElementById("live-status");

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("draw-record");
        var old = document.getElementById("draw-record");
        if (fresh && old) { old.replaceWith(fresh); }
        var actions = doc.querySelector(".card.actions");
        var mine = document.querySelector(".card.actions");
        if (mine && !actions) { mine.remove(); }
      });
  }

  function connect() {
    var proto = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + window.location.host + "/ws/appraisers/draws/" + drawId + "/");
    ws.onopen = function () { dot.classList.add("on"); };
    var first = true;
    ws.onmessage = function (ev) {
      var msg = JSON.parse(ev.data);
      if (msg.type !== "record" || !msg.record) { return; }
      var at = new Date(msg.record.server_time).toLocaleTimeString(document.documentElement.lang || "zh-CN", { timeZone: "Asia/Shanghai" });
      if (first) {
        // The record sent on connect: the page already shows it.
        first = false;
        status.textContent = fill(t("实时连接已建立（%(status)s，服务器时间 %(time)s）"), { status: msg.record.status_display, time: at });
        return;
      }
      status.textContent = fill(t("已更新：%(time)s（%(status)s）"), { time: at, status: msg.record.status_display });
      refresh();
    };
    ws.onclose = function () {
      dot.classList.remove("on");
      status.textContent = t("连接已断开，5 秒后重连");
      setTimeout(connect, 5000);
    };
  }
  connect();

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  Array.prototype.forEach.call(document.querySelectorAll(".commit-form"), function (form) {
    var btn = form.querySelector(".gen-secret");
    btn.addEventListener("click", function () {
      var note = form.querySelector(".gen-note");
      var bytes = new Uint8Array(32);
      window.crypto.getRandomValues(bytes);
      var secret = hex(bytes);
      form.querySelector(".secret-out").value = secret;
      if (!window.crypto.subtle) {
        note.textContent = t("当前浏览器环境无法计算 SHA-256，请自行计算（如 echo -n 随机串 | sha256sum）并填入承诺值。");
        return;
      }
      window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret)).then(function (d) {
        form.querySelector(".commitment-out").value = hex(d);
        note.textContent = t("请立即保存上面的随机串：揭示时须原样提交，丢失则本方随机数不计入。");
      });
    });
  });
})();
