// The inspector's HTML: plain pages, no external resources, so it works offline.

const STYLE = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --hover: #f3f4f6; --accent: #2563eb; --accent-soft: #dbeafe; --value: #1d4ed8; --danger: #b91c1c; --writes: #ea580c; --flash: #fde68a; --panel: #f9fafb;
  font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f172a; --fg: #e5e7eb; --muted: #94a3b8; --line: #334155; --hover: #1e293b; --accent: #60a5fa; --accent-soft: #1e3a5f; --value: #93c5fd; --danger: #f87171; --writes: #fb923c; --flash: #854d0e; --panel: #111827; }
}
body { margin: 0; background: var(--bg); }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #111827; color: #f9fafb; }
header h1 { font-size: 1rem; margin: 0; }
#status { padding: .1rem .6rem; border-radius: 1rem; background: #374151; font-size: .85rem; }
#status[data-state=connected] { background: #15803d; }
#status[data-state=reconnecting], #status[data-state=connecting] { background: #b45309; }
#status[data-state=offline] { background: #b91c1c; }
main { display: grid; grid-template-columns: minmax(0, 1fr) 400px; gap: 1rem; padding: 1rem; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
h2 { font-size: 1.05rem; margin: 0 0 .5rem; }
button { font: inherit; font-size: .8rem; color: var(--fg); background: var(--panel); border: 1px solid var(--line); border-radius: .35rem; padding: .1rem .5rem; cursor: pointer; }
button:hover { border-color: var(--accent); color: var(--accent); }
button:focus-visible, .row:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
input, select { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: .35rem; padding: .15rem .4rem; }
.toolbar { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: .5rem; }
.toolbar input[type=search] { flex: 1; min-width: 12rem; }
.toolbar .selected-label { color: var(--muted); font-size: .85rem; }
.toolbar .selected-label code { color: var(--fg); }
#results { list-style: none; margin: 0 0 .5rem; padding: .3rem; border: 1px solid var(--line); border-radius: .4rem; background: var(--panel); max-height: 14rem; overflow: auto; }
#results .summary { color: var(--muted); font-size: .85rem; padding: 0 .2rem .2rem; }
#results button.result { border: 0; background: none; font-family: ui-monospace, monospace; padding: .1rem .2rem; text-align: left; }
#tree, #tree ul { list-style: none; margin: 0; padding-left: 1.2rem; }
#tree { padding-left: 0; }
.row { display: flex; gap: .5rem; align-items: baseline; padding: .1rem .3rem; border-radius: .3rem; outline: none; }
.row:hover { background: var(--hover); }
.row.selected { background: var(--accent-soft); }
.toggle { width: 1.4rem; border: 0; background: none; padding: 0; color: var(--muted); }
.key { font-weight: 600; }
.type { font-size: .7rem; color: var(--muted); border: 1px solid var(--line); border-radius: .6rem; padding: 0 .35rem; }
.type:empty { display: none; }
.value { font-family: ui-monospace, monospace; color: var(--value); white-space: pre-wrap; word-break: break-all; }
.meta { font-family: ui-monospace, monospace; color: var(--muted); font-size: .85em; }
.actions { display: inline-flex; gap: .25rem; opacity: 0; transition: opacity .1s; }
.row:hover .actions, .row:focus-within .actions, .row.selected .actions { opacity: 1; }
li.pinned > .row .key::after { content: " (beyond the page shown)"; font-weight: normal; color: var(--muted); font-size: .8em; }
.row[data-error]::after { content: attr(data-error); color: var(--danger); font-size: .85em; }
.flash { animation: flash 1s ease-out; }
@keyframes flash { from { background: var(--flash); } }
#messages { list-style: none; padding: 0; margin: 0 0 .5rem; }
#messages .error { color: var(--danger); }
#connections { background: var(--panel); border: 1px solid var(--line); border-radius: .5rem; padding: .5rem .8rem; }
#connections h3 { margin: .6rem 0 .2rem; font-size: .85rem; color: var(--muted); font-weight: 600; }
#connections ul { margin: 0; padding-left: 1.1rem; }
#connections li.none, #connections .note { color: var(--muted); font-size: .85rem; list-style: none; margin-left: -1.1rem; }
.chart { width: 100%; height: auto; display: block; }
.chart .axis { stroke: var(--muted); stroke-width: 1; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .tick { fill: var(--muted); font-size: 10px; }
.chart .series { fill: none; stroke-width: 2; }
.chart .series.connections { stroke: var(--accent); }
.chart .series.writes { stroke: var(--writes); }
.legend { font-size: .8rem; margin: .2rem 0; }
.legend .connections { color: var(--accent); } .legend .writes { color: var(--writes); }
.connection-list { width: 100%; border-collapse: collapse; font-size: .8rem; }
.connection-list th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); }
.connection-list td { border-bottom: 1px solid var(--line); padding: .1rem .2rem; word-break: break-all; }
form.form { display: inline-flex; flex-wrap: wrap; gap: .3rem; align-items: baseline; }
form.form input[name=value] { min-width: 16rem; font-family: ui-monospace, monospace; }
form.form .problem { color: var(--danger); font-size: .85em; }
`;

export const INSPECTOR_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>SocketDB inspector</title><style>${STYLE}</style></head>
<body>
<header><h1>SocketDB inspector</h1><span id="status">connecting</span></header>
<main>
<section><h2>Data</h2>
<div class="toolbar">
<input type="search" id="search" placeholder="find keys and values under the selected node" aria-label="find keys and values under the selected node">
<span class="selected-label">selected: <code id="selected">(root)</code></span>
<button type="button" id="export" title="download the selected node as JSON">export JSON</button>
<button type="button" id="import" title="write a JSON file into the selected node">import JSON</button>
<input type="file" id="import-file" accept="application/json,.json" hidden>
</div>
<ul id="results" hidden></ul><ul id="messages"></ul><ul id="tree" role="tree"></ul></section>
<aside id="connections"><h2>Connections</h2></aside>
</main>
<script type="module" src="/inspector.js"></script>
</body></html>`;

export const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SocketDB inspector: log in</title><style>${STYLE}</style></head>
<body>
<header><h1>SocketDB inspector</h1></header>
<main><form method="post" action="/inspector/session">
<p>This server asks for its token (the one it was started with, from <code>SOCKETDB_TOKEN</code> or <code>--token-file</code>).</p>
<input type="password" name="token" autocomplete="current-password" placeholder="token" required>
<button type="submit">open the inspector</button>
</form></main>
</body></html>`;
