/**
 * The dashboard's assets, held as values so they ship inside the package (no CDN, no file to find at run
 * time): one stylesheet, a tiny theme script loaded first (no flash of the wrong theme), the page script
 * (theme and time switches, drag and drop on Try it) and the icon.
 */

export const CSS = `
:root {
  color-scheme: light;
  --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa;
  --link: #0550ae; --focus: #0969da;
  --bad: #b42318; --bad-bg: #fde8e6; --warn: #7a4d00; --warn-bg: #fff4d6;
  --good: #116329; --good-bg: #e3f6e8; --info: #0550ae; --info-bg: #e5f0ff;
  --bar: #0969da; --bar2: #b42318;
}
:root[data-theme="dark"] {
  color-scheme: dark;
  --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --panel: #161b22;
  --link: #6cb6ff; --focus: #6cb6ff;
  --bad: #ff8e86; --bad-bg: #3a1414; --warn: #e3b341; --warn-bg: #33270a;
  --good: #56d364; --good-bg: #0f2e17; --info: #6cb6ff; --info-bg: #0c2340;
  --bar: #6cb6ff; --bar2: #ff8e86;
}
@media (prefers-color-scheme: dark) {
  :root:not([data-theme="light"]) {
    color-scheme: dark;
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --panel: #161b22;
    --link: #6cb6ff; --focus: #6cb6ff;
    --bad: #ff8e86; --bad-bg: #3a1414; --warn: #e3b341; --warn-bg: #33270a;
    --good: #56d364; --good-bg: #0f2e17; --info: #6cb6ff; --info-bg: #0c2340;
    --bar: #6cb6ff; --bar2: #ff8e86;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--link); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--panel); padding: .5em 1em; }
.skip:focus { left: .5em; z-index: 10; }
header.top { display: flex; flex-wrap: wrap; gap: .5em 1.5em; align-items: center; padding: .6em 1.2em; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { font-weight: 700; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .2em .9em; margin: 0; padding: 0; }
nav a { text-decoration: none; padding: .2em .1em; }
nav a[aria-current="page"] { font-weight: 700; text-decoration: underline; text-underline-offset: 4px; }
.switches { margin-left: auto; display: flex; gap: .5em; }
button, .button, input, select { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--muted); border-radius: 6px; padding: .3em .7em; }
button, .button { cursor: pointer; text-decoration: none; display: inline-block; }
button:hover, .button:hover { background: var(--panel); }
main { padding: 1em 1.2em 2em; max-width: 1400px; }
main:focus { outline: none; }
h1 { font-size: 1.5em; margin: .2em 0 .6em; }
h2 { font-size: 1.15em; margin: 1.4em 0 .5em; }
footer { padding: 1em 1.2em; color: var(--muted); border-top: 1px solid var(--line); font-size: .9em; }
.muted { color: var(--muted); }
.banner { margin: 0; padding: .7em 1.2em; background: var(--warn-bg); color: var(--fg); border-bottom: 1px solid var(--warn); }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: .8em; padding: 0; margin: 0; list-style: none; }
.tile { display: block; border: 1px solid var(--line); border-radius: 10px; padding: .8em 1em; background: var(--panel); color: var(--fg); text-decoration: none; }
.tile:hover { border-color: var(--focus); }
.tile .n { display: block; font-size: 1.9em; font-weight: 700; line-height: 1.2; }
.tile .l { display: block; color: var(--muted); }
.badge { display: inline-block; padding: 0 .45em; border-radius: 999px; font-weight: 600; white-space: nowrap; border: 1px solid currentColor; }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.good { color: var(--good); background: var(--good-bg); }
.badge.info { color: var(--info); background: var(--info-bg); }
table { border-collapse: collapse; width: 100%; font-size: .93em; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; word-break: break-all; }
.wrap { overflow-x: auto; }
td.nw { white-space: nowrap; }
td.mono.nw { font-size: .8em; }
td.hash { max-width: 8em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: .8em; word-break: normal; }
form.filters { display: flex; flex-wrap: wrap; gap: .6em 1em; align-items: end; margin-bottom: 1em; }
form.filters label { display: flex; flex-direction: column; font-size: .9em; color: var(--muted); }
.actions { display: flex; flex-wrap: wrap; gap: .6em; align-items: center; margin: .6em 0; }
svg.chart { max-width: 100%; height: auto; }
svg.chart text { fill: var(--fg); font: 12px system-ui, sans-serif; }
svg.chart .bar { fill: var(--bar); }
svg.chart .bar.hot { fill: var(--bar2); }
svg.chart .axis { stroke: var(--muted); }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.4em; margin: .2em 0; border-left: 1px dashed var(--line); }
ul.tree { border-left: none; padding-left: 0; }
ul.tree li { margin: .25em 0; }
.drop { border: 2px dashed var(--muted); border-radius: 12px; padding: 1.2em; background: var(--panel); }
.drop.over { border-color: var(--focus); background: var(--info-bg); }
textarea { width: 100%; min-height: 7em; font: .85em ui-monospace, monospace; color: var(--fg); background: var(--bg); border: 1px solid var(--muted); border-radius: 6px; }
.result { margin-top: 1em; }
.result:empty { display: none; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1.5em; }
.pager { display: flex; gap: 1em; align-items: center; margin: .8em 0; }
@media (prefers-reduced-motion: no-preference) {
  .tile, button, .button, .drop { transition: border-color .15s, background-color .15s; }
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { transition: none !important; animation: none !important; scroll-behavior: auto !important; }
}
`;

