// The inspector's HTML: plain pages, no external resources, so it works offline.

const STYLE = `
:root { font: 14px/1.45 system-ui, sans-serif; color: #1f2937; }
body { margin: 0; }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #111827; color: #f9fafb; }
header h1 { font-size: 1rem; margin: 0; }
#status { padding: .1rem .6rem; border-radius: 1rem; background: #374151; }
#status[data-state=connected] { background: #15803d; }
#status[data-state=reconnecting], #status[data-state=connecting] { background: #b45309; }
#status[data-state=offline] { background: #b91c1c; }
main { display: grid; grid-template-columns: 1fr 380px; gap: 1rem; padding: 1rem; }
#tree, #tree ul { list-style: none; margin: 0; padding-left: 1.2rem; }
#tree { padding-left: 0; }
.row { display: flex; gap: .5rem; align-items: baseline; padding: .1rem .3rem; border-radius: .3rem; }
.row:hover { background: #f3f4f6; }
.toggle { width: 1.4rem; border: 0; background: none; cursor: pointer; }
.key { font-weight: 600; }
.value { font-family: ui-monospace, monospace; color: #1d4ed8; white-space: pre-wrap; word-break: break-all; }
.meta { font-family: ui-monospace, monospace; color: #6b7280; font-size: .85em; }
.actions button, .more { font-size: .8em; margin-left: .2rem; }
.row[data-error]::after { content: attr(data-error); color: #b91c1c; font-size: .85em; }
.flash { animation: flash 1s ease-out; }
@keyframes flash { from { background: #fde68a; } to { background: transparent; } }
#messages { list-style: none; padding: 0; margin: 0 0 .5rem; }
#messages .error { color: #b91c1c; }
#connections h2, #connections h3 { margin: .4rem 0 .2rem; }
#connections h3 { font-size: .9rem; color: #6b7280; }
.chart { border: 1px solid #e5e7eb; width: 100%; }
.legend .connections { color: #2563eb; } .legend .writes { color: #ea580c; }
form.form { display: inline-flex; flex-wrap: wrap; gap: .3rem; align-items: baseline; }
form.form input[name=value] { min-width: 16rem; font-family: ui-monospace, monospace; }
form.form .problem { color: #b91c1c; font-size: .85em; }
`;

export const INSPECTOR_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>SocketDB inspector</title><style>${STYLE}</style></head>
<body>
<header><h1>SocketDB inspector</h1><span id="status">connecting</span></header>
<main>
<section><h2>Data</h2><ul id="messages"></ul><ul id="tree"></ul></section>
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
