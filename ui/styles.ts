// The page's stylesheet, namespaced `occp-`, built on the Control UI's own CSS variables so it
// follows the host's theme (light, dark, and the theme packs); fallbacks only where none is set.
export const STYLES = `
.occp { color: var(--text, #1f2328); font: inherit; padding: var(--space-4, 16px); max-width: 1200px; margin: 0 auto; box-sizing: border-box; }
.occp *, .occp *::before, .occp *::after { box-sizing: border-box; }
.occp [hidden] { display: none !important; }
.occp h1 { font-size: 1.3em; margin: 0; color: var(--text-strong, inherit); }
.occp h2 { font-size: 1.1em; margin: 0 0 var(--space-2, 8px); color: var(--text-strong, inherit); }
.occp-head { display: flex; flex-wrap: wrap; gap: var(--space-3, 12px); align-items: center; justify-content: space-between; margin-bottom: var(--space-3, 12px); }
.occp-tabs { display: flex; gap: var(--space-1, 4px); border-bottom: 1px solid var(--border, #d0d7de); margin-bottom: var(--space-3, 12px); flex-wrap: wrap; }
.occp-tab { background: none; border: none; border-bottom: 2px solid transparent; color: var(--muted, #656d76); padding: var(--space-2, 8px) var(--space-3, 12px); cursor: pointer; font: inherit; }
.occp-tab[aria-selected="true"] { color: var(--text-strong, inherit); border-bottom-color: var(--accent, #0969da); }
.occp button:focus-visible, .occp input:focus-visible, .occp select:focus-visible, .occp textarea:focus-visible, .occp summary:focus-visible { outline: 2px solid var(--focus-ring, var(--accent, #0969da)); outline-offset: 1px; }
.occp-btn { background: var(--bg-elevated, #f6f8fa); color: var(--text, inherit); border: 1px solid var(--border, #d0d7de); border-radius: var(--radius-md, 6px); padding: 6px 12px; cursor: pointer; font: inherit; }
.occp-btn:hover { background: var(--bg-hover, #eef1f4); }
.occp-btn[disabled] { opacity: .5; cursor: not-allowed; }
.occp-primary { background: var(--accent, #0969da); color: var(--accent-foreground, #fff); border-color: var(--accent, #0969da); }
.occp-primary:hover { background: var(--accent, #0969da); filter: brightness(1.08); }
.occp-danger { color: var(--danger, #cf222e); border-color: var(--danger, #cf222e); }
.occp-filters { display: flex; flex-wrap: wrap; gap: var(--space-2, 8px); margin-bottom: var(--space-3, 12px); }
.occp-filters label { display: flex; gap: 6px; align-items: center; color: var(--muted, #656d76); }
.occp input, .occp select, .occp textarea { background: var(--bg, #fff); color: var(--text, inherit); border: 1px solid var(--border, #d0d7de); border-radius: var(--radius-sm, 4px); padding: 6px 8px; font: inherit; }
.occp textarea { width: 100%; min-height: 5em; resize: vertical; }
.occp-list { list-style: none; margin: 0; padding: 0; border: 1px solid var(--border, #d0d7de); border-radius: var(--radius-md, 6px); overflow: hidden; }
.occp-list > li + li { border-top: 1px solid var(--border, #d0d7de); }
.occp-row { display: grid; grid-template-columns: minmax(10em, 2fr) minmax(9em, 1.2fr) 3fr 1fr 4em 6em 6em; gap: var(--space-2, 8px); width: 100%; text-align: left; background: var(--card, transparent); color: inherit; border: none; padding: var(--space-2, 8px) var(--space-3, 12px); cursor: pointer; font: inherit; align-items: center; }
.occp-row:hover, .occp-row:focus-visible { background: var(--bg-hover, #eef1f4); }
.occp-row-head { font-weight: 600; color: var(--muted, #656d76); cursor: default; background: var(--bg-elevated, #f6f8fa); }
.occp-row-head:hover { background: var(--bg-elevated, #f6f8fa); }
.occp-cell { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.occp-mono { font-family: var(--mono, ui-monospace, monospace); font-size: .92em; }
.occp-muted { color: var(--muted, #656d76); }
.occp-badge { display: inline-block; border-radius: var(--radius-full, 999px); padding: 1px 8px; font-size: .85em; border: 1px solid currentColor; white-space: nowrap; }
.occp h2 .occp-badge { white-space: normal; overflow-wrap: anywhere; }
.occp-s-running, .occp-s-starting { color: var(--accent, #0969da); }
.occp-s-waiting { color: var(--warn, #9a6700); }
.occp-s-completed { color: var(--ok, #1a7f37); }
.occp-s-failed, .occp-s-killed { color: var(--danger, #cf222e); }
.occp-s-interrupted, .occp-s-queued { color: var(--muted, #656d76); }
.occp-empty { border: 1px dashed var(--border, #d0d7de); border-radius: var(--radius-md, 6px); padding: var(--space-5, 24px); text-align: center; }
.occp-empty code, .occp code { font-family: var(--mono, ui-monospace, monospace); background: var(--bg-muted, rgba(127,127,127,.12)); padding: 1px 4px; border-radius: 4px; }
.occp-alert { border: 1px solid var(--danger, #cf222e); color: var(--danger, #cf222e); border-radius: var(--radius-md, 6px); padding: var(--space-2, 8px) var(--space-3, 12px); margin-bottom: var(--space-3, 12px); display: flex; justify-content: space-between; gap: 8px; }
.occp-note { border: 1px solid var(--border, #d0d7de); border-radius: var(--radius-md, 6px); padding: var(--space-2, 8px) var(--space-3, 12px); margin-bottom: var(--space-3, 12px); }
.occp-meta { display: flex; flex-wrap: wrap; gap: var(--space-1, 4px) var(--space-4, 16px); color: var(--muted, #656d76); margin: var(--space-2, 8px) 0; }
.occp-actions { display: flex; flex-wrap: wrap; gap: var(--space-2, 8px); margin: var(--space-2, 8px) 0 var(--space-3, 12px); }
.occp-transcript { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: var(--space-2, 8px); max-height: 60vh; overflow: auto; border: 1px solid var(--border, #d0d7de); border-radius: var(--radius-md, 6px); padding: var(--space-3, 12px); background: var(--panel, transparent); }
.occp-entry { white-space: pre-wrap; overflow-wrap: anywhere; }
.occp-k-followup { border-left: 3px solid var(--accent, #0969da); padding-left: 8px; }
.occp-k-result { border-left: 3px solid var(--ok, #1a7f37); padding-left: 8px; }
.occp-k-tool_error { color: var(--danger, #cf222e); }
.occp-k-permission { color: var(--warn, #9a6700); }
.occp details > summary { cursor: pointer; color: var(--muted, #656d76); }
.occp-diff { font-family: var(--mono, ui-monospace, monospace); font-size: .9em; margin: 6px 0; padding: 6px; border-radius: 4px; background: var(--bg-muted, rgba(127,127,127,.08)); overflow: auto; white-space: pre; }
.occp-diff .add { color: var(--ok, #1a7f37); display: block; }
.occp-diff .del { color: var(--danger, #cf222e); display: block; }
.occp-diff .hunk { color: var(--accent, #0969da); display: block; }
.occp-diff .ctx { display: block; }
.occp-request { border: 1px solid var(--warn, #9a6700); border-radius: var(--radius-md, 6px); padding: var(--space-3, 12px); margin-bottom: var(--space-3, 12px); }
.occp-request pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.occp-form { display: grid; grid-template-columns: 10em 1fr; gap: var(--space-2, 8px) var(--space-3, 12px); align-items: center; max-width: 760px; }
.occp-form .occp-wide { grid-column: 1 / -1; }
.occp-followup { display: flex; gap: var(--space-2, 8px); margin-top: var(--space-3, 12px); align-items: flex-end; }
.occp-followup textarea { min-height: 3em; }
.occp-chart { width: 100%; max-width: 900px; height: 220px; display: block; }
.occp-chart .occp-bar { fill: var(--muted, #8c959f); opacity: 0.5; }
.occp-m0 { fill: var(--accent, #0969da); background: var(--accent, #0969da); }
.occp-m1 { fill: #bf8700; background: #bf8700; }
.occp-m2 { fill: #1a7f37; background: #1a7f37; }
.occp-m3 { fill: #8250df; background: #8250df; }
.occp-m4 { fill: #cf222e; background: #cf222e; }
.occp-m5 { fill: #0a7b83; background: #0a7b83; }
.occp-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 12px; padding: 0; margin: 8px 0; }
.occp-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: middle; }
.occp-chart .occp-axis { stroke: var(--border, #d0d7de); }
.occp-chart text { fill: var(--muted, #656d76); font-size: 10px; }
.occp-totals { display: grid; grid-template-columns: repeat(auto-fill, minmax(12em, 1fr)); gap: var(--space-2, 8px); margin: var(--space-3, 12px) 0; }
.occp-total { border: 1px solid var(--border, #d0d7de); border-radius: var(--radius-md, 6px); padding: var(--space-2, 8px) var(--space-3, 12px); }
.occp-total b { display: block; font-size: 1.2em; color: var(--text-strong, inherit); }
.occp table { border-collapse: collapse; }
.occp td, .occp th { padding: 4px 12px 4px 0; text-align: left; }
@media (max-width: 720px) {
  .occp { padding: var(--space-2, 8px); }
  .occp-row { grid-template-columns: 1fr auto; }
  .occp-row .occp-opt { display: none; }
  .occp-row-head { display: none; }
  .occp-form { grid-template-columns: 1fr; }
  .occp-followup { flex-direction: column; align-items: stretch; }
}
`;
