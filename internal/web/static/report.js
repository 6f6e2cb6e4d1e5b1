// Report page: fetches the report JSON v1 with the link token and renders it; refreshes every
// 3 s while the interview is live.
import {
  $, h, api, tokenFromPath, fmtDate, fmtSeconds, fmtRange, checkCard, overallBadge, verdictLines, bySeverity, coverageText,
  checkName, normStatus, readerZone, STATE_TEXT, HUMAN_NOTE, CERTAINTY_NOTE,
} from './common.js';

const token = tokenFromPath();
const REFRESH_MS = 3000;
let timer = 0;
let blobURL = '';
const detailsOpen = new Map(); // check id -> open, as the reader left it

window.integritybot = { role: 'report', report: null, get state() { return document.body.dataset.state; } };

async function load() {
  clearTimeout(timer);
  let report;
  try {
    report = await api('GET', '/api/report?token=' + encodeURIComponent(token), { token });
  } catch (e) {
    if ([400, 401, 403, 404, 410].includes(e.status)) {
      document.body.dataset.state = 'error';
      $('load-status').textContent = 'The report could not be opened: ' + e.message;
      return;
    }
    $('load-status').textContent = 'Could not refresh the report (' + e.message + '). Retrying…';
    timer = setTimeout(load, REFRESH_MS * 2);
    return;
  }
  render(report);
  if (report.state === 'live') timer = setTimeout(load, REFRESH_MS);
  else if ((report.delivery || []).some((d) => d.state === 'pending')) timer = setTimeout(load, REFRESH_MS * 5);
}

function setText(id, text) { $(id).textContent = text || '—'; }

function render(r) {
  window.integritybot.report = r;
  document.body.dataset.state = r.state || 'final';
  document.body.dataset.overall = r.overall || '';
  const c = r.candidate || {};
  $('report-title').textContent = c.name ? 'Interview report: ' + c.name : 'Interview report';
  document.title = (c.name ? c.name + ' — ' : '') + 'Interview report — integritybot';
  setText('report-candidate', c.name);
  setText('report-location', c.claimed_location);
  setText('report-timezone', c.claimed_timezone);
  setText('started-at', r.started_at ? fmtDate(r.started_at) : 'not started');
  setText('ended-at', r.ended_at ? fmtDate(r.ended_at) : (r.state === 'live' ? 'still running' : '—'));
  setText('report-state', STATE_TEXT[r.state] || r.state);
  $('time-note').textContent = 'Dates and times are in your timezone (' + readerZone() + '). ' +
    'Times like 01:30 count minutes and seconds from the start of the call.';
  $('certainty-note').textContent = CERTAINTY_NOTE;
  $('overall').replaceChildren(overallBadge(r.overall), h('span', { className: 'sr-only', text: ' ' + HUMAN_NOTE }));
  $('verdict').replaceChildren(...verdictLines(r));
  $('coverage').textContent = coverageText(r.coverage);
  $('summary').hidden = false;
  $('load-status').textContent = r.state === 'live'
    ? 'The interview is running; this page updates every 3 seconds. Last update ' + new Date().toLocaleTimeString() + '.'
    : '';
  $('load-status').hidden = r.state !== 'live';

  const checks = bySeverity(r.checks);
  const cards = checks.map((ch) => {
    const card = checkCard(ch);
    const d = card.querySelector('details');
    if (d) {
      if (detailsOpen.has(ch.id)) d.open = detailsOpen.get(ch.id);
      d.addEventListener('toggle', () => detailsOpen.set(ch.id, d.open));
    }
    return card;
  });
  $('checks').replaceChildren(...(cards.length ? cards : [h('p', { className: 'muted', text: 'No checks yet.' })]));
  renderTimeline(r);
  renderDelivery(r.delivery || []);

  if (blobURL) URL.revokeObjectURL(blobURL);
  blobURL = URL.createObjectURL(new Blob([JSON.stringify(r, null, 2) + '\n'], { type: 'application/json' }));
  const dl = $('download-json');
  dl.href = blobURL;
  dl.download = 'integritybot-report-' + (r.interview_id || 'interview') + '.json';
  dl.hidden = false;
}

