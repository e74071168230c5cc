// Identifiers: perm ids from a counter the venue's state carries on; execution ids from the run's own
// prefix and a counter, so no two runs of the simulator ever hand out the same one (IB's never repeat).

export interface IdSource {
  nextPermId(): number;
  /** IB's shape: '5d1c07a2.00000001.01.01' (the run's prefix, a hex sequence, then the execution's part numbers). */
  nextExecId(): string;
  /** The next perm id to hand out (kept in the venue's state). */
  readonly permIdMark: number;
}

/** Eight hex digits; a run whose prefix an earlier execution carries must pick another. */
export const EXEC_ID_PREFIX = /^[0-9a-f]{8}$/;

export function createIdSource(firstPermId: number, execIdPrefix: string): IdSource {
  if (!EXEC_ID_PREFIX.test(execIdPrefix)) throw new RangeError(`execution id prefix '${execIdPrefix}' must be 8 hex digits`);
  let permId = firstPermId;
  let execCount = 0;
  return {
    nextPermId: () => permId++,
    nextExecId: () => {
      execCount += 1;
      return `${execIdPrefix}.${execCount.toString(16).padStart(8, '0')}.01.01`;
    },
    get permIdMark() {
      return permId;
    },
  };
}

/** The prefix part of an execution id. */
export function execIdPrefixOf(execId: string): string {
  return execId.slice(0, execId.indexOf('.'));
}
