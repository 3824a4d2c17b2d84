// WebRTC for the phone pages: microphone, one peer connection per call leg, devices, levels.
//
// The browser always offers and SIVO answers (docs/signaling.md "Offer/answer"). The offer is
// sent once ICE gathering is complete, so no candidate needs trickling. Audio processing
// (echo cancellation, noise suppression, gain control) is ON unless the page URL says
// `?processing=off` (tests feeding a fake or file microphone).

const PARAMS = new URLSearchParams(globalThis.location?.search ?? ''); // none in node (tests/js)
const PROCESSING = PARAMS.get('processing') !== 'off';
export const CAN_PICK_SPEAKER = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

/** STUN/TURN servers for the browser: the server's own list (empty by default: no STUN). */
export async function loadIceServers(base) {
  const resp = await fetch(`${base}config.json`, { cache: 'no-store' });
  if (!resp.ok) throw new Error(`could not load ${base}config.json (HTTP ${resp.status})`);
  const body = await resp.json();
  return Array.isArray(body.ice_servers) ? body.ice_servers : [];
}

function micError(err) {
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Microphone access is blocked. Allow the microphone for this site (the icon in the address bar), then try again.';
    case 'NotFoundError':
      return 'No microphone was found. Connect one, then try again.';
    case 'NotReadableError':
      return 'The microphone could not be started: another application may be using it.';
    default:
      return `The microphone could not be opened: ${err?.message || err}`;
  }
}

/**
 * Opens the microphone (the chosen device, else the default). Resolves {stream, warning};
 * rejects with an Error whose message tells the user what to do.
 */
export async function openMic(deviceId) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('This browser cannot use a microphone here (the page must be served over HTTPS).');
  }
  const audio = { echoCancellation: PROCESSING, noiseSuppression: PROCESSING, autoGainControl: PROCESSING };
  try {
    if (deviceId) {
      try {
        return { stream: await navigator.mediaDevices.getUserMedia({ audio: { ...audio, deviceId: { exact: deviceId } } }), warning: '' };
      } catch (err) {
        if (err?.name !== 'OverconstrainedError' && err?.name !== 'NotFoundError') throw err;
        const stream = await navigator.mediaDevices.getUserMedia({ audio });
        return { stream, warning: 'The chosen microphone is not available; using the default one.' };
      }
    }
    return { stream: await navigator.mediaDevices.getUserMedia({ audio }), warning: '' };
  } catch (err) {
    throw new Error(micError(err));
  }
}

function gatheringComplete(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => pc.iceGatheringState === 'complete' && done();
    const timer = setTimeout(done, timeoutMs); // send what was gathered so far
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/**
 * One call leg: a peer connection with the microphone and an <audio> element for what SIVO
 * sends. `onState(state)` gets the connection state ('connecting', 'connected', 'failed', ...)
 * and 'audio-blocked' when the browser refuses to play without a click.
 */
export class PeerLeg {
  constructor({ iceServers, mic, speakerId, onState }) {
    this.mic = mic;
    this.onState = onState ?? (() => {});
    this.audio = document.createElement('audio');
    this.audio.autoplay = true;
    this.audio.dataset.role = 'remote-audio';
    document.body.append(this.audio);
    if (speakerId) this.setSpeaker(speakerId).catch(() => {});
    this.pc = new RTCPeerConnection({ iceServers });
    for (const track of mic.getAudioTracks()) this.pc.addTrack(track, mic);
    this.pc.addEventListener('track', (ev) => {
      this.audio.srcObject = ev.streams[0] ?? new MediaStream([ev.track]);
      this.play();
    });
    this.pc.addEventListener('connectionstatechange', () => this.onState(this.pc.connectionState));
    this.lastBytes = 0;
    this.receiving = false;
    this.level = 0;
    this.sendLevel = 0;
    this.closed = false;
  }

  play() {
    this.audio.play().then(
      () => this.onState('audio-playing'),
      () => this.onState('audio-blocked'),
    );
  }

  /** The SDP offer, with every candidate gathered (or what was found within the timeout). */
  async offer(gatherTimeoutMs = 5000) {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await gatheringComplete(this.pc, gatherTimeoutMs);
    return this.pc.localDescription.sdp;
  }

  async accept(answerSdp) {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
  }

  async setSpeaker(deviceId) {
    if (CAN_PICK_SPEAKER) await this.audio.setSinkId(deviceId || '');
  }

  /** Sends a different microphone (device change mid-call) without renegotiating. */
  async replaceMic(stream) {
    const track = stream.getAudioTracks()[0];
    const sender = this.pc.getSenders().find((s) => s.track?.kind === 'audio' || s.track === null);
    if (sender) await sender.replaceTrack(track);
    if (track && this.mic.getAudioTracks()[0]) track.enabled = this.mic.getAudioTracks()[0].enabled;
    for (const old of this.mic.getTracks()) old.stop();
    this.mic = stream;
  }

  /** Stops sending the microphone locally (the server mutes too; this makes it certain). */
  setMicEnabled(on) {
    for (const track of this.mic.getAudioTracks()) track.enabled = on;
  }

  /** Updates `receiving` (bytes arrived since the last poll) and the audio levels (0..1). */
  async poll() {
    if (this.closed) return;
    const report = await this.pc.getStats();
    let bytes = 0;
    let level = 0;
    let sendLevel = 0;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        bytes += s.bytesReceived ?? 0;
        level = Math.max(level, s.audioLevel ?? 0);
      } else if (s.type === 'media-source' && s.kind === 'audio') {
        sendLevel = Math.max(sendLevel, s.audioLevel ?? 0);
      }
    });
    this.receiving = bytes > this.lastBytes;
    this.lastBytes = bytes;
    this.level = this.receiving ? level : 0;
    this.sendLevel = sendLevel;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
    for (const track of this.mic.getTracks()) track.stop();
    this.audio.srcObject = null;
    this.audio.remove();
  }
}

