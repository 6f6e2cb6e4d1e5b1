// The hosted room, shared by the candidate and interviewer pages: websocket signaling
// (docs/protocol.md), local media, one RTCPeerConnection per join (the client always offers),
// trickle ICE, remote media, reconnection with backoff, and the test hook window.integritybot.

import { $ } from './common.js';

const VIDEO = { width: { ideal: 1280 }, height: { ideal: 720 } };

/**
 * Asks for camera and microphone, falling back to video only, audio only, then nothing.
 * Never throws: { stream, errors: {video?, audio?} } where stream may have no tracks.
 */
export async function getLocalMedia() {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) {
    const msg = 'This browser does not allow camera access on this page (it needs https or localhost).';
    return { stream: new MediaStream(), errors: { video: msg, audio: msg } };
  }
  const errText = (e) => (e && (e.name ? e.name + ': ' + e.message : String(e))) || 'unknown error';
  try {
    return { stream: await md.getUserMedia({ video: VIDEO, audio: true }), errors: {} };
  } catch (both) {
    const errors = {};
    let video = null, audio = null;
    try { video = await md.getUserMedia({ video: VIDEO }); } catch (e) { errors.video = errText(e); }
    try { audio = await md.getUserMedia({ audio: true }); } catch (e) { errors.audio = errText(e); }
    if (errors.video && errors.audio && errText(both) !== errors.video) errors.video += ' (' + errText(both) + ')';
    const stream = new MediaStream([...(video ? video.getTracks() : []), ...(audio ? audio.getTracks() : [])]);
    return { stream, errors };
  }
}

// getUserMedia's error names (Media Capture and Streams, and Chromium's older aliases) in
// plain words. The raw "Name: message" still goes to the server for the report's details.
const DEVICE_WORDS = { video: 'camera', audio: 'microphone' };
const MEDIA_ERRORS = [
  [/^(NotAllowedError|PermissionDeniedError)/, (d) => `the browser was not allowed to use your ${d} (permission was refused)`],
  [/^(NotFoundError|DevicesNotFoundError)/, (d) => `no ${d} was found on this computer`],
  [/^(NotReadableError|TrackStartError|AbortError)/, (d) => `your ${d} could not be started; another app or browser tab may be using it`],
  [/^(OverconstrainedError|ConstraintNotSatisfiedError)/, (d) => `your ${d} cannot give the picture this call asks for`],
  [/^SecurityError/, (d) => `this page is not allowed to use a ${d}`],
  [/^This browser does not allow/, (d) => `this browser does not allow ${d} access on this page`],
];

/** A plain reason for one device's error, e.g. "no camera was found on this computer". */
export function plainMediaError(raw, kind) {
  const device = DEVICE_WORDS[kind] || 'device';
  for (const [re, say] of MEDIA_ERRORS) if (re.test(String(raw || ''))) return say(device);
  return `your ${device} could not be started`;
}

/** A plain sentence for the person in front of the camera. role: 'candidate' | 'interviewer'. */
export function mediaNotice(errors, role = 'candidate') {
  const told = role === 'candidate' ? 'the interviewer will be told' : 'the candidate will not see you';
  const fix = ' Check that a camera is connected and allowed for this site in your browser settings, then reload the page.';
  const why = (kind) => plainMediaError(errors[kind], kind);
  if (errors.video && errors.audio) {
    const v = why('video'), a = why('audio');
    const reason = v.replace(/camera/g, '') === a.replace(/microphone/g, '') ? v.replace('camera', 'camera or microphone') : v + ', and ' + a;
    return 'Your camera and microphone are not available: ' + reason + '. You are still in the interview; ' + told + '.' + fix;
  }
  if (errors.video) {
    return 'Your camera is not available: ' + why('video') + '. You joined with your microphone only; ' + told + '.' + fix;
  }
  if (errors.audio) return 'Your microphone is not available: ' + why('audio') + '. You joined with video only.';
  return '';
}

