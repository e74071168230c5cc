import { useEffect, useState } from 'react';
import { mutedBehind } from '../desk/hotkey-rules';
import { osNotificationPermission, playTone, setSoundOn, soundOn } from '../desk/notify';

export const HOTKEY_ACTIONS = ['buy', 'sell', 'cancelAll', 'flatten', 'killSwitch'] as const;
export type HotkeyAction = (typeof HOTKEY_ACTIONS)[number];

const LABELS: Record<HotkeyAction, string> = {
  buy: 'Buy (the ticket as set)',
  sell: 'Sell (the ticket as set)',
  cancelAll: 'Cancel all orders',
  flatten: 'Flatten every position',
  killSwitch: 'Kill switch',
};

/** Modifier chords, so a stray key in the wrong window never trades. */
export const DEFAULT_HOTKEYS: Record<HotkeyAction, string> = {
  buy: 'Alt+B',
  sell: 'Alt+S',
  cancelAll: 'Alt+C',
  flatten: 'Alt+F',
  killSwitch: 'Ctrl+Alt+K',
};

const KEY = 'dualdesk.hotkeys';

export function loadHotkeys(): Record<HotkeyAction, string> {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Record<HotkeyAction, unknown>>;
    const out = { ...DEFAULT_HOTKEYS };
    for (const a of HOTKEY_ACTIONS) if (typeof saved[a] === 'string' && saved[a] !== '') out[a] = saved[a];
    return out;
  } catch {
    return { ...DEFAULT_HOTKEYS };
  }
}

/** 'Ctrl+Alt+K' for a key event (the physical key, so Alt combinations work on every layout). */
export function chordOf(e: KeyboardEvent): string {
  const key = e.code.startsWith('Key') ? e.code.slice(3) : e.code.startsWith('Digit') ? e.code.slice(5) : e.key.length === 1 ? e.key.toUpperCase() : e.key;
  return [e.ctrlKey ? 'Ctrl' : '', e.altKey ? 'Alt' : '', e.shiftKey ? 'Shift' : '', e.metaKey ? 'Meta' : '', key].filter(Boolean).join('+');
}

/** A field the trader types in: no key pressed there ever trades. */
export function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** Runs the bound action for a chord, only while focus is outside every text field (typing never trades). */
export function useHotkeys(actions: Record<HotkeyAction, () => void>): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // A held key repeats: one action per press.
      if (e.repeat || e.defaultPrevented || (!e.ctrlKey && !e.altKey && !e.metaKey)) return;
      if (isTextField(e.target) || isTextField(document.activeElement)) return;
      const chord = chordOf(e);
      const bindings = loadHotkeys();
      const action = HOTKEY_ACTIONS.find((a) => bindings[a] === chord);
      const dialog = document.querySelector('[role="dialog"][aria-modal="true"]');
      if (!action || mutedBehind(action, dialog === null ? undefined : (dialog.getAttribute('data-testid') ?? ''))) return;
      e.preventDefault();
      actions[action]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions]);
}

/** The bindings, each changed by pressing the new chord in its field. */
export function HotkeySettings() {
  const [keys, setKeys] = useState(loadHotkeys);
  const [error, setError] = useState<string | undefined>();
  function bind(action: HotkeyAction, chord: string) {
    if (!/(Ctrl|Alt|Meta)\+/.test(chord)) {
      setError('Use Ctrl, Alt or Meta with the key, so typing never trades.');
      return;
    }
    const clash = HOTKEY_ACTIONS.find((a) => a !== action && keys[a] === chord);
    if (clash) {
      setError(`${chord} is already bound to “${LABELS[clash]}”.`);
      return;
    }
    const next = { ...keys, [action]: chord };
    localStorage.setItem(KEY, JSON.stringify(next));
    setKeys(next);
    setError(undefined);
  }
  return (
    <div className="hotkeys" data-testid="hotkeys">
      {error && <p className="error">{error}</p>}
      <table className="grid">
        <tbody>
          {HOTKEY_ACTIONS.map((a) => (
            <tr key={a}>
              <td>{LABELS[a]}</td>
              <td>
                <input
                  className="inline chord"
                  readOnly
                  value={keys[a]}
                  aria-label={`Hotkey for ${LABELS[a]}`}
                  onKeyDown={(e) => {
                    if (['Control', 'Alt', 'Shift', 'Meta', 'Tab'].includes(e.key)) return;
                    e.preventDefault();
                    bind(a, chordOf(e.nativeEvent));
                  }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        className="btn small"
        onClick={() => {
          localStorage.removeItem(KEY);
          setKeys({ ...DEFAULT_HOTKEYS });
        }}
      >
        Reset to defaults
      </button>
      <NotifySettings />
    </div>
  );
}

/** How fills and rejects reach the trader beyond the toast: a tone (off by default), the desktop's notification. */
function NotifySettings() {
  const [sound, setSound] = useState(soundOn);
  const [permission, setPermission] = useState(osNotificationPermission);
  return (
    <div className="notify-settings" data-testid="notify-settings">
      <label>
        <input
          type="checkbox"
          checked={sound}
          onChange={(e) => {
            setSoundOn(e.target.checked);
            setSound(e.target.checked);
            if (e.target.checked) playTone('filled');
          }}
          data-testid="sound-toggle"
        />{' '}
        Sound on fills and rejects
      </label>
      {permission === 'default' ? (
        <button className="btn small" onClick={() => void Notification.requestPermission().then(setPermission)}>
          Allow desktop notifications
        </button>
      ) : (
        <span className="muted">
          Desktop notifications: {permission === 'granted' ? 'on (while the window is not in view)' : permission === 'denied' ? 'blocked by this browser' : 'not available here'}
        </span>
      )}
    </div>
  );
}
