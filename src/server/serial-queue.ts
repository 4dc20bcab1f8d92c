// One client's work in arrival order. Most tasks finish synchronously and run at once; a task that
// returns a promise (listing the shared directory) holds back the ones behind it, so that client's
// replies keep the order of its commands. `onBusy` lets the owner stop reading meanwhile, which
// bounds the queue by what was already read.

export type Task = () => void | Promise<void>;

export class SerialQueue {
  private tasks: Task[] = [];
  private head = 0;
  private running = false;
  private closed = false;

  constructor(
    private readonly onBusy: (busy: boolean) => void,
    /** A task threw or rejected: reported, and the queue goes on. */
    private readonly onError: (error: unknown) => void,
  ) {}

  push(task: Task): void {
    if (this.closed) return;
    this.tasks.push(task);
    if (!this.running) this.drain();
  }

  /** Drop what waits and refuse what comes (the client is gone). */
  close(): void {
    this.closed = true;
    this.tasks = [];
    this.head = 0;
  }

  get length(): number {
    return this.tasks.length - this.head;
  }

  private drain(): void {
    this.running = true;
    while (!this.closed && this.head < this.tasks.length) {
      const task = this.tasks[this.head++];
      if (this.head === this.tasks.length) {
        this.tasks = [];
        this.head = 0;
      }
      if (task === undefined) continue;
      let result: void | Promise<void>;
      try {
        result = task();
      } catch (error) {
        this.onError(error);
        continue;
      }
      if (result instanceof Promise) {
        this.onBusy(true);
        result.then(
          () => this.resume(),
          (error: unknown) => {
            this.onError(error);
            this.resume();
          },
        );
        return;
      }
    }
    this.running = false;
  }

  private resume(): void {
    if (!this.closed) this.onBusy(false);
    this.drain();
  }
}
