/**
 * The console's stylesheet, served as `/assets/console/console.css`. Colours are variables with a
 * dark set under `prefers-color-scheme: dark`, so the console follows the system theme; status
 * colours keep enough contrast on both.
 */
export const CONSOLE_CSS = /* css */ `
:root { font-family: system-ui, sans-serif; color-scheme: light dark;
  --bg: #fff; --fg: #1b1f24; --muted: #59636e; --line: #d0d7de; --panel: #f6f8fa; --accent: #0b5cad;
  --ok: #1a7f37; --warn: #9a6700; --bad: #c62828; --idle: #6e7781; --ok-bg: #dafbe1; --warn-bg: #fff8c5; --bad-bg: #ffebe9;
  --btn: #0b5cad; --status: #57606a; --live: #1a7f37; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --panel: #161b22; --accent: #4493f8;
    --ok: #3fb950; --warn: #d29922; --bad: #f85149; --idle: #8b949e; --ok-bg: #12261e; --warn-bg: #272115; --bad-bg: #2d1517;
    --btn: #1f6feb; --status: #30363d; --live: #1a7f37; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
header.top { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; padding: 8px 14px; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { font-weight: 700; font-size: 1.1rem; color: var(--fg); text-decoration: none; }
nav#nav { display: flex; flex-wrap: wrap; gap: 4px; flex: 1; }
nav#nav a { padding: 6px 10px; border-radius: 6px; text-decoration: none; color: var(--fg); }
nav#nav a[aria-current=page] { background: var(--btn); color: #fff; }
nav#nav a.aside { margin-left: auto; color: var(--muted); }
#status { font-size: .8rem; padding: 2px 8px; border-radius: 10px; background: var(--status); color: #fff; }
#status.live { background: var(--live); }
#who, #tz { font-size: .85rem; color: var(--muted); }
#lang { padding: 3px 6px; font-size: .85rem; }
main { padding: 12px 14px 40px; max-width: 1200px; margin-inline: auto; }
h1 { font-size: 1.25rem; margin: 14px 0 8px; display: flex; flex-wrap: wrap; gap: 8px; align-items: baseline; }
h2 { font-size: 1.1rem; margin: 18px 0 8px; }
h3 { font-size: 1rem; margin: 14px 0 6px; display: flex; gap: 8px; align-items: center; }
.meta { font-size: .8rem; color: var(--muted); }
.error { color: var(--bad); }
.ok-text { color: var(--ok); } .warn-text { color: var(--warn); }
button, .button, input, select, textarea { font: inherit; }
button, .button { cursor: pointer; background: var(--btn); color: #fff; border: none; border-radius: 6px; padding: 7px 12px; text-decoration: none; display: inline-block; }
button.secondary { background: transparent; color: var(--fg); border: 1px solid var(--line); }
button.danger { color: var(--bad); border-color: var(--bad); }
button:disabled { opacity: .5; cursor: default; }
input, select, textarea { background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; }
textarea { width: 100%; font-family: ui-monospace, monospace; font-size: .85rem; }
/* Nothing wider than a phone: form controls shrink with their column (fieldsets default to min-content). */
input, select, textarea { max-width: 100%; min-width: 0; }
fieldset { min-width: 0; }
.inline-form > * { max-width: 100%; }
.field .pair input { flex: 1; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
[aria-invalid=true] { border-color: var(--bad); }
[hidden] { display: none !important; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: .85rem; }
th, td { text-align: left; padding: 5px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
tr.gw.bad td { background: var(--bad-bg); } tr.gw.warn td { background: var(--warn-bg); }
tr.disabled td { opacity: .6; }
section.site.stale { filter: grayscale(1); }
.chip { display: inline-block; font-size: .75rem; padding: 1px 7px; border-radius: 9px; margin: 1px 3px 1px 0; border: 1px solid currentColor; white-space: nowrap; }
.chip.ok { color: var(--ok); } .chip.warn { color: var(--warn); } .chip.bad { color: var(--bad); } .chip.idle { color: var(--idle); }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 8px; margin-bottom: 10px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; overflow-wrap: anywhere; }
.tile b { display: block; font-size: 1.2rem; }
.tile span { font-size: .75rem; color: var(--muted); }
.tile.ok b { color: var(--ok); } .tile.bad b { color: var(--bad); }
.panel { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; margin: 10px 0; background: var(--panel); }
.recommendation ul { margin: 6px 0 0; padding-left: 18px; }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(340px, 100%), 1fr)); gap: 16px; }
ul.alerts { list-style: none; padding: 0; margin: 0; }
li.alert { border: 1px solid var(--line); border-left: 6px solid var(--warn); border-radius: 6px; padding: 8px 10px; margin-bottom: 6px; }
li.alert.arrival { border-left-color: var(--ok); }
li.alert.acked { opacity: .6; }
.msg { font-weight: 600; }
li.alert .rec-headline { font-size: .85rem; margin-top: 2px; }
.inline-form { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
.pager { display: flex; gap: 10px; align-items: center; margin-top: 8px; }
.title-row { display: flex; justify-content: space-between; align-items: center; }
.rule-form { display: grid; grid-template-columns: minmax(0, 1fr); gap: 10px; max-width: 720px; }
.field { display: grid; grid-template-columns: minmax(0, 1fr); gap: 3px; overflow-wrap: anywhere; }
.field label { font-weight: 600; font-size: .9rem; }
.field .pair { display: flex; gap: 8px; }
.checks { display: flex; flex-wrap: wrap; gap: 4px 14px; border: 1px solid var(--line); border-radius: 6px; }
.checks label { font-weight: 400; }
.field-error { color: var(--bad); font-size: .85rem; margin: 0; }
.field-error .issue, .field-error .warning { display: block; }
.field-error .warning { color: var(--warn); }
.buttons { display: flex; gap: 12px; align-items: center; }
#login-view { max-width: 360px; margin: 48px auto; padding: 0 14px; }
#login { display: grid; gap: 10px; }
#login input, #login button { padding: 10px; }
#analytics .charts, .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(380px, 100%), 1fr)); gap: 12px; }
figure { margin: 0; max-width: 640px; border: 1px solid var(--line); border-radius: 6px; padding: 6px; }
figcaption { font-size: .8rem; font-weight: 600; margin-bottom: 4px; }
figure svg { width: 100%; height: auto; font-size: 10px; }
figure svg text { fill: currentColor; }
.c-appr { fill: #9aa7b8; } .c-arr { fill: var(--ok); } .c-dwell { fill: #d4a017; } .c-flow { fill: #3b6fd4; }
.map-bar { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin-bottom: 8px; }
.map-bar select { max-width: 100%; min-width: 0; }
.map-floors, .map-modes { display: flex; flex-wrap: wrap; gap: 4px; }
.map-floor[aria-current=page], .map-modes button[aria-pressed=true] { background: var(--btn); color: #fff; border-color: var(--btn); }
.map-playback { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 6px 0; }
.map-playback input[type=range] { flex: 1 1 240px; min-width: 0; }
.map-wrap { display: grid; grid-template-columns: minmax(0, 1fr) 220px; gap: 12px; align-items: start; }
.map-svg { width: 100%; height: auto; max-height: 70vh; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
.map-store { fill: var(--bg); stroke: var(--fg); }
.map-zone { stroke: var(--muted); stroke-dasharray: .4 .3; }
.map-zone:focus-visible, .map-rx:focus-visible, .map-store:focus-visible, .map-entrance:focus-visible { outline: none; stroke: var(--accent); stroke-width: .4; }
.map-label { fill: var(--fg); stroke: var(--bg); stroke-width: .25; paint-order: stroke; }
.map-count { fill: var(--fg); stroke: var(--bg); stroke-width: .3; paint-order: stroke; font-weight: 700; }
.map-entrance { fill: var(--accent); }
.map-rx { stroke: var(--bg); } .rx-ok { fill: var(--ok); } .rx-degraded { fill: var(--warn); } .rx-stale { fill: var(--warn); } .rx-offline { fill: var(--bad); } .rx-unknown { fill: var(--idle); }
.map-legend ul, ul.map-stores { list-style: none; padding: 0; margin: 0; font-size: .85rem; }
.map-legend li { display: flex; gap: 6px; align-items: center; margin: 2px 0; }
.map-legend .map-zone { stroke: var(--muted); stroke-dasharray: none; }
@media (max-width: 760px) { .map-wrap { grid-template-columns: 1fr; } }
ol.funnel { list-style: none; padding: 0; margin: 6px 0 12px; display: grid; gap: 4px; max-width: 720px; }
ol.funnel li { display: grid; grid-template-columns: minmax(4em, auto) 1fr minmax(6em, auto); gap: 8px; align-items: center; }
.funnel-bar { background: var(--panel); border: 1px solid var(--line); border-radius: 4px; height: 1.2em; overflow: hidden; }
.funnel-fill { display: block; height: 100%; background: var(--ok); }
a.csv { font-size: .8rem; font-weight: 400; }
@media (max-width: 640px) { .hide-narrow { display: none; } nav#nav a.aside { margin-left: 0; } }
`;
