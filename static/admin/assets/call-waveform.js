// The recording player's decisions, with no DOM access: a channel's samples (a Float32Array
// from AudioBuffer.getChannelData) reduced to one min/max pair per pixel column, where a
// click or a key moves playback, how the time reads, and where the recording is fetched.

import { clockTime } from './calls-model.js';

/**
 * Min and max of each of `buckets` equal slices of `samples` (values in -1..1). A slice
 * with no sample (fewer samples than buckets) repeats the sample under it, so a short
 * clip still draws across the whole width; empty input gives zeros.
 * @returns {{min: Float32Array, max: Float32Array}}
 */
export function computePeaks(samples, buckets) {
  const n = Math.max(0, Math.floor(buckets));
  const min = new Float32Array(n);
  const max = new Float32Array(n);
  const len = samples?.length ?? 0;
  if (!len || !n) return { min, max };
  for (let b = 0; b < n; b += 1) {
    let from = Math.floor((b * len) / n);
    let to = Math.floor(((b + 1) * len) / n);
    if (to <= from) to = Math.min(len, from + 1);
    if (from >= len) from = len - 1;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = from; i < to; i += 1) {
      const v = samples[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min[b] = Math.max(-1, lo);
    max[b] = Math.min(1, hi);
  }
  return { min, max };
}

/** Peaks of every channel (an AudioBuffer's, as Float32Arrays), `buckets` each. */
export function channelPeaks(channels, buckets) {
  return Array.from(channels ?? [], (samples) => computePeaks(samples, buckets));
}

/**
 * One gain for every channel's peaks so that the loudest column fills ~95% of its lane: a
 * phone call recorded at a low level still shows its shape, and the channels keep their
 * loudness relative to each other. At most `maxGain` (silence stays flat, noise small).
 */
export function peakGain(peaksList, maxGain = 8) {
  let loudest = 0;
  for (const { min, max } of peaksList ?? []) {
    for (let i = 0; i < max.length; i += 1) loudest = Math.max(loudest, Math.abs(min[i]), Math.abs(max[i]));
  }
  if (!(loudest > 0)) return 1;
  return Math.min(maxGain, 0.95 / loudest);
}

/** The channels' labels: a SIVO recording is the caller on the left, the agent on the right. */
export function channelLabels(count) {
  if (count === 2) return ['Caller (left channel)', 'Agent (right channel)'];
  return Array.from({ length: count }, (_, i) => `Channel ${i + 1}`);
}

/** Vertical extent of one column in a lane `height` pixels high: {y, h}, at least 1 px
 * (`gain` from peakGain, the result kept inside the lane). */
export function columnExtent(min, max, height, gain = 1) {
  const mid = height / 2;
  const top = mid - Math.min(1, Math.max(0, max * gain)) * mid;
  const bottom = mid - Math.max(-1, Math.min(0, min * gain)) * mid;
  return { y: top, h: Math.max(1, bottom - top) };
}

/** A click `x` pixels into a `width`-wide waveform → seconds into a `duration` recording. */
export function positionToTime(x, width, duration) {
  if (!(width > 0) || !(duration > 0)) return 0;
  return Math.min(duration, Math.max(0, (x / width) * duration));
}

/** Seconds into the recording → the cursor's x on a `width`-wide waveform. */
export function timeToPosition(seconds, width, duration) {
  if (!(width > 0) || !(duration > 0)) return 0;
  return Math.min(width, Math.max(0, (seconds / duration) * width));
}

export const SEEK_STEP_S = 5;
export const SEEK_PAGE_S = 30;

/**
 * Where a key pressed on the waveform (a slider) moves playback, or null for a key it
 * does not handle: arrows 5 s, Page Up/Down 30 s, Home/End the ends.
 */
export function seekForKey(key, current, duration) {
  const d = Number(duration) > 0 ? Number(duration) : 0;
  const clamp = (t) => Math.min(d, Math.max(0, t));
  switch (key) {
    case 'ArrowRight':
    case 'ArrowUp':
      return clamp(current + SEEK_STEP_S);
    case 'ArrowLeft':
    case 'ArrowDown':
      return clamp(current - SEEK_STEP_S);
    case 'PageUp':
      return clamp(current + SEEK_PAGE_S);
    case 'PageDown':
      return clamp(current - SEEK_PAGE_S);
    case 'Home':
      return 0;
    case 'End':
      return d;
    default:
      return null;
  }
}

/** "00:12 / 01:30" (the duration rounded, as the page's other durations are; '—' until known). */
export function playbackLabel(current, duration) {
  return `${clockTime(current)} / ${Number(duration) > 0 ? clockTime(Math.round(Number(duration))) : '—'}`;
}

/** The slider's spoken value: "12 seconds of 1 minute 30 seconds". */
export function playbackValueText(current, duration) {
  const words = (s) => {
    const t = Math.max(0, Math.floor(Number(s) || 0));
    const m = Math.floor(t / 60);
    const sec = t % 60;
    const secs = `${sec} ${sec === 1 ? 'second' : 'seconds'}`;
    return m ? `${m} ${m === 1 ? 'minute' : 'minutes'} ${secs}` : secs;
  };
  return Number(duration) > 0 ? `${words(current)} of ${words(duration)}` : words(current);
}

/**
 * The signed URL's path and query on the page's own origin: the dashboard fetches the WAV
 * from where it is served (the public URL may name another host, e.g. behind a proxy),
 * which its Content-Security-Policy (connect-src 'self') allows.
 */
export function sameOriginUrl(signedUrl, pageOrigin) {
  try {
    const url = new URL(signedUrl, pageOrigin);
    return new URL(url.pathname + url.search, pageOrigin).toString();
  } catch {
    return null;
  }
}
