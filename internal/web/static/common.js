// Shared helpers for integritybot pages: DOM building, API calls, formatting, and the
// rendering of checks (used by the interviewer's live panel and the report page).

export const $ = (id) => document.getElementById(id);

/** The link token from /c/{token}, /i/{token} or /r/{token}. */
export function tokenFromPath() {
  return decodeURIComponent(location.pathname.split('/')[2] || '');
}

/** Builds an element. attrs: className, text, dataset, on<event>, other attributes. Children may be strings. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'className') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') Object.assign(el.style, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Calls the JSON API. Throws an Error with the server's plain-sentence message on failure. */
export async function api(method, path, { token, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (e) {
    throw new Error('The server could not be reached (' + e.message + ').');
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) {
    const err = new Error((data && data.error) || `The server answered ${res.status} ${res.statusText}.`);
    err.status = res.status;
    throw err;
  }
  return data;
}

function pad(n) { return String(n).padStart(2, '0'); }

/** Seconds into the call as mm:ss (h:mm:ss from one hour). */
export function fmtSeconds(s) {
  if (typeof s !== 'number' || !isFinite(s)) return '--:--';
  s = Math.max(0, Math.floor(s));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  return hh ? `${hh}:${pad(mm)}:${pad(ss)}` : `${pad(mm)}:${pad(ss)}`;
}

/** "mm:ss" or "mm:ss–mm:ss" for evidence with until_s. */
export function fmtRange(at, until) {
  if (typeof until === 'number' && until > at) return fmtSeconds(at) + '–' + fmtSeconds(until);
  return fmtSeconds(at);
}

/** A date and time in the reader's own timezone, with the zone named ("…, 11:00:00 CET"). */
export function fmtDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  try {
    return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'long' });
  } catch {
    return d.toLocaleString();
  }
}

