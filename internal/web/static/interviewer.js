// Interviewer page: join with camera/microphone, watch the candidate, read live checks, end.
import {
  $, h, api, tokenFromPath, checkRow, overallBadge, verdictLines, bySeverity, coverageText, countdown, reportChanges, HUMAN_NOTE,
} from './common.js';
import { Room, getLocalMedia, mediaNotice, showLocal, playWithSound, exposeForTests } from './room.js';

const token = tokenFromPath();
let room = null;
let reportURL = '/r/' + encodeURIComponent(token);

function onState(state, detail) {
  $('status').textContent = state === 'connected' ? 'Connected.' : detail;
  $('end-interview').disabled = !(room && room.welcome) || state === 'ended' || state === 'error';
  if (state === 'ended') {
    $('end-interview').disabled = true;
    $('liveness-check').disabled = true;
    // Nothing on the page may still read as a running call.
    setCandidateState('the interview has ended');
    $('remote-overlay').textContent = 'The interview has ended.';
    $('challenge').hidden = true;
    stopCountdown();
    $('checks-title').textContent = 'Checks';
    showFinal();
    $('report-page-link').href = reportURL;
    $('ended-notice').hidden = false;
    $('status').textContent = 'The interview has ended.';
    $('ended-title').focus();
  } else if (state === 'error') {
    $('error-text').textContent = detail;
    $('error-notice').hidden = false;
  }
}

// After the end, the checks shown are the final report's (its sentences are written for a call
// that is over), whoever ended the call.
async function showFinal() {
  try {
    const r = await api('GET', '/api/report?token=' + encodeURIComponent(token), { token });
    if (r && r.checks && r.state !== 'live') renderChecks(r);
  } catch (e) {
    console.warn('integritybot: could not load the final report:', e.message);
  }
}

function setCandidateState(text) {
  $('candidate-state').textContent = text;
  document.body.dataset.candidate = text;
}

// What the interviewer sees of the candidate's presence: a short state beside their name and
// a sentence over the video where the candidate's picture would be.
const CANDIDATE_STATE = {
  joined: ['connected', 'Waiting for the candidate’s video…'],
  left: ['left', 'The candidate left the call.'],
  declined: ['declined the consent notice',
    'The candidate chose not to agree to the analysis, so they did not join and nothing was analyzed. ' +
    'Offer another way to talk, or end the interview.'],
};

function onCandidate(state) {
  const [short, overlay] = CANDIDATE_STATE[state] || [String(state), 'Waiting for the candidate’s video…'];
  setCandidateState(short);
  if (!(room && room.ended)) $('remote-overlay').textContent = overlay;
  if (state === 'declined') {
    $('status').textContent = 'The candidate declined the consent notice.';
    $('liveness-check').disabled = true;
  }
}

let shownReport = null; // the report last rendered, to announce only what changed

function renderChecks(report) {
  const said = reportChanges(shownReport, report);
  shownReport = report;
  if (said) $('announcer').textContent = said;
  const checks = bySeverity(report.checks);
  const list = $('checks');
  list.replaceChildren(...(checks.length ? checks.map(checkRow) : [h('li', { className: 'muted', text: 'No checks yet.' })]));
  $('live-overall').replaceChildren(overallBadge(report.overall), h('span', { className: 'sr-only', text: ' ' + HUMAN_NOTE }));
  $('live-verdict').replaceChildren(...verdictLines(report));
  $('coverage').textContent = coverageText(report.coverage);
}

// The notes entered when the interview was created: interviewers only (GET .../notes with
// this page's interviewer link), never in the report.
let notesLoaded = false;
async function loadNotes(id) {
  if (!id) return;
  notesLoaded = true;
  try {
    const r = await api('GET', `/api/interviews/${encodeURIComponent(id)}/notes`, { token });
    const notes = (r && r.notes ? String(r.notes) : '').trim();
    $('interview-notes').textContent = notes;
    $('notes-box').hidden = !notes;
  } catch (e) {
    notesLoaded = false; // try again on the next welcome
    console.warn('integritybot: could not load the notes:', e.message);
  }
}

function onMessage(msg) {
  switch (msg.type) {
    case 'welcome': {
      const c = msg.candidate || {};
      $('candidate-title').textContent = c.name ? 'Interview with ' + c.name : 'Interview';
      const claims = [c.claimed_location && 'says they are in ' + c.claimed_location, c.claimed_timezone && 'timezone ' + c.claimed_timezone].filter(Boolean);
      $('candidate-claims').textContent = claims.length ? 'The candidate ' + claims.join(', ') + '.' : '';
      if (msg.report_url) reportURL = msg.report_url;
      if (!notesLoaded) loadNotes(msg.interview_id);
      $('end-interview').disabled = false;
      $('liveness-check').disabled = false;
      break;
    }
    case 'peer':
      if (msg.role === 'candidate') onCandidate(msg.state);
      break;
    case 'checks':
      if (msg.report) renderChecks(msg.report);
      break;
    case 'challenge':
      showChallenge(msg);
      break;
    case 'error':
      $('status').textContent = msg.error;
      if ($('liveness-status').textContent.startsWith('Starting')) {
        $('liveness-status').textContent = msg.error;
        $('liveness-check').disabled = false;
      }
      break;
  }
}