// ---- audio devices ---------------------------------------------------------------------------
//
// A choice is kept as {id, label}: Chromium may give a frame new deviceIds on every load (a
// third-party frame with its storage partitioned or blocked), so a choice whose id is gone is
// found again by the label the browser shows. These functions touch no DOM (tests/js).

export const DEVICE_KINDS = ['mic', 'speaker', 'ringer'];

function clipped(value, max = 500) {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/** Saved choices as {kind: {id, label}}, from this shape or the old {kind: id}; junk dropped. */
export function readChoices(raw) {
  const out = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const kind of DEVICE_KINDS) {
    const value = raw[kind];
    if (typeof value === 'string') out[kind] = { id: clipped(value), label: '' };
    else if (value && typeof value === 'object') out[kind] = { id: clipped(value.id), label: clipped(value.label) };
  }
  return out;
}

/**
 * The deviceId to select among `devices` ([{deviceId, label}]) for a saved choice: its id if
 * offered, else the first device with its label, else '' (the system default).
 */
export function chooseDevice(devices, choice) {
  if (!choice) return '';
  if (choice.id && devices.some((d) => d.deviceId === choice.id)) return choice.id;
  if (choice.label) return devices.find((d) => d.label === choice.label)?.deviceId ?? '';
  return '';
}

/**
 * A choice that arrived later (SIVO's copy) against the one this browser has: it wins when
 * this browser has none, or when one of `devices` has its label; a label no device here has
 * (another computer's) leaves this browser's choice alone.
 */
export function laterChoice(local, later, devices) {
  if (!later?.label) return local ?? null;
  if (!local || (!local.id && !local.label)) return { id: '', label: later.label };
  if (local.label === later.label) return local;
  const id = chooseDevice(devices, { id: '', label: later.label });
  return id ? { id, label: later.label } : local;
}

// What SIVO keeps of a label (server/schemas/preferences.py): 1-200 characters, one line.
const KEEPABLE = /^[^\u0000-\u001f\u007f-\u009f]{1,200}$/u;

/** The labels of saved choices, {mic, speaker, ringer}: null for the system default, or a
 * label SIVO would not keep (then that kind is remembered by this browser only). */
export function choiceLabels(saved) {
  const keepable = (label) => typeof label === 'string' && KEEPABLE.test(label) && label.isWellFormed?.() !== false;
  return Object.fromEntries(DEVICE_KINDS.map((kind) => [kind, keepable(saved?.[kind]?.label) ? saved[kind].label : null]));
}

/** Choices from labels alone ({kind: label}), as SIVO keeps them. */
export function labelChoices(labels) {
  const out = {};
  for (const kind of DEVICE_KINDS) {
    const label = clipped(labels?.[kind]);
    if (label) out[kind] = { id: '', label };
  }
  return out;
}

/** Choices kept in localStorage under `key`; a browser without storage keeps none. */
export function localStore(key) {
  return {
    load() {
      try {
        return JSON.parse(localStorage.getItem(key) ?? '{}') ?? {};
      } catch {
        return {};
      }
    },
    save(saved) {
      try {
        localStorage.setItem(key, JSON.stringify(saved));
      } catch {
        // storage disabled: the choice lasts for this page only
      }
    },
  };
}

/**
 * Fills microphone / speaker / ringer <select>s and remembers the choices through `store`
 * ({load(), save(saved)}; by default localStorage under `storageKey`). `onChange(kind,
 * deviceId)` runs when the user picks another device; `restore(saved)` applies choices that
 * arrive later (see laterChoice).
 */
export class DevicePicker {
  constructor({ mic, speaker, ringer, note, storageKey, store, onChange }) {
    this.selects = { mic, speaker, ringer };
    this.note = note;
    this.store = store ?? localStore(storageKey);
    this.onChange = onChange ?? (() => {});
    this.offered = { mic: [], speaker: [], ringer: [] }; // the devices each select lists
    try {
      this.saved = readChoices(this.store.load());
    } catch {
      this.saved = {};
    }
    for (const [kind, select] of Object.entries(this.selects)) {
      if (!select) continue;
      select.addEventListener('change', () => {
        const picked = this.offered[kind].find((d) => d.deviceId === select.value);
        this.saved[kind] = { id: select.value, label: picked?.label ?? '' };
        try {
          this.store.save({ ...this.saved });
        } catch {
          // the choice lasts for this page only
        }
        this.onChange(kind, select.value);
      });
    }
    navigator.mediaDevices?.addEventListener?.('devicechange', () => this.refresh());
  }

