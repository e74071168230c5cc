export { AcceleratedClock, systemClock, VirtualClock } from './clock';
export type { Clock, TimerHandle } from './clock';
