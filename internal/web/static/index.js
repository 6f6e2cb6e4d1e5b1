// Index page: API token handling, the new-interview form, the returned links, recent interviews.
import { $, h, api, fmtDate, copyText } from './common.js';

// The API token lives in sessionStorage: this tab only, gone when it closes, never written
// to disk by the browser (issue 15, finding 8). localStorage held it until then: any copy
// left there is removed.
const TOKEN_KEY = 'integritybot.token';
localStorage.removeItem(TOKEN_KEY);

function takeTokenFromFragment() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

const getToken = () => sessionStorage.getItem(TOKEN_KEY) || '';

function showTokenPanel(message) {
  $('token-panel').hidden = false;
  if (message) $('interviews-status').textContent = message;
}

function fillTimezones() {
  const select = $('claimed-timezone');
  let zones = [];
  try { zones = Intl.supportedValuesOf('timeZone'); } catch { /* old browser */ }
  if (!zones.includes('UTC')) zones = ['UTC', ...zones];
  const frag = document.createDocumentFragment();
  for (const z of zones) frag.append(h('option', { value: z, text: z.replace(/_/g, ' ') }));
  select.append(frag);
}

function setLink(id, url) {
  const a = $(id);
  a.href = url || '#';
  a.textContent = url || '(not provided)';
}

async function create(ev) {
  ev.preventDefault();
  const err = $('form-error');
  err.hidden = true;
  const name = $('candidate-name').value.trim();
  if (!name) {
    err.textContent = 'Please enter the candidate’s name.';
    err.hidden = false;
    $('candidate-name').focus();
    return;
  }
  const token = getToken();
  if (!token) {
    showTokenPanel();
    err.textContent = 'An API token is needed first (see above).';
    err.hidden = false;
    $('api-token').focus();
    return;
  }
  const btn = $('create-interview');
  btn.disabled = true;
  try {
    const res = await api('POST', '/api/interviews', {
      token,
      body: {
        candidate: {
          name,
          claimed_location: $('claimed-location').value.trim(),
          claimed_timezone: $('claimed-timezone').value,
        },
        notes: $('notes').value.trim(),
        ...joinRequest(),
      },
    });
    setLink('candidate-link', res.candidate_url);
    setLink('interviewer-link', res.interviewer_url);
    setLink('report-link', res.report_url);
    $('links').hidden = false;
    $('links').dataset.interviewId = res.id || '';
    $('links').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    $('interview-form').reset();
    showCallFields();
    loadInterviews();
  } catch (e) {
    if (e.status === 401 || e.status === 403) showTokenPanel();
    err.textContent = 'Could not create the interview: ' + e.message;
    err.hidden = false;
  } finally {
    btn.disabled = false;
  }
}

// joinRequest returns the "join" part of the request when the call is elsewhere.
function joinRequest() {
  const kind = document.querySelector('input[name="call-kind"]:checked');
  if (kind && kind.value === 'whep') {
    const join = { whep: $('join-whep').value.trim() };
    const bearer = $('join-bearer').value.trim();
    if (bearer) join.bearer = bearer;
    return { join };
  }
  if (kind && kind.value === 'livekit') {
    const lk = { room: $('join-livekit-room').value.trim() };
    const url = $('join-livekit-url').value.trim();
    const cand = $('join-livekit-candidate').value.trim();
    if (url) lk.url = url;
    if (cand) lk.candidate_identity = cand;
    return { join: { livekit: lk } };
  }
  return {};
}

// showCallFields shows the fields of the chosen kind of call.
function showCallFields() {
  const kind = document.querySelector('input[name="call-kind"]:checked');
  $('whep-fields').hidden = !kind || kind.value !== 'whep';
  $('livekit-fields').hidden = !kind || kind.value !== 'livekit';
}

for (const r of document.querySelectorAll('input[name="call-kind"]')) r.addEventListener('change', showCallFields);

async function loadInterviews() {
  const status = $('interviews-status');
  const table = $('interviews');
  const token = getToken();
  if (!token) {
    showTokenPanel('Paste the API token to see interviews.');
    table.hidden = true;
    return;
  }
  try {
    const res = await api('GET', '/api/interviews', { token });
    const list = (res && res.interviews) || [];
    const rows = list.map((iv) => h('tr', { dataset: { id: iv.id } },
      h('td', { text: (iv.candidate && iv.candidate.name) || '—' }),
      h('td', { text: fmtDate(iv.created_at) }),
      h('td', {}, h('span', { className: 'state state-' + iv.state, text: iv.state || '—' })),
      h('td', {}, iv.report_url ? h('a', { href: iv.report_url, target: '_blank', rel: 'noopener', text: 'Report' }) : '—')));
    table.tBodies[0].replaceChildren(...rows);
    table.hidden = rows.length === 0;
    status.textContent = rows.length ? '' : 'No interviews yet.';
    status.hidden = rows.length > 0;
  } catch (e) {
    status.hidden = false;
    if (e.status === 401 || e.status === 403) showTokenPanel('The saved API token was not accepted. Paste the current one.');
    else status.textContent = 'Could not load interviews: ' + e.message;
  }
}

function main() {
  takeTokenFromFragment();
  window.addEventListener('hashchange', () => { takeTokenFromFragment(); if (getToken()) { $('token-panel').hidden = true; loadInterviews(); } });
  fillTimezones();
  if (!getToken()) showTokenPanel();
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = $('api-token').value.trim();
    if (!v) return;
    sessionStorage.setItem(TOKEN_KEY, v);
    $('api-token').value = '';
    $('token-panel').hidden = true;
    loadInterviews();
  });
  $('interview-form').addEventListener('submit', create);
  $('refresh-interviews').addEventListener('click', loadInterviews);
  for (const b of document.querySelectorAll('button.copy')) {
    b.addEventListener('click', async () => {
      const ok = await copyText($(b.dataset.copy).href);
      const old = 'Copy';
      b.textContent = ok ? 'Copied' : 'Copy failed';
      setTimeout(() => { b.textContent = old; }, 1500);
    });
  }
  loadInterviews();
}

main();
