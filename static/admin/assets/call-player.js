// A call's recording in the page: GET /api/v1/recordings/{id} for a fresh signed URL, the
// WAV played by an <audio> element, and a waveform of each channel (caller left, agent
// right) drawn on a canvas from the file decoded with the Web Audio API (decodeAudioData).
// Play/pause is a button; the waveform is a slider (arrows, Page Up/Down, Home/End, a
// click) with a cursor that follows playback; a link downloads the WAV. The arithmetic
// lives in call-waveform.js.

import { get } from './api.js';
import { h, say } from './dom.js';
import { duration as durationText } from './calls-model.js';
import {
  channelLabels,
  channelPeaks,
  columnExtent,
  peakGain,
  playbackLabel,
  playbackValueText,
  positionToTime,
  sameOriginUrl,
  seekForKey,
  timeToPosition,
} from './call-waveform.js';

const LANE_HEIGHT = 64; // CSS pixels per channel
const COLORS = { wave: '#9aa3c7', played: '#4f46e5', cursor: '#b42318', axis: '#e3e6f0' };
// Decoded at 8 kHz: a phone call's band, and a tenth of the memory of 48 kHz for a long call.
const DECODE_RATE = 8000;

async function decode(bytes) {
  const Offline = window.OfflineAudioContext || window.webkitOfflineAudioContext;
  const ctx = new Offline(1, 1, DECODE_RATE);
  return ctx.decodeAudioData(bytes);
}

