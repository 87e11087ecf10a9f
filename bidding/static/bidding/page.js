/*
 * The auction page's furniture (no live data here; that is auction.js): the information tabs,
 * the photo/video lightbox on a native <dialog>, and the bottom bar's "go to the bid box".
 * Without this script the tabs read one after another and every photo is a plain link.
 */
(function () {
  "use strict";

  // ---- tabs (WAI-ARIA tabs: arrow keys move, Home/End jump) ---------------------------------
  const list = document.querySelector("[data-tablist]");
  if (list) {
    const links = Array.from(list.querySelectorAll("a[href^='#']"));
    const panels = links.map(function (a) { return document.getElementById(a.getAttribute("href").slice(1)); });
    list.setAttribute("role", "tablist");
    function select(i, focus) {
      links.forEach(function (a, j) {
        const on = i === j;
        a.setAttribute("aria-selected", on ? "true" : "false");
        a.tabIndex = on ? 0 : -1;
        if (panels[j]) panels[j].hidden = !on;
      });
      if (focus) links[i].focus();
    }
    links.forEach(function (a, i) {
      const panel = panels[i];
      a.setAttribute("role", "tab");
      a.id = a.id || "tab-link-" + i;
      if (panel) {
        a.setAttribute("aria-controls", panel.id);
        panel.setAttribute("role", "tabpanel");
        panel.setAttribute("aria-labelledby", a.id);
        panel.tabIndex = 0;
      }
      a.addEventListener("click", function (ev) { ev.preventDefault(); select(i, false); });
      a.addEventListener("keydown", function (ev) {
        let k = null;
        if (ev.key === "ArrowRight") k = (i + 1) % links.length;
        else if (ev.key === "ArrowLeft") k = (i - 1 + links.length) % links.length;
        else if (ev.key === "Home") k = 0;
        else if (ev.key === "End") k = links.length - 1;
        if (k !== null) { ev.preventDefault(); select(k, true); }
      });
    });
    const wanted = panels.findIndex(function (p) { return p && location.hash === "#" + p.id; });
    select(wanted >= 0 ? wanted : 0, false);
    if (wanted >= 0) list.scrollIntoView();
  }

  // ---- lightbox -------------------------------------------------------------------------------
  const dataEl = document.getElementById("gallery-data");
  const dialog = document.getElementById("lightbox");
  if (dataEl && dialog && typeof dialog.showModal === "function") {
    const media = JSON.parse(dataEl.textContent);
    const stage = dialog.querySelector(".lb-stage");
    const caption = dialog.querySelector(".lb-caption");
    let at = 0;
    function show(i) {
      at = (i + media.length) % media.length;
      const m = media[at];
      let el;
      if (m.video) {
        el = document.createElement("video");
        el.controls = true;
        el.preload = "metadata";
      } else {
        el = document.createElement("img");
        el.alt = m.title;
      }
      el.src = m.url;
      stage.replaceChildren(el);
      caption.textContent = (at + 1) + " / " + media.length + " · " + m.title;
    }
    document.querySelectorAll(".gallery-open").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        show(parseInt(a.dataset.index || "0", 10));
        dialog.showModal();
      });
    });
    dialog.querySelector(".lb-prev").addEventListener("click", function () { show(at - 1); });
    dialog.querySelector(".lb-next").addEventListener("click", function () { show(at + 1); });
    dialog.querySelector(".lb-close").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("click", function (ev) { if (ev.target === dialog) dialog.close(); });
    dialog.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowRight") show(at + 1);
      else if (ev.key === "ArrowLeft") show(at - 1);
    });
    dialog.addEventListener("close", function () { stage.replaceChildren(); });
    const nav = dialog.querySelector(".lb-nav");
    if (media.length < 2) nav.querySelectorAll(".lb-prev, .lb-next").forEach(function (b) { b.hidden = true; });
  }

  // ---- "go to the bid box" keeps the focus where the person acts ------------------------------
  document.querySelectorAll("a[data-focus]").forEach(function (a) {
    a.addEventListener("click", function () {
      const id = a.dataset.focus;
      const target = id && document.getElementById(id);
      if (target && !target.disabled) setTimeout(function () { target.focus(); }, 0);
    });
  });
})();
