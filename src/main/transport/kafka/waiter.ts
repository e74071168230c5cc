// Interruptible waits for the outbox's and the reader's recovery loops.

/** A wait that ends after `ms`, or at once when woken (new work, or a stop). */
export class Waiter {
  private wakeUp: (() => void) | undefined;
  private woken = false;

  wait(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** Ends the current wait; a wake with nobody waiting ends the next wait at once. */
  wake(): void {
    const w = this.wakeUp;
    if (w) w();
    else this.woken = true;
  }
}
