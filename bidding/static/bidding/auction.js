/*
 * The live auction page (docs/websocket.md): one websocket, a countdown on server time,
 * one-click bids, the bid history and a price chart (Apache ECharts). No build step, no
 * inline script: the page passes its data in the #auction-config JSON element (CSP).
 *
 * State rules: every accepted bid has a per-auction sequence number. Updates may arrive
 * coalesced (several bids in one message) or, across server processes, out of order. Bids are
 * merged by sequence; the price/state fields are taken from the message with the highest
 * sequence. A hole in the sequence, or a reconnect, is repaired from the HTTP snapshot.
 */
(function () {
  "use strict";

  const cfgEl = document.getElementById("auction-config");
  if (!cfgEl) return;
  const cfg = JSON.parse(cfgEl.textContent);
  const L = cfg.labels || {};
  const OPEN = { bidding: true, extended: true };

  // ---- state ------------------------------------------------------------------------------
  const st = {
    seq: 0, state: null, stateLabel: "", price: null, start: 0, inc: 0, next: null,
    leader: null, endMs: null, startMs: null, ext: 0, watchers: null, registrants: null,
    bids: new Map(), closed: false, winner: null, outcome: null,
  };
  let offset = 0; // server clock minus this browser's clock, in ms
  let bestRtt = Infinity;
  let ws = null;
  let retry = 0;
  let stopReconnect = false;
  let resyncTimer = null;
  // "I have bid" (for the outbid status): any bid in the history under my code, from the page's
  // history, a snapshot, a live update or my own acknowledgement, so it survives a reload.
  let iBid = false;
  const pending = new Map(); // client_id → amount

  // ---- formatting ---------------------------------------------------------------------------
  function yuan(fen) {
    if (fen === null || fen === undefined) return "—";
    const neg = fen < 0;
    const abs = Math.abs(fen);
    const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const cents = String(abs % 100).padStart(2, "0");
    return (neg ? "-" : "") + whole + "." + cents;
  }
  function parseYuan(text) {
    const t = String(text || "").replace(/[,，\s¥元]/g, "");
    const m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(t);
    if (!m) return null;
    return parseInt(m[1], 10) * 100 + parseInt((m[2] || "0").padEnd(2, "0"), 10);
  }
  const timeFmt = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  const clockFmt = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  const fullFmt = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  function ms(iso) { return iso ? Date.parse(iso) : null; }
  function pad(n) { return String(n).padStart(2, "0"); }

  // ---- DOM helpers --------------------------------------------------------------------------
  function els(name) { return document.querySelectorAll('[data-live="' + name + '"]'); }
  function setText(name, text) {
    els(name).forEach(function (el) {
      if (el.textContent !== String(text)) el.textContent = text;
    });
  }
  function flash(name) {
    els(name).forEach(function (el) {
      el.classList.remove("flash"); void el.offsetWidth; el.classList.add("flash");
    });
  }

  // ---- applying server messages -----------------------------------------------------------
  function mergeBids(list) {
    (list || []).forEach(function (b) {
      if (!b || !b.seq) return;
      st.bids.set(b.seq, b);
      if (cfg.my_code && b.code === cfg.my_code) iBid = true;
    });
  }
  function applyFields(m) {
    if (m.seq !== undefined && m.seq !== null && m.seq < st.seq) return false;
    if (m.seq !== undefined && m.seq !== null) st.seq = m.seq;
    if (m.state) st.state = m.state;
    if (m.state_label) st.stateLabel = m.state_label;
    if (m.price_fen !== undefined) st.price = m.price_fen;
    if (m.starting_price_fen) st.start = m.starting_price_fen;
    if (m.increment_fen) st.inc = m.increment_fen;
    if (m.next_min_bid_fen !== undefined && m.next_min_bid_fen !== null) st.next = m.next_min_bid_fen;
    else if (st.price !== null && st.inc) st.next = st.price + st.inc;
    if (m.leader_code !== undefined) st.leader = m.leader_code;
    if (m.end_at) st.endMs = ms(m.end_at);
    if (m.start_at) st.startMs = ms(m.start_at);
    if (m.extension_count !== undefined && m.extension_count !== null) st.ext = Math.max(st.ext, m.extension_count);
    if (m.registrant_count !== undefined && m.registrant_count !== null) st.registrants = m.registrant_count;
    if (m.watchers !== undefined && m.watchers !== null) st.watchers = m.watchers;
    if (m.winner_code) st.winner = m.winner_code;
    if (m.court_notice !== undefined) st.courtNotice = m.court_notice; // full states only
    return true;
  }
  function syncClock(serverMs, rtt) {
    if (typeof serverMs !== "number") return;
    const now = Date.now();
    if (rtt === undefined) {
      if (bestRtt === Infinity) offset = serverMs - now; // one-way: only until a ping answers
      return;
    }
    if (rtt <= bestRtt * 1.5) {
      bestRtt = Math.min(bestRtt, rtt);
      offset = serverMs - (now - rtt / 2);
    }
  }
  function applySnapshot(s) {
    const fresh = s.seq >= st.seq;
    if (s.seq < st.seq) { mergeBids(s.bids); render(); return; }
    st.seq = s.seq;
    applyFields(s);
    if (fresh) st.leader = s.leader_code || null;
    mergeBids(s.bids);
    syncClock(s.server_ms);
    if (!OPEN[st.state] && ["sold", "unsold"].indexOf(st.state) >= 0) showResult({ outcome: st.state, price_fen: st.price, winner_code: s.winner_code });
    if (missing()) fetchHistory();
    render();
  }
  function applyUpdate(m) {
    mergeBids(m.bids);
    const applied = applyFields(m);
    syncClock(m.server_ms);
    if (m.type === "extended" && applied) {
      const note = els("extended_note");
      note.forEach(function (el) { el.textContent = L.extended; el.hidden = false; });
      flash("end_at");
    }
    if (m.type === "closed") showResult(m);
    if (missing()) scheduleResync();
    render();
  }
  function missing() {
    return st.bids.size < st.seq;
  }
  function scheduleResync() {
    if (resyncTimer) return;
    // Wait a moment: across server processes a bid may simply arrive after a later one.
    resyncTimer = setTimeout(function () {
      resyncTimer = null;
      if (missing()) resync();
    }, 400);
  }
  function resync() {
    setConn(L.resyncing, false);
    fetch(cfg.snapshot_url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s) applySnapshot(s);
        if (ws && ws.readyState === 1) setConn(L.connected, true);
      })
      .catch(function () { /* the next update or reconnect tries again */ });
  }
  function fetchHistory() {
    const url = cfg.snapshot_url.replace(/snapshot$/, "bids/") + "?format=json";
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (h) { if (h) { mergeBids(h.bids); render(); } })
      .catch(function () {});
  }
  function showResult(m) {
    st.closed = true;
    st.outcome = m.outcome || m.state || st.state;
    if (m.winner_code) st.winner = m.winner_code;
    const box = document.getElementById("result");
    if (!box) return;
    box.hidden = false;
    let line = L.closed;
    if (st.outcome === "sold") {
      line = L.sold + (L.colon || "：") + L.final_price + " ¥" + yuan(m.price_fen !== undefined && m.price_fen !== null ? m.price_fen : st.price) +
        (st.winner ? "，" + L.winner_code + " " + st.winner : "");
    } else if (st.outcome === "unsold") {
      line = L.unsold;
    }
    setText("result_line", line);
    const form = document.getElementById("bid-form");
    if (form) form.querySelectorAll("button, input").forEach(function (el) { el.disabled = true; });
  }

  // ---- may the bidder act now? ------------------------------------------------------------------
  // Bids are taken only while bidding is open (AUC-03); a scheduled auction whose start has passed
  // on the server's clock opens with the first bid (the engine does the same). While the court has
  // suspended (暂缓) or halted (中止) the auction, or once it has ended, the bidder's forms are
  // disabled with the reason; a `state` message that reopens bidding enables them again.
  function startPassed() {
    return st.state === "scheduled" && st.startMs !== null && Date.now() + offset >= st.startMs;
  }
  function bidsOpen() {
    return !st.closed && (!!OPEN[st.state] || startPassed());
  }
  function actionNote(isBidForm) {
    if (bidsOpen()) return "";
    if (st.state === "scheduled") return isBidForm ? (L.note_scheduled || "") : "";
    const notes = L.state_notes || {};
    let note = notes[st.state] || L.note_closed || "";
    // The court's published reason (AUC-40..43), as the state message carries it.
    if (note && st.courtNotice && st.courtNotice.reason) {
      note += " " + (L.court_reason || "") + (L.colon || "：") + st.courtNotice.reason;
    }
    return note;
  }
  let lastAvailability = null;
  function drawAvailability() {
    const box = document.getElementById("bid");
    if (!box) return;
    const isBidForm = !!document.getElementById("bid-form");
    const note = actionNote(isBidForm);
    const key = (st.state || "") + "|" + note + "|" + st.closed;
    if (key === lastAvailability) return;
    lastAvailability = key;
    els("action_note").forEach(function (el) {
      el.textContent = note;
      el.hidden = !note;
    });
    // Registration, deposit and password forms stay usable while the auction is only announced.
    box.querySelectorAll("fieldset[data-live-form]").forEach(function (fs) {
      fs.disabled = !!note;
    });
  }

  // ---- rendering (batched per animation frame) -----------------------------------------------
  let frame = 0;
  function render() {
    if (frame) return;
    frame = requestAnimationFrame(function () { frame = 0; draw(); });
  }
  let lastDrawnSeq = -1;
  function draw() {
    const hasPrice = st.price !== null && st.price !== undefined;
    setText("price", yuan(hasPrice ? st.price : st.start));
    const ended = st.closed || ["sold", "unsold"].indexOf(st.state) >= 0;
    setText("price_label", st.state === "sold" ? L.final_price : (hasPrice ? L.current_price : L.starting_price));
    setText("bid_count", st.seq);
    announcePrice(hasPrice);
    if (ended) els("extended_note").forEach(function (el) { el.hidden = true; });
    if (amountEl && document.activeElement !== amountEl && st.next && OPEN[st.state]) {
      const typed = parseYuan(amountEl.value);
      if (typed === null || typed < st.next) amountEl.value = yuan(st.next); // outbid: offer the next valid bid
    }
    setText("next_min", yuan(st.next));
    setText("leader_code", st.leader || "—");
    setText("extension_count", st.ext);
    setText("seq", st.seq);
    const stateLabel = (L.state_labels || {})[st.state] || st.stateLabel;
    if (stateLabel) setText("state_label", stateLabel);
    els("state_label").forEach(function (el) { el.className = "tag state-" + (st.state || ""); });
    if (st.watchers !== null) setText("watchers", st.watchers);
    if (st.registrants !== null) setText("registrants", st.registrants);
    if (st.endMs) setText("end_at", fullFmt.format(new Date(st.endMs)));
    if (cfg.my_code) {
      const status = els("my_status");
      status.forEach(function (el) {
        if (ended || !OPEN[st.state]) { el.hidden = true; }
        else if (st.leader && st.leader === cfg.my_code) { el.textContent = L.leading; el.hidden = false; el.className = "tag green"; }
        else if (iBid) { el.textContent = L.outbid; el.hidden = false; el.className = "tag red"; }
        else { el.hidden = true; }
      });
    }
    drawAvailability();
    if (st.seq !== lastDrawnSeq || st.bids.size !== drawnBidCount) {
      lastDrawnSeq = st.seq;
      drawHistory();
      drawChart();
    }
    tick();
  }
  // A screen reader hears each new price once (polite, atomic), not every redraw.
  let announced = null;
  function announcePrice(hasPrice) {
    if (!hasPrice) return;
    if (announced === null) { announced = st.price; return; } // the price on arrival is on the page
    if (st.price === announced) return;
    announced = st.price;
    setText("price_announce", L.current_price + " ¥" + yuan(st.price) + (st.leader ? "，" + L.leader + " " + st.leader : ""));
  }
  let drawnBidCount = -1;
  let newestShown = 0;
  function drawHistory() {
    const body = document.getElementById("bid-history");
    if (!body) return;
    drawnBidCount = st.bids.size;
    const seqs = Array.from(st.bids.keys()).sort(function (a, b) { return b - a; }).slice(0, 20);
    const frag = document.createDocumentFragment();
    if (!seqs.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = document.createElement("td");
      td.colSpan = 4; td.className = "muted"; td.textContent = L.no_bids;
      tr.appendChild(td); frag.appendChild(tr);
    }
    seqs.forEach(function (seq) {
      const b = st.bids.get(seq);
      const tr = document.createElement("tr");
      if (cfg.my_code && b.code === cfg.my_code) tr.classList.add("mine");
      if (seq > newestShown && newestShown > 0) tr.classList.add("new");
      const cells = [
        [String(b.seq), "num"],
        [b.code + (cfg.my_code && b.code === cfg.my_code ? L.you : "") + (b.priority ? " · " + L.priority : ""), ""],
        [yuan(b.amount_fen), "num"],
        [b.at ? clockFmt.format(new Date(b.at)) : "", "time"],
      ];
      cells.forEach(function (c) {
        const td = document.createElement("td");
        td.textContent = c[0];
        if (c[1]) td.className = c[1];
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    });
    newestShown = seqs.length ? seqs[0] : 0;
    body.replaceChildren(frag);
  }

  let chart = null;
  function drawChart() {
    const el = document.getElementById("price-chart");
    if (!el || !window.echarts) return;
    // No empty frame before bidding: the chart appears with the first bid.
    const box = document.getElementById("chart-box");
    if (!st.bids.size) { if (box) box.hidden = true; return; }
    if (box && box.hidden) {
      box.hidden = false;
      if (chart) chart.resize();
    }
    if (!chart) {
      chart = window.echarts.init(el, null, { renderer: "canvas" });
      window.addEventListener("resize", function () { chart.resize(); });
    }
    const seqs = Array.from(st.bids.keys()).sort(function (a, b) { return a - b; });
    const data = seqs.map(function (s) {
      const b = st.bids.get(s);
      return [ms(b.at), b.amount_fen / 100];
    });
    chart.setOption({
      animation: false,
      grid: { left: 70, right: 16, top: 24, bottom: 40 },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return "¥" + yuan(Math.round(v * 100)); },
      },
      xAxis: {
        type: "time",
        axisLabel: {
          formatter: function (v) { return clockFmt.format(new Date(v)); },
          hideOverlap: true,
        },
      },
      yAxis: {
        type: "value", scale: true, name: L.price_axis,
        axisLabel: { formatter: function (v) { return v.toLocaleString("zh-CN"); } },
      },
      series: [{
        name: L.price_series, type: "line", step: "end", showSymbol: data.length < 60,
        data: data, lineStyle: { color: "#b0272d", width: 2 }, itemStyle: { color: "#b0272d" },
        areaStyle: { color: "rgba(176,39,45,0.08)" },
      }],
    }, { notMerge: false, lazyUpdate: true });
  }

  // ---- countdown ------------------------------------------------------------------------------
  function tick() {
    const now = Date.now() + offset;
    let label = L.to_end;
    let target = null;
    if (st.state === "scheduled") { label = L.to_start; target = st.startMs; }
    else if (OPEN[st.state]) { target = st.endMs; }
    let text;
    if (target === null) {
      text = st.closed || ["sold", "unsold"].indexOf(st.state) >= 0 ? L.ended : L.not_running;
      label = "";
    } else {
      let left = Math.max(0, target - now);
      const urgent = OPEN[st.state] && left < 5 * 60 * 1000;
      els("countdown").forEach(function (el) { el.classList.toggle("urgent", urgent); });
      if (left === 0 && OPEN[st.state]) {
        text = "00:00:00";
        endPoll(); // the close is pushed, but never rely on one push: ask for the state
      } else if (left === 0 && st.state === "scheduled") {
        text = "00:00:00";
        drawAvailability(); // the start has passed: bids are taken (the first one opens bidding)
        endPoll(); // and the opening is pushed, but ask for the state as well
      } else {
        const d = Math.floor(left / 86400000); left -= d * 86400000;
        const h = Math.floor(left / 3600000); left -= h * 3600000;
        const mi = Math.floor(left / 60000); left -= mi * 60000;
        const s = Math.floor(left / 1000);
        text = (d ? d + L.days + " " : "") + pad(h) + ":" + pad(mi) + ":" + pad(s);
      }
    }
    setText("countdown_label", label);
    setText("countdown", text);
  }
  setInterval(tick, 250);
  let endPollTimer = null;
  function endPoll() {
    if (endPollTimer) return;
    endPollTimer = setTimeout(function () {
      endPollTimer = null;
      if (OPEN[st.state] || st.state === "scheduled") resync();
    }, 2000);
  }

  // ---- websocket ----------------------------------------------------------------------------
  function setConn(text, ok) {
    els("connection").forEach(function (el) {
      el.textContent = text;
      el.classList.toggle("ok", !!ok);
      el.classList.toggle("bad", !ok);
    });
  }
  function send(obj) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); return true; }
    return false;
  }
  function ping() { send({ type: "ping", t: Date.now() }); }
  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    setConn(retry ? L.reconnecting : L.connecting, false);
    ws = new WebSocket(proto + location.host + cfg.ws_path);
    ws.onopen = function () { retry = 0; setConn(L.connected, true); ping(); };
    ws.onmessage = function (ev) {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      switch (m.type) {
        case "snapshot": applySnapshot(m); break;
        case "state": case "extended": case "closed": applyUpdate(m); break;
        case "counts":
          if (m.watchers !== undefined) st.watchers = m.watchers;
          if (m.registrants !== undefined && m.registrants !== null) st.registrants = m.registrants;
          render(); break;
        case "pong":
          if (typeof m.t === "number") syncClock(m.server_ms, Date.now() - m.t);
          break;
        case "bid_accepted": onAccepted(m); break;
        case "unlocked": feedback(L.unlocked, true); break;
        case "unlock_refused": feedback(L.unlock_refused + (L.colon || "：") + (m.message || m.code), false); break;
        case "bid_rejected": onRejected(m); break;
        case "error":
          if (m.client_id && pending.has(m.client_id)) onRejected(m);
          else if (m.code === "auction_not_found") stopReconnect = true;
          break;
        default: break;
      }
    };
    ws.onclose = function (ev) {
      setConn(L.reconnecting, false);
      pending.clear(); setBusy(false);
      if (stopReconnect || ev.code === 4404) return;
      retry += 1;
      const delay = Math.min(15000, 500 * Math.pow(2, Math.min(retry, 5))) * (0.75 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }
  setInterval(ping, 10000);

  // ---- bidding --------------------------------------------------------------------------------
  const form = document.getElementById("bid-form");
  const amountEl = document.getElementById("bid-amount");
  const pwEl = document.getElementById("bid-password");
  const submitEl = document.getElementById("bid-submit");
  const feedbackEl = document.getElementById("bid-feedback");
  function feedback(text, ok) {
    if (!feedbackEl) return;
    feedbackEl.textContent = text;
    feedbackEl.className = "feedback " + (ok ? "ok" : "err");
  }
  let busyTimer = null;
  function setBusy(busy) {
    if (!submitEl) return;
    submitEl.disabled = busy;
    clearTimeout(busyTimer);
    if (busy) busyTimer = setTimeout(function () { submitEl.disabled = false; }, 10000);
  }
  function onAccepted(m) {
    pending.delete(m.client_id);
    setBusy(false);
    iBid = true;
    feedback(L.accepted + "：¥" + yuan(m.amount_fen) + "（#" + m.seq + "）", true);
    if (m.seq >= st.seq) {
      mergeBids([{ seq: m.seq, code: m.bidder_code, amount_fen: m.amount_fen, at: m.at }]);
      applyFields({ seq: m.seq, price_fen: m.amount_fen, leader_code: m.bidder_code, end_at: m.end_at, next_min_bid_fen: m.next_min_bid_fen });
      if (missing()) scheduleResync();
      render();
    }
    if (amountEl && st.next) amountEl.value = yuan(st.next);
  }
  function onRejected(m) {
    if (m.client_id) pending.delete(m.client_id);
    setBusy(false);
    feedback(L.rejected + (L.colon || "：") + (m.message || m.code), false);
    if (amountEl && m.next_min_bid_fen) amountEl.value = yuan(Math.max(m.next_min_bid_fen, st.next || 0));
  }
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      const amount = parseYuan(amountEl.value);
      if (amount === null || amount <= 0) { feedback(L.bad_amount, false); return; }
      const password = pwEl ? pwEl.value : "";
      if (!password) { feedback(L.need_password, false); pwEl && pwEl.focus(); return; }
      const clientId = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
      pending.set(clientId, amount);
      if (send({ type: "bid", amount_fen: amount, client_id: clientId, password: password })) {
        setBusy(true);
        feedback(L.sending, true);
      } else {
        pending.delete(clientId);
        feedback(L.reconnecting, false);
      }
    });
    // Unlock bidding once the password is typed: the server verifies it (the full hash of an
    // account password) now, not on the first bid; the session stays unlocked (issue 15).
    if (pwEl) pwEl.addEventListener("change", function () {
      if (pwEl.value) send({ type: "unlock", password: pwEl.value });
    });
    const fill = document.getElementById("bid-fill");
    if (fill) fill.addEventListener("click", function () { if (st.next) amountEl.value = yuan(st.next); });
    const plus = document.getElementById("bid-plus");
    if (plus) plus.addEventListener("click", function () {
      const cur = parseYuan(amountEl.value);
      const base = cur === null ? (st.next || st.start) : cur + st.inc;
      amountEl.value = yuan(Math.max(base, st.next || 0));
    });
  }

  // ---- start ----------------------------------------------------------------------------------
  mergeBids(cfg.history);
  applySnapshot(cfg.snapshot);
  connect();
})();