/** Length of the call in seconds, from the timestamps and everything placed on it. */
function callDuration(r) {
  let d = 0;
  if (r.started_at) {
    const end = r.ended_at ? new Date(r.ended_at) : new Date();
    const s = (end - new Date(r.started_at)) / 1000;
    // A live call is measured against this computer's clock: ignore it when clocks clearly disagree.
    if (isFinite(s) && s >= 0 && (r.ended_at || s < 12 * 3600)) d = s;
  }
  if (r.coverage && r.coverage.video_seconds > d) d = r.coverage.video_seconds;
  for (const ch of r.checks || []) for (const e of ch.evidence || []) d = Math.max(d, e.at_s || 0, e.until_s || 0);
  for (const e of r.timeline || []) d = Math.max(d, e.at_s || 0);
  return Math.max(d, 1);
}

/** The tick step for a call of d seconds with at most max labels on the axis. */
function tickStep(d, max) {
  for (const s of [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200]) if (d / s <= max) return s;
  return Math.ceil(d / max / 3600) * 3600;
}

function mark(at, until, dur, cls, label) {
  const left = Math.min(100, Math.max(0, (at / dur) * 100));
  const ranged = typeof until === 'number' && until > at;
  const style = { left: left + '%' };
  if (ranged) style.width = Math.max(0.4, Math.min(100 - left, ((until - at) / dur) * 100)) + '%';
  return h('span', { className: 'mark ' + cls + (ranged ? ' range' : ' point'), style, title: label, 'aria-label': label, role: 'img' });
}

// Long calls have long lists: the first LIST_SHOWN lines show, the rest behind one button
// (never a small scrolling box that seems to end early).
const LIST_SHOWN = 40;
let shownReport = null;
let listExpanded = false;
let chartWidth = 0;

/** Renders the timeline for the current width; called again when the width changes (ResizeObserver). */
function renderTimeline(r) {
  shownReport = r;
  chartWidth = $('timeline').clientWidth;
  $('timeline').replaceChildren(...timeline(r, chartWidth));
}

if (typeof ResizeObserver === 'function') {
  new ResizeObserver(() => {
    const w = $('timeline').clientWidth;
    if (shownReport && Math.abs(w - chartWidth) > 24) renderTimeline(shownReport);
  }).observe($('timeline'));
}

// Printing: every evidence list open, so the paper has what the screen hides behind "details".
window.addEventListener('beforeprint', () => {
  for (const d of document.querySelectorAll('#checks details')) { d.dataset.wasOpen = String(d.open); d.open = true; }
});
window.addEventListener('afterprint', () => {
  for (const d of document.querySelectorAll('#checks details')) { d.open = d.dataset.wasOpen === 'true'; }
});

