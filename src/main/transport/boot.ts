// Which boot of this machine the process runs in: the journal starts a new epoch when the last one to
// write it was another boot that never closed it cleanly (an OS crash may have taken its last commits).
import { readFileSync } from 'node:fs';
import { uptime } from 'node:os';

/** Linux's boot id; elsewhere the boot time to the minute (a clock step can only start an epoch needlessly, never reuse a number). */
export function bootIdentity(): string {
  try {
    return `linux:${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}`;
  } catch {
    return `booted:${Math.round((Date.now() - uptime() * 1000) / 60_000)}`;
  }
}
