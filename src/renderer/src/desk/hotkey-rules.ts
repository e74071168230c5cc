// Which hotkeys act behind an open dialog: the ones that only reduce risk.

/** Behind an open dialog (named by its data-testid; undefined: none open) no order goes out (buy, sell); cancel all,
 * flatten and the kill switch still act, but the kill switch not again from its own dialog. */
export function mutedBehind(action: string, dialog: string | undefined): boolean {
  if (dialog === undefined) return false;
  if (action === 'buy' || action === 'sell') return true;
  return action === 'killSwitch' && dialog === 'kill-dialog';
}
