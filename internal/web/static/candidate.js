// Candidate page: consent first, then camera/microphone, then the room.
import { $, tokenFromPath, countdown } from './common.js';
import { Room, getLocalMedia, mediaNotice, showLocal, playWithSound, exposeForTests } from './room.js';

const token = tokenFromPath();
let room = null;
// No interviewer in this call: the link works as a device and network check before an
// interview held elsewhere (Zoom, Meet, Teams); the report has the same sections.
let interviewerHere = false;

function connectedText() {
  return interviewerHere
    ? 'You are connected. integritybot is analyzing your camera video.'
    : 'Device and network check: no interviewer is in this call. integritybot is checking your camera and connection; ' +
      'if your interview takes place elsewhere, you can close this page after a minute.';
}

function show(id) {
  for (const s of ['consent', 'declined', 'room', 'ended-notice', 'error-notice']) $(s).hidden = s !== id;
  const title = $(id).querySelector('h1[tabindex]');
  if (title) title.focus();
}

function onState(state, detail) {
  if (state === 'ended') show('ended-notice');
  else if (state === 'error') {
    $('error-text').textContent = detail;
    show('error-notice');
  } else if (room && room.joined) {
    $('status').textContent = state === 'connected' ? connectedText() : detail;
  }
}

function onMessage(msg) {
  if (msg.type === 'welcome' && typeof msg.retention_days === 'number') {
    $('retention-days').textContent = String(msg.retention_days);
  } else if (msg.type === 'peer' && msg.role === 'interviewer') {
    interviewerHere = msg.state === 'joined';
    document.body.dataset.mode = interviewerHere ? 'interview' : 'check';
    if (!room || !room.joined) return;
    $('remote-overlay').textContent = msg.state === 'left' ? 'The interviewer left the call.' : 'Waiting for the interviewer’s video…';
    if (room.state === 'connected') $('status').textContent = connectedText();
  } else if (msg.type === 'challenge') {
    showChallenge(msg);
  } else if (msg.type === 'error' && room && room.joined) {
    $('status').textContent = msg.error;
  }
}

// Liveness prompts from the server (docs/protocol.md): the text and a countdown of its seconds.
let challengeTimer = 0;
let stopCountdown = () => {};
function showChallenge(msg) {
  clearTimeout(challengeTimer);
  stopCountdown();
  const box = $('challenge');
  box.dataset.step = msg.step || '';
  $('challenge-text').textContent = msg.text || '';
  $('challenge-step').textContent = msg.index && msg.count && msg.step !== 'done' ? `(${msg.index} of ${msg.count})` : '';
  box.hidden = msg.step === 'cancelled';
  if (msg.step === 'done') {
    challengeTimer = setTimeout(() => { box.hidden = true; }, 3000);
    return;
  }
  stopCountdown = countdown($('challenge-countdown'), msg.seconds);
}

async function accept() {
  $('consent-accept').disabled = true;
  show('room');
  document.body.dataset.state = 'joining';
  $('status').textContent = 'Asking your browser for the camera and microphone…';
  const { stream, errors } = await getLocalMedia();
  const notice = mediaNotice(errors);
  $('media-notice').textContent = notice;
  $('media-notice').hidden = !notice;
  showLocal(stream);
  $('toggle-camera').disabled = stream.getVideoTracks().length === 0;
  $('toggle-mic').disabled = stream.getAudioTracks().length === 0;
  $('status').textContent = 'Joining the interview…';
  room.join(stream, errors);
  playWithSound($('remote-video'), $('unmute-remote'));
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

function newRoom() {
  // Temporal layers: under load the server decodes only the base layer (every 4th frame)
  // while the interviewer still gets every frame.
  room = new Room({ token, role: 'candidate', onState, onMessage, scalabilityMode: 'L1T3' });
  // Signaling only (no media, nothing sent) so the notice can show the real retention period.
  room.connect();
}

function main() {
  exposeForTests(() => room, 'candidate');
  document.body.dataset.state = 'consent';
  document.body.dataset.mode = 'check';
  newRoom();
  $('consent-accept').addEventListener('click', accept);
  $('consent-decline').addEventListener('click', () => {
    // The interviewer is told (a peer state "declined"); no media was ever sent.
    room.send({ type: 'consent', state: 'declined' });
    room.leave();
    show('declined');
    document.body.dataset.state = 'consent';
    document.body.dataset.consent = 'declined';
  });
  $('consent-reconsider').addEventListener('click', () => {
    delete document.body.dataset.consent;
    newRoom();
    show('consent');
  });
  toggle($('toggle-camera'), 'video', 'Turn camera off', 'Turn camera on');
  toggle($('toggle-mic'), 'audio', 'Mute microphone', 'Unmute microphone');
  $('consent-title').focus();
}

main();