export function recordingPlayer(call) {
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'recording-note' });
  const error = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });
  const download = h('a', { class: 'btn', hidden: true }, 'Download (WAV)');
  const audio = h('audio', { preload: 'auto' });
  const playBtn = h('button', { type: 'button', class: 'btn btn-primary play', disabled: true, 'aria-label': 'Play the recording' }, 'Play');
  const clock = h('span', { class: 'mono player-clock', 'aria-hidden': 'true' }, playbackLabel(0, NaN));
  const lanes = h('div', { class: 'wave-lanes' });
  const wave = h(
    'div',
    { class: 'waveform', role: 'slider', tabindex: '0', 'aria-label': 'Playback position', 'aria-valuemin': '0', 'aria-valuemax': '0', 'aria-valuenow': '0', 'aria-valuetext': playbackValueText(0, 0), 'aria-disabled': 'true' },
    lanes,
  );
  const player = h('div', { class: 'player', hidden: true }, h('div', { class: 'player-controls' }, playBtn, clock), wave, audio);
  const card = h(
    'section',
    { class: 'card recording', 'aria-labelledby': 'recording-title', 'data-state': 'loading' },
    h('div', { class: 'card-head' }, h('h2', { id: 'recording-title' }, 'Recording'), download),
    status,
    error,
    player,
  );

  let canvases = [];
  let channels = [];
  let peaks = [];
  let gain = 1;
  let frame = 0;

  const length = () => (Number.isFinite(audio.duration) ? audio.duration : 0);

  function drawLane(canvas, peak) {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.round(LANE_HEIGHT * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const g = canvas.getContext('2d');
    g.clearRect(0, 0, width, height);
    g.fillStyle = COLORS.axis;
    g.fillRect(0, Math.floor(height / 2), width, Math.max(1, Math.round(ratio)));
    if (!peak || peak.max.length !== width) return;
    const cursor = timeToPosition(audio.currentTime, width, length());
    for (let x = 0; x < width; x += 1) {
      const { y, h: hgt } = columnExtent(peak.min[x], peak.max[x], height, gain);
      g.fillStyle = x < cursor ? COLORS.played : COLORS.wave;
      g.fillRect(x, y, 1, hgt);
    }
    g.fillStyle = COLORS.cursor;
    g.fillRect(Math.min(width - Math.ceil(ratio), Math.floor(cursor)), 0, Math.max(1, Math.round(2 * ratio)), height);
  }

  function draw() {
    canvases.forEach((canvas, i) => drawLane(canvas, peaks[i]));
    const now = audio.currentTime || 0;
    clock.textContent = playbackLabel(now, length());
    wave.setAttribute('aria-valuemax', String(Math.round(length())));
    wave.setAttribute('aria-valuenow', String(Math.round(now)));
    wave.setAttribute('aria-valuetext', playbackValueText(now, length()));
  }

  function computePeaks() {
    const ratio = window.devicePixelRatio || 1;
    peaks = canvases.map((canvas, i) => channelPeaks([channels[i]], Math.max(1, Math.round(canvas.clientWidth * ratio)))[0]);
    gain = peakGain(peaks);
    card.dataset.peaks = String(peaks.length);
  }

  function follow() {
    draw();
    frame = audio.paused ? 0 : requestAnimationFrame(follow);
  }

  function seek(seconds) {
    if (!(length() > 0)) return;
    audio.currentTime = seconds;
    draw();
  }

  function togglePlay() {
    if (audio.paused) {
      audio.play().catch((err) => say(error, `The recording could not be played: ${err.message}`, 'error'));
    } else {
      audio.pause();
    }
  }

  playBtn.addEventListener('click', togglePlay);
  audio.addEventListener('play', () => {
    playBtn.textContent = 'Pause';
    playBtn.setAttribute('aria-label', 'Pause the recording');
    card.dataset.playing = 'true';
    if (!frame) frame = requestAnimationFrame(follow);
  });
  audio.addEventListener('pause', () => {
    playBtn.textContent = 'Play';
    playBtn.setAttribute('aria-label', 'Play the recording');
    delete card.dataset.playing;
    draw();
  });
  audio.addEventListener('timeupdate', () => {
    if (audio.paused) draw();
  });
  audio.addEventListener('loadedmetadata', () => {
    playBtn.disabled = false;
    wave.removeAttribute('aria-disabled');
    draw();
  });
  audio.addEventListener('error', () => say(error, 'The recording could not be loaded for playing; try the download link.', 'error'));
  wave.addEventListener('click', (event) => {
    const box = wave.getBoundingClientRect();
    seek(positionToTime(event.clientX - box.left, box.width, length()));
  });
  wave.addEventListener('keydown', (event) => {
    if (event.key === ' ' || event.key === 'Enter') {
      event.preventDefault();
      togglePlay();
      return;
    }
    const to = seekForKey(event.key, audio.currentTime || 0, length());
    if (to === null) return;
    event.preventDefault();
    seek(to);
  });
  window.addEventListener('resize', () => {
    if (!card.isConnected || !channels.length) return;
    computePeaks();
    draw();
  });

  async function drawWaveform(url) {
    try {
      const resp = await fetch(url, { credentials: 'same-origin' });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      const buffer = await decode(await resp.arrayBuffer());
      channels = Array.from({ length: buffer.numberOfChannels }, (_, i) => buffer.getChannelData(i));
      const labels = channelLabels(buffer.numberOfChannels);
      canvases = channels.map(() => h('canvas', { class: 'wave-canvas', height: String(LANE_HEIGHT), 'aria-hidden': 'true' }));
      lanes.replaceChildren(
        ...canvases.map((canvas, i) => h('div', { class: 'wave-lane' }, h('span', { class: 'wave-label' }, labels[i]), canvas)),
      );
      computePeaks();
      draw();
      card.dataset.state = 'ready';
    } catch {
      card.dataset.state = 'no-waveform';
      say(status, 'The waveform could not be drawn; the recording can still be played and downloaded.');
    }
  }

  async function load() {
    if (!call.recording_id) {
      card.dataset.state = 'none';
      say(status, call.state === 'ended' ? 'This call was not recorded.' : 'No recording yet.');
      return;
    }
    say(status, 'Loading the recording…');
    let rec;
    try {
      rec = await get(`/recordings/${encodeURIComponent(call.recording_id)}`);
    } catch (err) {
      card.dataset.state = 'error';
      say(error, err.status === 410 ? 'The recording could not be finalized.' : err.message, 'error');
      return;
    }
    if (!rec.url) {
      card.dataset.state = 'recording';
      say(status, 'Still recording; it can be played once the call has ended (reload then).');
      return;
    }
    const url = sameOriginUrl(rec.url, location.origin) ?? rec.url;
    download.href = url;
    download.setAttribute('download', `${call.id}.wav`);
    download.hidden = false;
    const took = rec.duration_seconds !== null && rec.duration_seconds !== undefined ? durationText(rec.duration_seconds) : '';
    say(status, `${took ? `${took}, ` : ''}${rec.channels === 2 ? 'stereo: the caller on the left, the agent on the right' : `${rec.channels} channel(s)`}. Space plays or pauses on the waveform; the arrow keys move 5 s.`);
    player.hidden = false;
    audio.src = url;
    await drawWaveform(url);
  }

  return { el: card, load, audio };
}
