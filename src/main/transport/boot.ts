// Which boot of this machine the process runs in: the journal starts a new epoch when the last one to
// write it was another boot that never closed it cleanly (an OS crash may have taken its last commits).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * An id the OS gives each boot (Linux's boot_id, macOS's kern.bootsessionuuid); undefined elsewhere,
 * and then the journal fsyncs every commit: a boot time computed from the clock and the uptime can
 * match across two boots, and a reused seq is worse than a slower commit.
 */
export function bootIdentity(): string | undefined {
  try {
    if (process.platform === 'linux') return `linux:${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}`;
    if (process.platform === 'darwin') return `darwin:${execFileSync('/usr/sbin/sysctl', ['-n', 'kern.bootsessionuuid'], { encoding: 'utf8', timeout: 2_000 }).trim()}`;
  } catch {
    // no boot id readable: every commit is fsynced
  }
  return undefined;
}
