/**
 * Lets a loop sleep until something happens (input arrived, a stop, a reload) or a timeout passes,
 * without polling. A notify() with nobody waiting is remembered for the next wait().
 */
export class Wakeup {
  private waiter: (() => void) | undefined;
  private notified = false;

  notify(): void {
    if (this.waiter) this.waiter();
    else this.notified = true;
  }

  wait(timeoutMs: number): Promise<void> {
    if (this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiter = this;
      function done() {
        clearTimeout(timer);
        if (waiter.waiter === done) waiter.waiter = undefined;
        resolve();
      }
      this.waiter = done;
    });
  }
}
