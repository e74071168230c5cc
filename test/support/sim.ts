import { onTestFinished } from 'vitest';
import { VirtualClock } from '../../src/main/clock';
import { createLogger } from '../../src/main/ops';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/main/sim';
import { TUESDAY_10AM } from './fixtures';

export interface TestSim {
  readonly sim: Simulator;
  readonly clock: VirtualClock;
  readonly port: number;
}

/** A simulator on a free port with a virtual clock, stopped when the test ends. */
export async function startSim(options: Omit<SimulatorOptions, 'clock' | 'port'> & { start?: number } = {}): Promise<TestSim> {
  const clock = new VirtualClock(options.start ?? TUESDAY_10AM);
  const sim = createSimulator({ logger: createLogger({ level: 'silent' }), ...options, clock, port: 0 });
  await sim.start();
  onTestFinished(() => sim.stop());
  return { sim, clock, port: sim.address.port };
}
