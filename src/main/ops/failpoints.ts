// Failpoints for crash tests: `DUALDESK_FAILPOINTS=execution.after-journal-write` makes the process
// kill itself (SIGKILL, as a power cut would) the moment it reaches that point. Off unless named.
const ACTIVE: ReadonlySet<string> = new Set(
  (process.env['DUALDESK_FAILPOINTS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

export function failpoint(name: string): void {
  if (ACTIVE.size > 0 && ACTIVE.has(name)) process.kill(process.pid, 'SIGKILL');
}
