// Beyond the toast: a short tone (WebAudio, no audio files; off unless the trader turns it on) and the
// browser's notification (only when the trader granted the permission and the window is not in view).
import type { OrderNotice } from './order-words';

const SOUND_KEY = 'dualdesk.sound';

export function soundOn(): boolean {
  return localStorage.getItem(SOUND_KEY) === 'on';
}

export function setSoundOn(on: boolean): void {
  localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
}

let audio: AudioContext | undefined;

/** A rising two-note chime for a fill, one low note for a reject. */
export function playTone(kind: OrderNotice['kind']): void {
  if (typeof AudioContext === 'undefined') return;
  audio ??= new AudioContext();
  const notes = kind === 'rejected' ? [220] : kind === 'partial' ? [660] : [660, 880];
  const start = audio.currentTime;
  notes.forEach((hz, i) => {
    const ctx = audio as AudioContext;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = kind === 'rejected' ? 'square' : 'sine';
    osc.frequency.value = hz;
    const t = start + i * 0.12;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.15, t + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.18);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + 0.2);
  });
}

/** 'granted', 'denied', 'default', or 'unsupported' (no Notification API here). */
export function osNotificationPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Tells the trader of a fill, a partial fill or a reject beyond the toast, as the settings say. */
export function notifyTrader(n: OrderNotice): void {
  try {
    if (soundOn()) playTone(n.kind);
    if (osNotificationPermission() === 'granted' && document.hidden) new Notification(n.title, { body: n.message, tag: 'dualdesk-order' });
  } catch (err) {
    // A blocked audio device or notification must not stop the stream's processing.
    console.info('[notify]', err);
  }
}
