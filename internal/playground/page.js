// The playground's page: tabs, taps, chat, events, and the fragments kept
// current by polling /_/state.
(function () {
  "use strict";
  let version = -1;
  const $ = (id) => document.getElementById(id);

  function showTab(name) {
    document.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("on", b.dataset.tab === name));
    document.querySelectorAll(".pane").forEach((p) => p.classList.toggle("on", p.id === "pane-" + name));
    $("pane-log").classList.toggle("on", name === "log");
  }
  document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));

  let toastTimer;
  function toast(text, error) {
    const t = $("toast");
    t.textContent = text;
    t.className = error ? "error" : "";
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 6000);
  }

  // outcome does what Divar does with a tap's outcome: open the page (the
  // web view), show the text, or the error.
  function outcome(o) {
    if (o.error) toast(o.error, true);
    else if (o.toast) toast(o.toast, false);
    if (o.open) setTimeout(() => { window.location.assign(o.open); }, o.toast ? 800 : 0);
    refresh();
  }

  async function post(url, body, type) {
    const r = await fetch(url, { method: "POST", body: body, headers: { "Content-Type": type } });
    if (!r.ok) { toast(await r.text(), true); return null; }
    return r.json();
  }

  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-tap]");
    if (!b) return;
    ev.preventDefault();
    if (b.closest(".refused")) { // Divar does not show what it refused
      toast("دیوار این را نپذیرفته و نشان نمی‌دهد؛ دکمه‌اش کاری نمی‌کند.", true);
      return;
    }
    const placeEl = b.closest("[data-place]");
    const place = placeEl ? placeEl.dataset.place : "post";
    b.disabled = true;
    try {
      const o = await post("/_/tap?place=" + place, b.dataset.tap, "application/json");
      if (o) outcome(o);
    } finally { b.disabled = false; }
  });

  async function send(to, text) {
    const o = await post("/_/chat", new URLSearchParams({ to: to, text: text }), "application/x-www-form-urlencoded");
    if (o) outcome(o);
  }
  $("bot-start").addEventListener("click", () => send("bot", $("bot-start").dataset.start));
  document.querySelectorAll(".composer").forEach((f) => f.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = f.querySelector("input");
    if (input.value.trim() === "") return;
    send(f.dataset.to, input.value);
    input.value = "";
  }));
  document.querySelectorAll("form.event").forEach((f) => f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new URLSearchParams(new FormData(f));
    data.set("type", f.dataset.type);
    const o = await post("/_/event", data, "application/x-www-form-urlencoded");
    if (o) outcome(o);
  }));

  async function refresh() {
    let r;
    try { r = await fetch("/_/state?v=" + version, { cache: "no-store" }); } catch (e) { return; }
    if (r.status !== 200) return;
    const s = await r.json();
    const open = new Set([...document.querySelectorAll("#log details[open]")].map((d) => d.dataset.id));
    for (const part of ["post", "bot", "conv", "log"]) $(part).innerHTML = s[part];
    open.forEach((id) => { const d = document.querySelector('#log details[data-id="' + id + '"]'); if (d) d.open = true; });
    version = s.v;
    document.body.dataset.version = s.v;
  }
  refresh();
  setInterval(refresh, 700);
})();