/** The reader's timezone: its IANA name and current UTC offset, e.g. "Europe/Berlin, UTC+01:00". */
export function readerZone(now = new Date()) {
  let name = '';
  try { name = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch { /* old browser */ }
  const off = -now.getTimezoneOffset();
  const sign = off < 0 ? '−' : '+';
  const utc = `UTC${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return name ? `${name}, ${utc}` : utc;
}

export const STATUS_TEXT = { pass: 'Pass', warn: 'Warn', fail: 'Fail', unknown: 'Unknown' };
const STATUS_ICON = { pass: '✓', warn: '!', fail: '✕', unknown: '?' };
const STATUS_HINT = {
  pass: 'Nothing unusual was seen',
  warn: 'Something deserves a closer look',
  fail: 'A strong sign of a problem was seen',
  unknown: 'This could not be checked',
};

export const OVERALL_TEXT = {
  no_concerns: 'No concerns',
  review: 'Review recommended',
  strong_concerns: 'Strong concerns',
  insufficient_data: 'Insufficient data',
};

export const STATE_TEXT = {
  live: 'Live — the interview is running and this report still changes',
  final: 'Final — the interview has ended',
  interrupted: 'Interrupted — the server stopped before the interview ended',
};

export const CHECK_NAMES = {
  camera: 'Camera',
  face: 'Face visible',
  face_swap: 'Face swap',
  replay: 'Replayed video',
  liveness: 'Liveness',
  virtual_camera: 'Virtual camera',
  timezone: 'Timezone',
  network: 'Network',
};

export const HUMAN_NOTE = 'This is an observation for a person to review, not a hiring decision.';

export function checkName(id) {
  return CHECK_NAMES[id] || String(id || 'check').replace(/_/g, ' ');
}

export function normStatus(s) {
  return Object.hasOwn(STATUS_TEXT, s) ? s : 'unknown';
}

/** A status badge with colour, icon and text. */
export function badge(status) {
  const s = normStatus(status);
  return h('span', { className: 'badge badge-' + s, dataset: { status: s }, title: STATUS_HINT[s] },
    h('span', { className: 'badge-icon', 'aria-hidden': 'true', text: STATUS_ICON[s] }), STATUS_TEXT[s]);
}

export function overallBadge(overall) {
  const o = Object.hasOwn(OVERALL_TEXT, overall) ? overall : 'insufficient_data';
  return h('span', { className: 'overall overall-' + o, dataset: { overall: o } }, OVERALL_TEXT[o]);
}

/** The most recent piece of evidence of a check, or null. */
export function latestEvidence(check) {
  const ev = Array.isArray(check.evidence) ? check.evidence : [];
  let best = null;
  for (const e of ev) {
    const t = typeof e.until_s === 'number' ? e.until_s : e.at_s;
    const bt = best && (typeof best.until_s === 'number' ? best.until_s : best.at_s);
    if (!best || t >= bt) best = e;
  }
  return best;
}

/** A snapshot URL the page may show: a data: image, or one from this server or http(s). */
function showable(src) {
  return typeof src === 'string' && (src.startsWith('data:image/') || src.startsWith('/') || /^https?:\/\//.test(src));
}

/** The alt text of an evidence picture: which check, what kind of finding, when. */
export function snapshotAlt(checkId, e, which) {
  const kind = String(e.kind || 'evidence').replace(/_/g, ' ');
  return `${checkName(checkId)} evidence: ${kind} at ${fmtRange(e.at_s, e.until_s)} into the call` + (which ? ` (${which})` : '');
}

/** One evidence picture, shown large; a click opens it full size (openViewer). */
function snapshotFigure(src, alt, caption) {
  if (!src) return null;
  if (!showable(src)) return h('span', { className: 'muted', text: ' (snapshot: ' + src + ')' });
  return h('figure', { className: 'snapshot-fig' },
    h('a', { href: src, className: 'snapshot', title: 'Show larger', onclick: (ev) => { ev.preventDefault(); openViewer(src, alt); } },
      h('img', { src, alt, decoding: 'async' })),
    caption ? h('figcaption', { className: 'muted small', text: caption }) : null);
}

/** Seconds into the call to a tenth: "00:06.1" (two frames of a loop can be under a second apart). */
function fmtTenths(s) {
  if (typeof s !== 'number' || !isFinite(s)) return '--:--';
  const t = Math.max(0, Math.round(s * 10) / 10);
  return fmtSeconds(t) + '.' + String(Math.round(t * 10) % 10);
}

/**
 * The pictures of one piece of evidence. A finding that carries two (e.snapshots: [{at_s,
 * snapshot}], oldest first; e.g. a loop: a frame and the same picture one loop later) shows
 * them side by side, each captioned with its time; otherwise the one e.snapshot.
 */
function evidencePictures(checkId, e) {
  const frames = (Array.isArray(e.snapshots) ? e.snapshots : [])
    .map((f) => (typeof f === 'string' ? { snapshot: f } : f))
    .filter((f) => f && showable(f.snapshot)).slice(0, 2);
  if (frames.length === 2) {
    const names = frames.map((f, i) => (typeof f.at_s === 'number' ? 'at ' + fmtTenths(f.at_s) : (i ? 'later' : 'first')) +
      (i ? ', the same picture again' : ''));
    return h('div', { className: 'snapshot-pair' },
      frames.map((f, i) => snapshotFigure(f.snapshot, snapshotAlt(checkId, e, 'frame ' + names[i]), names[i])));
  }
  return snapshotFigure(e.snapshot || (frames[0] && frames[0].snapshot), snapshotAlt(checkId, e));
}

/** Shows a picture full size in a modal dialog (Escape or the button closes it). */
export function openViewer(src, alt) {
  let dlg = document.getElementById('snapshot-viewer');
  if (!dlg) {
    dlg = h('dialog', { id: 'snapshot-viewer', className: 'viewer', 'aria-label': 'Evidence picture' },
      h('img', { alt: '' }),
      h('p', { className: 'viewer-caption' }),
      h('button', { type: 'button', className: 'secondary', text: 'Close', onclick: () => dlg.close() }));
    dlg.addEventListener('click', (ev) => { if (ev.target === dlg) dlg.close(); });
    document.body.append(dlg);
  }
  const img = dlg.querySelector('img');
  img.src = src;
  img.alt = alt;
  dlg.querySelector('.viewer-caption').textContent = alt;
  if (typeof dlg.showModal === 'function') dlg.showModal();
  else dlg.setAttribute('open', '');
}

export function evidenceItem(e, checkId) {
  return h('li', { className: 'evidence' },
    h('span', { className: 'time', text: fmtRange(e.at_s, e.until_s) }),
    e.kind ? h('span', { className: 'kind', text: String(e.kind).replace(/_/g, ' ') }) : null,
    h('span', { className: 'detail', text: e.detail || '' }),
    evidencePictures(checkId, e));
}

/** One compact row for the interviewer's live panel. */
const SEVERITY = { fail: 0, warn: 1, unknown: 2, pass: 3 };

/** Checks in reading order: fails, warnings, not checked, passes (stable within a status). */
export function bySeverity(checks) {
  return (Array.isArray(checks) ? checks : [])
    .map((c, i) => [c, i])
    .sort(([a, i], [b, j]) => (SEVERITY[normStatus(a.status)] - SEVERITY[normStatus(b.status)]) || (i - j))
    .map(([c]) => c);
}

/**
 * What, why, what next under the overall badge: the report's reasons (report.why, most severe
 * first; at most 3 with a count of the rest), its one next step, and the checks that did not run.
 */
export function verdictLines(report) {
  const why = Array.isArray(report.why) ? report.why : [];
  const out = [];
  if (why.length) {
    out.push(h('ul', { className: 'why-list' }, why.slice(0, 3).map((w) =>
      h('li', { dataset: { check: w.check, status: normStatus(w.status) } },
        h('strong', { text: checkName(w.check) + ': ' }), w.summary || STATUS_TEXT[normStatus(w.status)]))));
    if (why.length > 3) out.push(h('p', { className: 'muted small', text: `… and ${why.length - 3} more below.` }));
  }
  if (report.next_step) {
    out.push(h('p', { className: 'next-step verdict-next' }, h('span', { className: 'label', text: 'Next step: ' }), report.next_step));
  }
  const missing = Array.isArray(report.not_checked) ? report.not_checked : [];
  if (missing.length) {
    out.push(h('p', { className: 'muted small not-checked', text: 'Not checked: ' + missing.map(checkName).join(', ') + ' (see below for why).' }));
  }
  return out;
}

export function checkRow(check) {
  // "Latest" gives the time of what a warning or failure is about; for a pass or a check
  // that could not run its evidence is detail for the report page.
  const st = normStatus(check.status);
  const last = st === 'fail' || st === 'warn' ? latestEvidence(check) : null;
  return h('li', { className: 'check-row', dataset: { check: check.id, status: normStatus(check.status) } },
    h('div', { className: 'check-head' }, badge(check.status), h('strong', { text: checkName(check.id) })),
    h('p', { className: 'summary', text: check.summary || '' }),
    check.next_step ? h('p', { className: 'next-step' }, h('span', { className: 'label', text: 'Next step: ' }), check.next_step) : null,
    last ? h('p', { className: 'latest muted' }, 'Latest: ', h('span', { className: 'time', text: fmtRange(last.at_s, last.until_s) }), ' ', last.detail || '') : null);
}

/**
 * How sure a check is, in words: the confidence (0..1) says how much evidence the status rests
 * on, not how bad it is. A pass on half a minute of video is a pass with low certainty.
 */
export function certainty(check) {
  if (normStatus(check.status) === 'unknown' || typeof check.confidence !== 'number') return null;
  const pct = Math.round(check.confidence * 100);
  const word = pct >= 75 ? 'high' : pct >= 50 ? 'medium' : 'low';
  return { word, pct, text: `How sure: ${word} (${pct}%)` };
}

export const CERTAINTY_NOTE = '“How sure” says how much evidence a status rests on — how much video, how clear a signal — ' +
  'not how serious it is. Low means little to go on: watch for it yourself.';

/** Evidence lines a printed check card keeps. */
const PRINTED = 3;

/** One full card for the report page. */
export function checkCard(check) {
  const ev = Array.isArray(check.evidence) ? [...check.evidence].sort((a, b) => a.at_s - b.at_s) : [];
  const sure = certainty(check);
  return h('article', { className: 'card check-card', dataset: { check: check.id, status: normStatus(check.status) }, 'aria-labelledby': 'check-title-' + check.id },
    h('header', { className: 'check-head' },
      badge(check.status),
      h('h3', { id: 'check-title-' + check.id, text: checkName(check.id) }),
      sure ? h('span', { className: 'confidence muted', dataset: { certainty: sure.word }, title: CERTAINTY_NOTE, text: sure.text }) : null),
    h('p', { className: 'summary', text: check.summary || '' }),
    check.next_step ? h('p', { className: 'next-step' }, h('span', { className: 'label', text: 'Next step: ' }), check.next_step) : null,
    ev.length
      ? h('details', { className: 'evidence-box', open: ev.length <= 6 },
        h('summary', { text: `Evidence and details (${ev.length})` }),
        h('ul', { className: 'evidence-list' }, ev.map((e) => evidenceItem(e, check.id)),
          // Paper shows the first PRINTED lines (style.css, @media print) and says what it left out.
          ev.length > PRINTED ? h('li', { className: 'print-only muted small', text: `… and ${ev.length - PRINTED} more on the report page.` }) : null))
      : h('p', { className: 'muted', text: 'No evidence recorded.' }));
}

export function coverageText(c) {
  if (!c) return 'No coverage information yet.';
  const n = (x) => (typeof x === 'number' ? x.toLocaleString() : '0');
  return `Video analyzed: ${fmtSeconds(c.video_seconds || 0)} · frames decoded ${n(c.frames_decoded)}, ` +
    `analyzed ${n(c.frames_analyzed)}, dropped ${n(c.frames_dropped)}`;
}

/** Copies text to the clipboard, with a fallback for non-secure contexts. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = h('textarea', { 'aria-hidden': 'true', className: 'offscreen' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { /* ignore */ }
    ta.remove();
    return ok;
  }
}

/**
 * Counts down `seconds` in el ("4 s", "3 s", …, then empty) and returns a function that stops
 * it. Visible only: screen readers hear the prompt once, not every second.
 */
export function countdown(el, seconds) {
  const until = Date.now() + (seconds || 0) * 1000;
  const tick = () => {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    el.textContent = left > 0 ? left + ' s' : '';
    if (left === 0) clearInterval(timer);
  };
  const timer = setInterval(tick, 250);
  tick();
  return () => { clearInterval(timer); el.textContent = ''; };
}

/**
 * What changed between two reports, as at most a few short sentences for a screen reader's
 * status region: the overall verdict when it changes, and each check whose status changes.
 * prev is null on the first report (then only the overall is said).
 */
export function reportChanges(prev, next) {
  const out = [];
  if (!prev || prev.overall !== next.overall) {
    out.push('Overall: ' + (OVERALL_TEXT[next.overall] || OVERALL_TEXT.insufficient_data) + '.');
  }
  if (prev) {
    const before = new Map((prev.checks || []).map((c) => [c.id, normStatus(c.status)]));
    for (const c of bySeverity(next.checks)) {
      const s = normStatus(c.status);
      if (before.get(c.id) === s) continue;
      if (!before.has(c.id) && s === 'unknown') continue;
      out.push(checkName(c.id) + ': ' + STATUS_TEXT[s] + '. ' + (c.summary || ''));
    }
  }
  return out.join(' ').trim();
}
