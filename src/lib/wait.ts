// A wait queue (include/linux/wait.h reduced): whoever waits resumes, in order, on the next
// wake_up. Sockets, the wire's progress and the run harness's gates all sleep on one.

export class WaitQueue {
  private sleepers: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((r) => this.sleepers.push(r));
  }
  wake_up(): void {
    const s = this.sleepers;
    this.sleepers = [];
    for (const f of s) f();
  }
  get waiting(): number {
    return this.sleepers.length;
  }
}
