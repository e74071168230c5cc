/** What the adapter must remember across restarts (implemented by the store's VenueMemoryRepository). */
export interface VenueMemory {
  orderIdHighWaterMark(): number;
  recordOrderId(id: number): void;
  hasSeenExecution(execId: string): boolean;
  markExecutionSeen(execId: string, time: number): boolean;
  lastExecutionTime(): number | undefined;
}
