// Counter-based identifiers: deterministic across runs, unique within an engine.

export interface IdSource {
  nextPermId(): number;
  /** IB's shape: '0000e0d5.65b8a1c4.01.01' (a venue prefix, a hex sequence, then the execution's part numbers). */
  nextExecId(): string;
}

const EXEC_PREFIX = '0000e0d5';
const EXEC_BASE = 0x65b8a1c3;

export function createIdSource(firstPermId: number): IdSource {
  let permId = firstPermId;
  let execCount = 0;
  return {
    nextPermId: () => permId++,
    nextExecId: () => {
      execCount += 1;
      return `${EXEC_PREFIX}.${(EXEC_BASE + execCount).toString(16).padStart(8, '0')}.01.01`;
    },
  };
}
