/**
 * The staff view at `/staff`, made for a phone: a static shell whose behaviour is the module
 * `/assets/console/staff.js` (cloud/browser/staff.ts) and whose style is `/assets/console/staff.css`.
 * Same-origin only, so the CSP allows scripts, styles and connections from 'self' and no inline
 * script or style at all.
 */
export const STAFF_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title data-i18n="staff.title">storesense: staff alerts</title>
<meta name="theme-color" content="#0b5cad">
<link rel="manifest" href="/staff.webmanifest">
<link rel="icon" href="/assets/console/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/console/staff.css">
<script type="module" src="/assets/console/staff.js"></script>
</head>
<body>
<header><h1 data-i18n="staff.heading">Staff alerts</h1><span id="status" role="status" data-i18n="status.signedOut">signed out</span><span id="lang-slot"></span></header>
<main>
<section id="login-view">
  <form id="login">
    <input id="username" name="username" autocomplete="username" placeholder="username" aria-label="Username" data-i18n-placeholder="staff.usernamePlaceholder" data-i18n-label="login.username" required>
    <input id="password" name="password" type="password" autocomplete="current-password" placeholder="password" aria-label="Password" data-i18n-placeholder="staff.passwordPlaceholder" data-i18n-label="login.password" required>
    <button type="submit" data-i18n="login.submit">Sign in</button>
    <div id="error" role="alert"></div>
  </form>
</section>
<section id="alerts-view" hidden>
  <p id="offline" class="offline" role="alert" hidden data-i18n="staff.offline">Offline: alerts may be out of date. Reconnecting…</p>
  <div class="bar">
    <span id="who"></span><a id="console-link" href="/" hidden data-i18n="staff.consoleLink">console</a><button id="notify" class="secondary" type="button" aria-pressed="false" data-i18n="staff.notifyOff">Sound and notifications: off</button><button id="logout" class="secondary" type="button" data-i18n="app.signOut">Sign out</button>
  </div>
  <ul id="alerts"><li class="meta empty" data-i18n="staff.noAlerts">No alerts yet.</li></ul>
</section>
</main>
</body>
</html>
`;

/** The staff page's style sheet, served as `/assets/console/staff.css`. */
export const STAFF_CSS = `/* Colours for both system themes; every text pair meets WCAG AA (axe-core checks both in the browser tests). */
:root { font-family: system-ui, sans-serif; color-scheme: light dark;
  --bg: #fff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa; --btn: #0b5cad; --ok: #1a7f37; --on-ok: #fff;
  --warn: #9a6700; --bad: #c62828; --status: #57606a; --flash: #d4a017; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --panel: #161b22; --btn: #1f6feb; --ok: #3fb950; --on-ok: #0d1117;
    --warn: #d29922; --bad: #f85149; --status: #30363d; }
}
body { margin: 0; padding: 12px; max-width: 640px; margin-inline: auto; background: var(--bg); color: var(--fg); }
a { color: var(--btn); }
header { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; justify-content: space-between; margin-bottom: 10px; }
h1 { font-size: 1.15rem; margin: 0; }
#status { font-size: .8rem; padding: 2px 8px; border-radius: 10px; background: var(--status); color: #fff; }
#status.live { background: #1a7f37; }
#who { font-size: .85rem; color: var(--muted); }
#lang { padding: 4px 6px; font-size: .85rem; }
form { display: grid; gap: 10px; margin-top: 24px; }
input, button, select { font: inherit; padding: 12px; border-radius: 8px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); max-width: 100%; }
button { cursor: pointer; background: var(--btn); color: #fff; border: none; min-height: 44px; }
button:disabled { cursor: default; background: var(--muted); }
button.secondary { background: transparent; color: inherit; border: 1px solid var(--line); padding: 6px 10px; min-height: 32px; }
#error { color: var(--bad); min-height: 1.2em; }
ul { list-style: none; padding: 0; margin: 0; }
li.alert { border: 1px solid var(--line); border-left: 6px solid var(--flash); border-radius: 8px; padding: 10px; margin-bottom: 8px; }
li.alert.claimed { border-left-color: var(--btn); }
li.alert.acked { border-left-color: var(--ok); background: var(--panel); color: var(--muted); }
li.alert.retired { border-left-color: var(--muted); background: var(--panel); color: var(--muted); }
li.alert.fresh { animation: flash 1.5s ease-out; }
@keyframes flash { from { box-shadow: 0 0 0 4px var(--flash); } to { box-shadow: 0 0 0 0 transparent; } }
@media (prefers-reduced-motion: reduce) { li.alert.fresh { animation: none; } }
.msg { font-weight: 600; }
.where { font-size: .9rem; margin-top: 2px; }
.meta, .claimed-by { font-size: .85rem; color: var(--muted); margin-top: 4px; }
.claimed-by { font-weight: 600; color: inherit; }
ol.stages { display: flex; flex-wrap: wrap; gap: 4px; list-style: none; padding: 0; margin: 6px 0 0; font-size: .8rem; }
ol.stages li { padding: 1px 8px; border-radius: 10px; border: 1px solid var(--line); }
ol.stages li.done { border-color: var(--ok); }
ol.stages li.now { background: var(--ok); border-color: var(--ok); color: var(--on-ok); font-weight: 600; }
li.alert.retired ol.stages li.now, li.alert.acked ol.stages li.now { background: var(--muted); border-color: var(--muted); color: var(--bg); }
.retired-note { font-size: .85rem; font-weight: 600; margin-top: 4px; }
.actions { display: flex; gap: 8px; margin-top: 8px; }
.actions button { flex: 1; }
.note { font-size: .85rem; color: var(--bad); margin-top: 4px; }
.note.retrying { color: inherit; font-weight: 600; }
.summary { font-size: .85rem; margin-top: 4px; }
.rec { margin-top: 6px; padding: 6px 8px; border-radius: 6px; background: var(--panel); font-size: .9rem; overflow-wrap: anywhere; }
.rec-headline { font-weight: 600; }
.rec ul { margin: 4px 0 0; padding-left: 18px; list-style: disc; }
.bar { display: flex; flex-wrap: wrap; gap: 8px; justify-content: space-between; align-items: center; margin-bottom: 8px; }
.offline { background: #c62828; color: #fff; padding: 8px 10px; border-radius: 8px; margin: 0 0 8px; font-weight: 600; }
[hidden] { display: none !important; }
`;

/**
 * Content-Security-Policy of the staff page: only its own module, style sheet, manifest and worker load, it talks
 * only to its own origin, and no other site may frame it (a framed Claim button is clickjacking).
 * The session token sits in sessionStorage, so keeping foreign script out is what protects it.
 */
export const STAFF_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
