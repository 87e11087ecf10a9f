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