function timeline(r, width) {
  const dur = callDuration(r);
  const lanes = [];
  const items = [];
  for (const ch of r.checks || []) {
    const ev = ch.evidence || [];
    if (!ev.length) continue;
    const st = normStatus(ch.status);
    const name = checkName(ch.id);
    lanes.push(h('div', { className: 'lane', dataset: { check: ch.id } },
      h('span', { className: 'lane-label', text: name }),
      h('span', { className: 'lane-track' }, ev.map((e) => mark(e.at_s, e.until_s, dur, 'status-' + st,
        `${fmtRange(e.at_s, e.until_s)} ${name}: ${e.detail || e.kind || ''}`)))));
    for (const e of ev) items.push({ at: e.at_s, until: e.until_s, source: name, status: st, text: e.detail || e.kind || '' });
  }
  const events = r.timeline || [];
  if (events.length) {
    lanes.push(h('div', { className: 'lane', dataset: { check: 'events' } },
      h('span', { className: 'lane-label', text: 'Call events' }),
      h('span', { className: 'lane-track' }, events.map((e) => mark(e.at_s, undefined, dur, 'event',
        `${fmtSeconds(e.at_s)} ${e.detail || e.kind || ''}`)))));
    for (const e of events) items.push({ at: e.at_s, source: 'Call', status: 'event', text: e.detail || String(e.kind || '').replace(/_/g, ' ') });
  }
  if (!lanes.length) return [h('p', { className: 'muted', text: `Nothing recorded yet (call length ${fmtSeconds(dur)}).` })];

  // Axis labels need ~64 px each; the track is the full width on narrow screens (labels stack
  // above it), and the width less the label column otherwise.
  const track = width > 600 ? width - 168 : width;
  const step = tickStep(dur, Math.max(2, Math.min(8, Math.floor((track || 600) / 64))));
  const ticks = [];
  for (let t = 0; t <= dur + 0.001; t += step) {
    const at = t / dur;
    ticks.push(h('span', { className: 'tick' + (at > 0.92 ? ' tick-end' : ''), style: { left: at * 100 + '%' }, text: fmtSeconds(t) }));
  }
  items.sort((a, b) => a.at - b.at);
  const shown = listExpanded ? items : items.slice(0, LIST_SHOWN);
  const rest = items.length - shown.length;
  return [
    h('div', { className: 'timeline-chart', role: 'group', 'aria-label': `Timeline of a ${fmtSeconds(dur)} call` },
      lanes,
      h('div', { className: 'lane axis', 'aria-hidden': 'true' }, h('span', { className: 'lane-label' }), h('span', { className: 'lane-track' }, ticks))),
    h('p', { className: 'print-only muted small', text: `The list of all ${items.length} observations and events is on the report page and in its JSON.` }),
    h('ol', { className: 'timeline-list', 'aria-label': 'Observations and events in time order' }, shown.map((it) => h('li', { dataset: { status: it.status } },
      h('span', { className: 'time', text: fmtRange(it.at, it.until) }),
      h('span', { className: 'source', text: it.source }),
      h('span', { className: 'detail', text: it.text })))),
    rest > 0 ? h('button', { type: 'button', className: 'secondary show-all', text: `Show all ${items.length} lines (${rest} more)`,
      onclick: () => { listExpanded = true; renderTimeline(shownReport); } }) : null,
  ].filter(Boolean);
}

load();

// Delivery state of the Slack / Discord / webhook notifications (the API's additive
// "delivery" field): delivered, retrying after an outage, or refused for good.
const DELIVERY_TEXT = { delivered: 'Delivered', pending: 'Waiting to retry', failed: 'Not delivered' };
const NOTIFIER_NAME = { slack: 'Slack', discord: 'Discord', webhook: 'Webhook' };

function renderDelivery(list) {
  $('delivery').hidden = list.length === 0;
  $('delivery-list').replaceChildren(...list.map((d) => {
    const what = { alert: 'Live alert: ' + checkName(d.check), direct: 'Live alert to the interviewer (direct message): ' + checkName(d.check),
      live: 'Interview message (in progress)' }[d.kind] || 'Summary';
    let state = DELIVERY_TEXT[d.state] || d.state;
    if (d.state === 'delivered' && d.delivered_at) state += ' ' + fmtDate(d.delivered_at);
    if (d.state === 'pending' && d.attempts === 0) state = 'Sending…';
    else if (d.state === 'pending' && d.next_attempt_at) state += ' at ' + fmtDate(d.next_attempt_at);
    const attempts = d.attempts > 1 ? ` (${d.attempts} attempts)` : '';
    return h('li', { dataset: { state: d.state, notifier: d.notifier } }, [
      h('span', { className: 'source', text: (NOTIFIER_NAME[d.notifier] || d.notifier) + (d.target ? ' ' + d.target : '') }),
      h('span', { text: what }),
      h('span', { text: state + attempts + (d.last_error && d.state !== 'delivered' ? ' — ' + d.last_error : '') }),
    ]);
  }));
}