/** Runs before the page paints: the stored theme choice (auto, light, dark). */
export const THEME_JS = `(function(){try{var t=localStorage.getItem("smimetrust-theme");if(t==="light"||t==="dark")document.documentElement.dataset.theme=t;}catch(e){}})();`;

export const APP_JS = `"use strict";
(function () {
  var root = document.documentElement;
  function store(k, v) { try { if (v === null) localStorage.removeItem(k); else localStorage.setItem(k, v); } catch (e) {} }
  function load(k) { try { return localStorage.getItem(k); } catch (e) { return null; } }

  // Theme: auto (the system's prefers-color-scheme), light, dark.
  var themeBtn = document.getElementById("theme-toggle");
  function showTheme() { if (themeBtn) themeBtn.textContent = "Theme: " + (root.dataset.theme || "auto"); }
  if (themeBtn) themeBtn.addEventListener("click", function () {
    var next = { auto: "light", light: "dark", dark: "auto" }[root.dataset.theme || "auto"];
    if (next === "auto") { delete root.dataset.theme; store("smimetrust-theme", null); }
    else { root.dataset.theme = next; store("smimetrust-theme", next); }
    showTheme();
  });
  showTheme();

  // Times: UTC as served, or this browser's local time.
  var timeBtn = document.getElementById("time-toggle");
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function showTimes() {
    var local = load("smimetrust-time") === "local";
    var zone = "UTC";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local"; } catch (e) { zone = "local"; }
    document.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      var dateOnly = t.hasAttribute("data-date");
      if (!local) { var iso = d.toISOString(); t.textContent = dateOnly ? iso.slice(0, 10) : iso.slice(0, 10) + " " + iso.slice(11, 19) + " UTC"; return; }
      var s = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
      t.textContent = dateOnly ? s : s + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    });
    document.querySelectorAll(".tz-label").forEach(function (e) { e.textContent = local ? "local time (" + zone + ")" : "UTC"; });
    if (timeBtn) timeBtn.textContent = local ? "Times: local" : "Times: UTC";
  }
  if (timeBtn) timeBtn.addEventListener("click", function () {
    store("smimetrust-time", load("smimetrust-time") === "local" ? null : "local");
    showTimes();
  });
  if (load("smimetrust-time") === "local") showTimes();

  // Try it: drop zones post their files (or the pasted text) and show the answer.
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function wire(form) {
    var zone = form.querySelector(".drop");
    var input = form.querySelector("input[type=file]");
    var out = document.getElementById(form.getAttribute("data-result"));
    var dropped = null;
    if (zone) {
      zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("over"); });
      zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
      zone.addEventListener("drop", function (e) {
        e.preventDefault(); zone.classList.remove("over");
        dropped = e.dataTransfer && e.dataTransfer.files;
        if (dropped && dropped.length) send();
      });
    }
    form.addEventListener("submit", function (e) { e.preventDefault(); dropped = null; send(); });
    function send() {
      var fd = new FormData();
      var files = dropped && dropped.length ? dropped : input.files;
      for (var i = 0; i < files.length; i++) fd.append("file", files[i], files[i].name);
      var paste = form.querySelector("textarea");
      if (paste && paste.value.trim()) fd.append("text", paste.value);
      var extra = form.querySelectorAll("input[type=checkbox]");
      extra.forEach(function (c) { if (c.checked) fd.append(c.name, "1"); });
      out.innerHTML = "<p>Working…</p>";
      fetch(form.getAttribute("data-api"), { method: "POST", body: fd, headers: { "x-fragment": "1" } })
        .then(function (r) { return r.text(); })
        .then(function (t) { out.innerHTML = t; var h = out.querySelector("h2,h3"); if (h) { h.tabIndex = -1; h.focus(); } })
        .catch(function (e) { out.innerHTML = "<p>" + esc(e.message) + "</p>"; });
    }
  }
  document.querySelectorAll("form[data-api]").forEach(wire);
})();
`;

export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0969da"/><path d="M4 8.5l2.5 2.5L12 5" stroke="#fff" stroke-width="2" fill="none"/></svg>`;
