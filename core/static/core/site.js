/* The site's header on a phone: the navigation folds behind the menu button (no script: it
 * stays open). Escape closes it and gives the focus back to the button. */
(function () {
  "use strict";
  const bar = document.querySelector("header.topbar");
  const btn = document.getElementById("menu-btn");
  const nav = document.getElementById("site-nav");
  if (!bar || !btn || !nav) return;
  bar.classList.add("collapsible");
  btn.hidden = false;
  function set(open) {
    bar.classList.toggle("open", open);
    btn.setAttribute("aria-expanded", open ? "true" : "false");
  }
  btn.addEventListener("click", function () { set(!bar.classList.contains("open")); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && bar.classList.contains("open")) { set(false); btn.focus(); }
  });
})();

/* A wide table scrolls inside itself or its .table-wrap on a phone, never the page: such a
 * region takes the keyboard focus (tabindex 0) while it overflows, so arrow keys scroll it
 * (WCAG 2.1.1; axe's scrollable-region-focusable). */
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll("main table, main .table-wrap").forEach(function (el) {
      const scrolls = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible";
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.dataset.scrollFocus = "1";
      } else if (!scrolls && el.dataset.scrollFocus) {
        el.removeAttribute("tabindex");
        delete el.dataset.scrollFocus;
      }
    });
  }
  let timer = 0;
  window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(mark, 100); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mark);
  else mark();
})();