// The liveness check: the server runs the prompts on the candidate's page and sends each one
// here too, so the interviewer sees what the candidate is asked right now, with the same
// countdown. #liveness-status (role=status) says each step once.
let stopCountdown = () => {};
let hideTimer = 0;
function showChallenge(msg) {
  const running = !['done', 'cancelled'].includes(msg.step) && !(msg.text || '').startsWith('Marked:');
  $('liveness-check').disabled = running || !room || !room.welcome;
  const where = msg.index && msg.count && running ? ` (${msg.index} of ${msg.count})` : '';
  $('liveness-status').textContent = msg.step === 'done'
    ? 'Liveness check finished; its result appears under Live checks in a few seconds.'
    : msg.step === 'cancelled' ? 'Liveness check stopped: ' + (msg.text || 'the candidate left.')
      : 'Liveness check' + where + ': ' + (msg.text || msg.step);
  document.body.dataset.challenge = msg.step || '';
  clearTimeout(hideTimer);
  stopCountdown();
  const box = $('challenge');
  box.dataset.step = msg.step || '';
  box.hidden = !running;
  if (!running) return;
  $('challenge-step').textContent = where.trim();
  $('challenge-text').textContent = msg.text || msg.step;
  stopCountdown = countdown($('challenge-countdown'), msg.seconds);
  // The server sends the next step when this one's seconds are over; hide a stale box if not.
  hideTimer = setTimeout(() => { box.hidden = true; }, ((msg.seconds || 0) + 10) * 1000);
}

function startLiveness() {
  if (!room || !room.welcome) return;
  if (room.send({ type: 'liveness' })) {
    $('liveness-check').disabled = true;
    $('liveness-status').textContent = 'Starting the liveness check…';
  }
}

// askEnd shows the confirmation bar: ending disconnects the candidate and makes the report
// final, so one stray click must not do it.
function askEnd() {
  if (!room || !room.welcome) return;
  $('end-confirm-box').hidden = false;
  $('end-interview').setAttribute('aria-expanded', 'true');
  $('end-cancel').focus();
}

function cancelEnd() {
  $('end-confirm-box').hidden = true;
  $('end-interview').setAttribute('aria-expanded', 'false');
  $('end-interview').focus();
}

async function endInterview() {
  const btn = $('end-interview');
  if (!room || !room.welcome) return;
  $('end-confirm-box').hidden = true;
  btn.setAttribute('aria-expanded', 'false');
  btn.disabled = true;
  btn.textContent = 'Ending…';
  try {
    const report = await api('POST', `/api/interviews/${encodeURIComponent(room.welcome.interview_id)}/end`, { token });
    if (report && report.checks) {
      room.lastChecks = report;
      renderChecks(report);
    }
    room.end();
  } catch (e) {
    btn.disabled = false;
    btn.textContent = 'End interview';
    $('status').textContent = 'Could not end the interview: ' + e.message;
  }
}

function toggle(button, kind, offText, onText) {
  button.addEventListener('click', () => {
    const off = button.getAttribute('aria-pressed') !== 'true';
    if (room.setTrackEnabled(kind, !off)) {
      button.setAttribute('aria-pressed', String(off));
      button.textContent = off ? onText : offText;
    }
  });
}

async function main() {
  room = new Room({ token, role: 'interviewer', onState, onMessage });
  exposeForTests(() => room, 'interviewer');
  document.body.dataset.state = 'joining';
  setCandidateState('waiting for the candidate');
  $('end-interview').addEventListener('click', askEnd);
  $('end-confirm').addEventListener('click', endInterview);
  $('end-cancel').addEventListener('click', cancelEnd);
  $('liveness-check').addEventListener('click', startLiveness);
  toggle($('toggle-camera'), 'video', 'Turn camera off', 'Turn camera on');
  toggle($('toggle-mic'), 'audio', 'Mute microphone', 'Unmute microphone');
  room.connect();
  $('status').textContent = 'Asking your browser for the camera and microphone…';
  const { stream, errors } = await getLocalMedia();
  const notice = mediaNotice(errors, 'interviewer');
  $('media-notice').textContent = notice;
  $('media-notice').hidden = !notice;
  showLocal(stream);
  $('toggle-camera').disabled = stream.getVideoTracks().length === 0;
  $('toggle-mic').disabled = stream.getAudioTracks().length === 0;
  room.join(stream, errors);
  playWithSound($('remote-video'), $('unmute-remote'));
}

main();