export class Room {
  /**
   * @param {object} o
   * @param {string} o.token      link token
   * @param {string} o.role       'candidate' | 'interviewer'
   * @param {(msg:object)=>void} [o.onMessage]  every server message, after the room handled it
   * @param {(state:string, detail:string)=>void} [o.onState]
   */
  constructor({ token, role, onMessage, onState, scalabilityMode }) {
    this.token = token;
    this.role = role;
    // e.g. 'L1T3': temporal layers, so that a busy server can decode only the base layer
    // while the other side still receives every frame (docs/deploy.md, "Temporal layers").
    this.scalabilityMode = scalabilityMode || '';
    this.onMessage = onMessage || (() => {});
    this.onStateCb = onState || (() => {});
    this.state = document.body.dataset.state || 'joining';
    this.ws = null;
    this.pc = null;
    this.welcome = null;
    this.lastChecks = null;
    this.ended = false;
    this.failed = false;
    this.joined = false;          // local media chosen: build peer connections on welcome
    this.localStream = null;
    this.mediaErrors = {};
    this.remoteStream = null;
    this.pendingCandidates = [];
    this.attempt = 0;
    this.retryTimer = 0;
    this.wsEverWelcomed = false;
    this.lastError = '';
    this.trackHandlers = [];
  }

  wsURL() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/api/ws?token=${encodeURIComponent(this.token)}`;
  }

  setState(state, detail = '') {
    this.state = state;
    // Before join (the candidate still reading the consent notice) only terminal states show.
    if (!this.joined && (state === 'joining' || state === 'connected')) return;
    document.body.dataset.state = state;
    this.onStateCb(state, detail);
  }

  /** Opens the signaling websocket (again after a drop). */
  connect() {
    if (this.ended || this.failed) return;
    clearTimeout(this.retryTimer);
    let ws;
    try {
      ws = new WebSocket(this.wsURL());
    } catch (e) {
      this.fail('Could not open the connection: ' + e.message);
      return;
    }
    this.ws = ws;
    let welcomed = false;
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { console.warn('integritybot: bad message', ev.data); return; }
      if (msg.type === 'welcome') welcomed = true;
      this.handle(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.closePeer();
      if (this.ended || this.failed) return;
      if (!welcomed) this.probeLink(ev);
      else this.scheduleReconnect('The connection to the server was lost.');
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  /**
   * The socket closed before a welcome: find out if the link is bad (no retry), the room runs
   * on another server (go there), or the server is away.
   */
  async probeLink(ev) {
    try {
      const res = await fetch(`/api/ws?token=${encodeURIComponent(this.token)}`, { cache: 'no-store' });
      if (res.status === 409 && await this.goToOwner()) return;
      if ([401, 403, 404, 410].includes(res.status)) {
        let text = '';
        try { text = (await res.json()).error || ''; } catch { /* not JSON */ }
        this.fail(text || this.lastError || 'This interview link is not valid or has expired. Ask the interviewer for a new link.');
        return;
      }
    } catch { /* server unreachable: retry */ }
    this.scheduleReconnect(this.lastError || `Could not reach the server (code ${ev.code}).`);
  }

  scheduleReconnect(why) {
    if (this.ended || this.failed) return;
    this.attempt++;
    const delay = Math.min(10000, 500 * 2 ** Math.min(this.attempt - 1, 5)) * (0.8 + Math.random() * 0.4);
    this.setState('joining', `${why} Reconnecting in ${Math.ceil(delay / 1000)} s…`);
    this.retryTimer = setTimeout(() => this.reconnect(), delay);
  }

  /** After a failure: asks where the room runs before opening the websocket again. */
  async reconnect() {
    if (this.ended || this.failed) return;
    if (await this.goToOwner()) return;
    this.connect();
  }

  /**
   * With several servers (docs/deploy.md, "Beyond one machine") the room runs on one of them, and a
   * browser cannot read why a WebSocket handshake failed (the 409 naming the owner). So the
   * page asks GET /api/where; when another server runs the room, it loads this page there
   * (same path and query, ib_owner=that node) and connects from there. Loop guard, as
   * route.go's: a page already sent to that node (its ib_owner names it) is not sent again;
   * it stays and retries with backoff. Returns true when the page is leaving.
   */
  async goToOwner() {
    let w;
    try {
      const res = await fetch(`/api/where?token=${encodeURIComponent(this.token)}`, { cache: 'no-store' });
      if (!res.ok) return false;
      w = await res.json();
    } catch {
      return false; // server unreachable: retry
    }
    if (!w || w.here || !w.node || !w.owner_url || this.ended || this.failed) return false;
    const q = new URLSearchParams(location.search);
    if (q.get('ib_owner') === w.node) {
      console.warn('integritybot: already sent to server ' + w.node + ' and still not there; retrying here');
      this.lastError = 'The interview runs on another server that this page cannot reach.';
      return false;
    }
    q.set('ib_owner', w.node);
    this.setState('joining', 'The interview runs on another server; moving there…');
    clearTimeout(this.retryTimer);
    location.assign(w.owner_url.replace(/\/+$/, '') + location.pathname + '?' + q.toString());
    return true;
  }

  fail(message) {
    this.failed = true;
    clearTimeout(this.retryTimer);
    this.closePeer();
    if (this.ws) { const ws = this.ws; this.ws = null; ws.close(); }
    this.setState('error', message);
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  handle(msg) {
    switch (msg.type) {
      case 'welcome':
        this.welcome = msg;
        this.wsEverWelcomed = true;
        this.lastError = '';
        if (this.joined) this.startPeer();
        break;
      case 'answer':
        this.onAnswer(msg.sdp);
        break;
      case 'candidate':
        this.onRemoteCandidate(msg.candidate);
        break;
      case 'checks':
        this.lastChecks = msg.report;
        break;
      case 'ended':
        this.end();
        break;
      case 'error':
        this.lastError = msg.error || 'The server reported an error.';
        console.warn('integritybot: server error:', this.lastError);
        break;
      default:
        break;
    }
    this.onMessage(msg);
  }

  /** Local media is ready (the stream may have no tracks): join now or as soon as welcomed. */
  join(stream, errors = {}) {
    this.localStream = stream;
    this.mediaErrors = errors;
    this.joined = true;
    this.watchLocalTracks();
    if (this.state !== 'connected') this.setState('joining', 'Joining the interview…');
    if (this.welcome && this.ws && this.ws.readyState === WebSocket.OPEN) this.startPeer();
    else if (!this.ws) this.connect();
  }

  /** Reports local device state changes to the server. */
  watchLocalTracks() {
    for (const t of this.localStream.getTracks()) {
      const on = (state) => () => this.send({ type: 'track', kind: t.kind, state, label: t.label });
      t.addEventListener('mute', on('muted'));
      t.addEventListener('unmute', on('unmuted'));
      t.addEventListener('ended', on('ended'));
    }
  }

  /** Sends the current state of both kinds (on every join, so a rejoin restates it). */
  sendTrackStates() {
    for (const kind of ['audio', 'video']) {
      const t = this.localStream.getTracks().find((x) => x.kind === kind);
      if (!t) {
        const msg = { type: 'track', kind, state: 'none', label: '' };
        if (this.mediaErrors[kind]) msg.error = this.mediaErrors[kind];
        this.send(msg);
      } else {
        let state = t.readyState === 'ended' ? 'ended' : (t.muted || !t.enabled ? 'muted' : 'live');
        this.send({ type: 'track', kind, state, label: t.label });
      }
    }
  }

  /** Turns a local track on or off (off sends black frames / silence) and tells the server. */
  setTrackEnabled(kind, enabled) {
    const t = this.localStream && this.localStream.getTracks().find((x) => x.kind === kind);
    if (!t) return false;
    t.enabled = enabled;
    this.send({ type: 'track', kind, state: enabled ? 'unmuted' : 'muted', label: t.label });
    return true;
  }

  async startPeer() {
    this.closePeer();
    const pc = new RTCPeerConnection({ iceServers: (this.welcome && this.welcome.ice_servers) || [] });
    this.pc = pc;
    this.pendingCandidates = [];
    this.remoteStream = new MediaStream();
    const remote = $('remote-video');
    if (remote) remote.srcObject = this.remoteStream;

    pc.onicecandidate = (e) => {
      if (this.pc !== pc) return;
      this.send({ type: 'candidate', candidate: e.candidate ? e.candidate.toJSON() : null });
    };
    pc.ontrack = (e) => {
      if (this.pc !== pc) return;
      if (!this.remoteStream.getTracks().includes(e.track)) this.remoteStream.addTrack(e.track);
      if (remote && remote.srcObject !== this.remoteStream) remote.srcObject = this.remoteStream;
      const show = () => this.onRemoteMedia();
      e.track.addEventListener('unmute', show);
      e.track.addEventListener('mute', show);
      e.track.addEventListener('ended', show);
      show();
    };
    pc.onconnectionstatechange = () => {
      if (this.pc !== pc) return;
      const s = pc.connectionState;
      if (s === 'connected') {
        this.attempt = 0;
        this.setState('connected', 'Connected.');
        this.preferResolution().then(() => this.preferLayers());
      } else if (s === 'failed') {
        // Start over on a fresh socket: the server treats it as a rejoin.
        if (this.ws) { const ws = this.ws; ws.close(); }
      } else if (s === 'disconnected' && this.state === 'connected') {
        this.setState('joining', 'The media connection is interrupted; trying to recover…');
      }
    };

    try {
      const tracks = this.localStream ? this.localStream.getTracks() : [];
      for (const kind of ['audio', 'video']) {
        const t = tracks.find((x) => x.kind === kind);
        if (t) pc.addTrack(t, this.localStream);
        else pc.addTransceiver(kind, { direction: 'recvonly' });
      }
      await this.preferResolution();
      await this.preferLayers();
      const offer = await pc.createOffer();
      if (this.pc !== pc) return;
      await pc.setLocalDescription(offer);
      if (this.role === 'candidate') this.sendHello();
      this.send({ type: 'offer', sdp: pc.localDescription.sdp });
      this.sendTrackStates();
    } catch (e) {
      console.error('integritybot: offer failed', e);
      this.fail('Could not start the call in this browser: ' + e.message);
    }
  }

  /** Tells the server the browser's timezone, clock and languages (timezone check; after consent only). */
  sendHello() {
    let timezone = '';
    try { timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch { /* old browser */ }
    this.send({
      type: 'hello',
      timezone,
      utc_offset_min: -new Date().getTimezoneOffset(),
      now_ms: Date.now(),
      languages: Array.from(navigator.languages || [navigator.language]).filter(Boolean).slice(0, 16),
      user_agent: navigator.userAgent,
    });
  }

  /** Keep 720p from the first frame instead of ramping up slowly (docs/pitfalls.md). */
  async preferResolution() {
    if (!this.pc) return;
    for (const s of this.pc.getSenders()) {
      if (!s.track || s.track.kind !== 'video') continue;
      try {
        const p = s.getParameters();
        if (p.degradationPreference === 'maintain-resolution') continue;
        p.degradationPreference = 'maintain-resolution';
        await s.setParameters(p);
      } catch (e) {
        console.warn('integritybot: could not set degradationPreference:', e.message);
      }
    }
  }

  /**
   * Asks the video encoder for this.scalabilityMode (WebRTC-SVC, RTCRtpEncodingParameters.
   * scalabilityMode); if the browser refuses, the video goes out as before without a word:
   * layers are an optimisation.
   */
  async preferLayers() {
    const mode = this.scalabilityMode;
    if (!this.pc || !mode || !scalabilitySupported(mode)) return;
    for (const s of this.pc.getSenders()) {
      if (!s.track || s.track.kind !== 'video') continue;
      try {
        const p = s.getParameters();
        if (!p.encodings || p.encodings.length !== 1 || p.encodings[0].scalabilityMode === mode) continue;
        p.encodings[0].scalabilityMode = mode;
        await s.setParameters(p);
      } catch (e) {
        console.info('integritybot: no temporal layers (' + mode + '):', e.message);
      }
    }
  }

  async onAnswer(sdp) {
    const pc = this.pc;
    if (!pc) return;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp });
      const queued = this.pendingCandidates;
      this.pendingCandidates = [];
      for (const c of queued) await this.addCandidate(pc, c);
    } catch (e) {
      console.error('integritybot: bad answer', e);
      this.lastError = 'The server sent an answer this browser could not use: ' + e.message;
      if (this.ws) this.ws.close();
    }
  }

  onRemoteCandidate(c) {
    const pc = this.pc;
    if (!pc) return;
    if (!pc.remoteDescription) this.pendingCandidates.push(c);
    else this.addCandidate(pc, c);
  }

  async addCandidate(pc, c) {
    try {
      if (c && c.candidate) await pc.addIceCandidate(c);
      else await pc.addIceCandidate();
    } catch (e) {
      console.warn('integritybot: could not add ICE candidate', e.message);
    }
  }

  /** Called when a remote track starts, stops or changes: the page may update its overlay. */
  onRemoteMedia() {
    const live = this.remoteStream && this.remoteStream.getVideoTracks().some((t) => t.readyState === 'live' && !t.muted);
    document.body.dataset.remoteVideo = live ? 'live' : 'none';
    const overlay = $('remote-overlay');
    if (overlay) overlay.hidden = !!live;
  }

  closePeer() {
    const pc = this.pc;
    this.pc = null;
    if (pc) {
      try { pc.close(); } catch { /* already closed */ }
    }
    if (this.remoteStream) this.onRemoteMedia();
  }

  /** The interview is over: close everything and stop the camera. */
  end() {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.retryTimer);
    this.closePeer();
    if (this.localStream) this.localStream.getTracks().forEach((t) => t.stop());
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, 'ended');
    for (const id of ['local-video', 'remote-video']) {
      const v = $(id);
      if (v) v.srcObject = null;
    }
    this.setState('ended', 'The interview has ended.');
  }

  /** Leaves without ending the interview (e.g. the candidate declines). */
  leave() {
    this.failed = true;
    clearTimeout(this.retryTimer);
    this.closePeer();
    if (this.localStream) this.localStream.getTracks().forEach((t) => t.stop());
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, 'left');
  }
}

/** Plays a video element, unmuted if the browser allows, otherwise muted with the unmute button shown. */
export function playWithSound(video, unmuteButton) {
  if (!video) return;
  video.muted = false;
  const p = video.play();
  if (p && p.catch) {
    p.then(() => { if (unmuteButton) unmuteButton.hidden = true; }).catch(() => {
      video.muted = true;
      video.play().catch(() => {});
      if (unmuteButton) unmuteButton.hidden = false;
    });
  }
  if (unmuteButton && !unmuteButton.dataset.bound) {
    unmuteButton.dataset.bound = '1';
    unmuteButton.addEventListener('click', () => {
      video.muted = false;
      video.play().catch(() => {});
      unmuteButton.hidden = true;
    });
  }
}

/** Shows the local preview (always muted: no echo). */
export function showLocal(stream) {
  const v = $('local-video');
  if (!v) return;
  v.muted = true;
  v.srcObject = stream;
  v.play().catch(() => {});
  const hasVideo = stream.getVideoTracks().length > 0;
  const off = $('local-off');
  if (off) off.hidden = hasVideo;
}

/**
 * Reports whether the browser may encode VP8 or VP9 with scalability mode `mode`: false only
 * when its capabilities list scalability modes without this one. Chromium 156 lists none
 * yet accepts L1T3 in setParameters; an unsupported mode makes setParameters throw.
 */
function scalabilitySupported(mode) {
  try {
    const caps = RTCRtpSender.getCapabilities && RTCRtpSender.getCapabilities('video');
    const vpx = caps ? caps.codecs.filter((c) => /^video\/VP[89]$/i.test(c.mimeType)) : [];
    if (!vpx.some((c) => Array.isArray(c.scalabilityModes))) return true;
    return vpx.some((c) => Array.isArray(c.scalabilityModes) && c.scalabilityModes.includes(mode));
  } catch {
    return true;
  }
}

/** Installs window.integritybot for tests; fields read through to the live room. */
export function exposeForTests(getRoom, role) {
  window.integritybot = {
    role,
    get room() { return getRoom(); },
    get state() { return document.body.dataset.state; },
    get pc() { const r = getRoom(); return r ? r.pc : null; },
    get lastChecks() { const r = getRoom(); return r ? r.lastChecks : null; },
    get ended() { const r = getRoom(); return !!(r && r.ended); },
    get welcome() { const r = getRoom(); return r ? r.welcome : null; },
    get localStream() { const r = getRoom(); return r ? r.localStream : null; },
    get remoteStream() { const r = getRoom(); return r ? r.remoteStream : null; },
  };
}