  get micId() {
    return this.selects.mic?.value || '';
  }

  get speakerId() {
    return this.selects.speaker?.value || '';
  }

  get ringerId() {
    return this.selects.ringer?.value || this.speakerId;
  }

  /** Applies choices that arrived after the page started ({kind: {id, label}}), re-fills. */
  async restore(later) {
    const choices = readChoices(later);
    for (const kind of DEVICE_KINDS) {
      if (!this.selects[kind] || !choices[kind]) continue;
      const before = this.selects[kind].value;
      this.saved[kind] = laterChoice(this.saved[kind], choices[kind], this.offered[kind]);
      this.fill(this.selects[kind], this.offered[kind], kind === 'mic' ? 'Microphone' : 'Speaker');
      if (this.selects[kind].value !== before) await this.onChange(kind, this.selects[kind].value);
    }
  }

  async refresh() {
    if (!navigator.mediaDevices?.enumerateDevices) {
      this.note.textContent = 'This browser cannot list audio devices; the system defaults are used.';
      return;
    }
    const devices = await navigator.mediaDevices.enumerateDevices();
    const inputs = devices.filter((d) => d.kind === 'audioinput');
    const outputs = devices.filter((d) => d.kind === 'audiooutput');
    this.fill(this.selects.mic, inputs, 'Microphone');
    for (const kind of ['speaker', 'ringer']) {
      const select = this.selects[kind];
      if (!select) continue;
      select.disabled = !CAN_PICK_SPEAKER;
      this.fill(select, CAN_PICK_SPEAKER ? outputs : [], 'Speaker');
    }
    const notes = [];
    if (inputs.length && inputs.every((d) => !d.label)) notes.push('Device names appear once the microphone is allowed.');
    if (!inputs.length) notes.push('No microphone found.');
    if (!CAN_PICK_SPEAKER) notes.push('This browser plays calls on the system speaker (no speaker choice).');
    this.note.textContent = notes.join(' ');
  }

  fill(select, devices, noun) {
    if (!select) return;
    const kind = Object.keys(this.selects).find((k) => this.selects[k] === select);
    const offered = devices
      .filter((d) => d.deviceId && d.deviceId !== 'default' && d.deviceId !== 'communications')
      .map((d) => ({ deviceId: d.deviceId, label: d.label ?? '' }));
    this.offered[kind] = offered;
    const options = [new Option('System default', '')];
    offered.forEach((d, i) => options.push(new Option(d.label || `${noun} ${i + 1}`, d.deviceId)));
    select.replaceChildren(...options);
    select.value = chooseDevice(offered, this.saved[kind]);
  }
}

/** Sets a <meter> and its text from a 0..1 level and whether packets are arriving. */
export function showLevel(meter, label, leg) {
  if (!leg) {
    meter.value = 0;
    label.textContent = 'No call';
    meter.dataset.receiving = 'false';
    return;
  }
  meter.value = Math.min(1, Math.sqrt(leg.level)); // perceptual-ish scale
  meter.dataset.receiving = String(leg.receiving);
  label.textContent = leg.receiving ? 'Receiving audio' : 'No audio received';
}

/** A ring tone (two-tone 440+480 Hz, 2 s on, 4 s off) as a WAV blob URL, built once. */
let ringUrl = null;
export function ringToneUrl() {
  if (ringUrl) return ringUrl;
  const rate = 8000;
  const samples = rate * 6;
  const view = new DataView(new ArrayBuffer(44 + samples * 2));
  const text = (offset, s) => [...s].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + samples * 2, true);
  text(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, samples * 2, true);
  for (let i = 0; i < samples; i += 1) {
    const t = i / rate;
    const on = t < 2 ? Math.min(1, t * 50, (2 - t) * 50) : 0;
    const v = on * 0.25 * (Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 480 * t));
    view.setInt16(44 + i * 2, Math.round(v * 32767 * 0.5), true);
  }
  ringUrl = URL.createObjectURL(new Blob([view], { type: 'audio/wav' }));
  return ringUrl;
}

/** Plays the ring tone on `audio` (routed to the ringer device); returns false if blocked. */
export async function startRinging(audio, deviceId) {
  if (!audio.paused) return true;
  audio.loop = true;
  if (!audio.src) audio.src = ringToneUrl();
  if (CAN_PICK_SPEAKER) await audio.setSinkId(deviceId || '').catch(() => {});
  try {
    audio.currentTime = 0;
    await audio.play();
    return true;
  } catch {
    return false;
  }
}

export function stopRinging(audio) {
  audio.pause();
}
