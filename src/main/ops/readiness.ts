/** Whether one dependency of the desk is usable, and if not, why (in words an operator can act on). */
export interface DependencyStatus {
  readonly ok: boolean;
  /** Why it is not usable. */
  readonly reason?: string;
  /** What it is connected to, when that helps an operator. */
  readonly detail?: string;
}

export interface ReadinessCheck {
  readonly name: string;
  check(): DependencyStatus | Promise<DependencyStatus>;
  /** A backup the desk works without (Kafka): reported, but it does not make the desk unready. */
  readonly optional?: boolean;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly dependencies: Readonly<Record<string, DependencyStatus>>;
}

const CHECK_TIMEOUT_MS = 2_000;

/** Runs every check concurrently; a check that throws or hangs counts as failing, with the reason. */
export async function checkReadiness(checks: readonly ReadinessCheck[], timeoutMs = CHECK_TIMEOUT_MS): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map((c) => runCheck(c, timeoutMs)));
  const dependencies: Record<string, DependencyStatus> = {};
  checks.forEach((c, i) => {
    dependencies[c.name] = results[i] ?? { ok: false, reason: 'no result' };
  });
  return { ready: results.every((r, i) => r.ok || checks[i]?.optional === true), dependencies };
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<DependencyStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DependencyStatus>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `check timed out after ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => check.check()), timeout]);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
