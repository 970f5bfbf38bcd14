/**
 * The operator/analyst console at `/`: a static shell (header, nav, sign-in form, main) whose
 * behaviour lives in ES modules under `/assets/console/` (console.assets.ts), one per view, loaded
 * without a build step. Everything is same-origin, so the CSP allows scripts, styles and
 * connections from 'self' only and no inline script at all.
 */
export const CONSOLE_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title data-i18n="app.title">storesense: console</title>
<link rel="stylesheet" href="/assets/console/console.css">
<script type="module" src="/assets/console/app.js"></script>
</head>
<body>
<header class="top">
  <a class="brand" href="#/overview" data-i18n="app.brand">storesense</a>
  <nav id="nav" aria-label="Console sections" data-i18n-label="app.navLabel"></nav>
  <span id="status" role="status" data-i18n="status.starting">starting</span>
  <span id="who"></span>
  <span id="tz" class="meta"></span>
  <span id="lang-slot"></span>
  <button id="logout" class="secondary" type="button" hidden data-i18n="app.signOut">Sign out</button>
</header>
<main id="main-wrap">
<section id="login-view" hidden aria-labelledby="login-title">
  <h1 id="login-title" data-i18n="login.title">Sign in</h1>
  <p class="meta" data-i18n="login.intro">Operators and analysts use this console; staff are sent to the staff view.</p>
  <form id="login">
    <label for="username" data-i18n="login.username">Username</label>
    <input id="username" name="username" autocomplete="username" required>
    <label for="password" data-i18n="login.password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit" data-i18n="login.submit">Sign in</button>
    <p id="error" class="error" role="alert"></p>
  </form>
</section>
<div id="app-view" hidden>
  <div id="main" tabindex="-1"></div>
</div>
</main>
<noscript>The console needs JavaScript; the API is at /api/v1 (see /api/v1/openapi.json). 控制台需要启用 JavaScript。</noscript>
</body>
</html>
`;

/**
 * Content-Security-Policy of the console: scripts and styles only from this origin (the modules
 * under /assets/console/), connections only to this origin (API and alert socket), never framed.
 * The session token sits in sessionStorage, so keeping foreign script out is what protects it.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
