import { useEffect, useLayoutEffect, useRef, type KeyboardEvent as ReactKeyboardEvent, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

const FOCUSABLE = 'button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), a[href], [tabindex]:not([tabindex="-1"])';

// Dialogs open at once (rare) share the background: it stays inert until the last one closes.
let openCount = 0;

function setBackgroundInert(inert: boolean): void {
  const root = document.getElementById('root');
  if (!root) return;
  root.inert = inert;
  if (inert) root.setAttribute('aria-hidden', 'true');
  else root.removeAttribute('aria-hidden');
}

/**
 * A modal dialog a trader can drive from the keyboard: focus moves in (to the element marked
 * `data-autofocus`, the safe choice), Tab and Shift+Tab stay inside, Escape cancels unless an action
 * is running, the workstation behind is inert, and focus returns to what opened it on close.
 * Enter does only what the focused control does (no dialog-wide Enter-confirms).
 */
export function Dialog({ testId, label, busy = false, onCancel, children }: { testId: string; label: string; busy?: boolean; onCancel: () => void; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);

  // Before anything inside takes focus: remember the opener, move focus in, hide the background.
  useLayoutEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    const el = box.current;
    (el?.querySelector<HTMLElement>('[data-autofocus]') ?? el?.querySelector<HTMLElement>(FOCUSABLE) ?? el)?.focus();
    if (openCount++ === 0) setBackgroundInert(true);
    return () => {
      if (--openCount === 0) setBackgroundInert(false);
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  // Escape from anywhere (focus may have fallen to the body while a button was disabled).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      e.preventDefault();
      if (!busy) onCancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [busy, onCancel]);

  function trapTab(e: ReactKeyboardEvent) {
    if (e.key !== 'Tab' || !box.current) return;
    const items = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) {
      e.preventDefault();
      return;
    }
    const at = document.activeElement;
    if (e.shiftKey && (at === first || !box.current.contains(at))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (at === last || !box.current.contains(at))) {
      e.preventDefault();
      first.focus();
    }
  }

  return createPortal(
    <div className="modal-backdrop" role="presentation">
      <div ref={box} className="modal" role="dialog" aria-modal="true" aria-label={label} tabIndex={-1} onKeyDown={trapTab} data-testid={testId}>
        {children}
      </div>
    </div>,
    document.body,
  );
}
