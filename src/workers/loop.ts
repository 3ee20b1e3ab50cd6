// The run/sleep/stop/state loop both workers share: a step runs again at once while busy, else after a pause.
import type { WorkerState } from "../http/context.ts";
import type { Logger } from "../observability/logger.ts";

export interface WorkerLoopOptions {
  name: string;
  log: Logger;
  pollMs: number;
  /** One pass; true when it did work and should run again at once. Per-tenant problems go in `failures`. */
  step: () => Promise<boolean>;
  /** Tenants whose last attempt failed, with why; shown in state() and turning readiness off. */
  failures: ReadonlyMap<string, string>;
  /** Detail for a healthy running worker (counts). */
  detail: () => string;
}

const FAILING_PAUSE_MS = 1000;

export class WorkerLoop {
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private lastError: string | null = null;

  constructor(private readonly opts: WorkerLoopOptions) {}

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let busy = false;
      try {
        busy = await this.opts.step();
        this.lastError = null;
      } catch (e) {
        const message = (e as Error).message;
        if (this.lastError !== message) this.opts.log.error(`${this.opts.name} pass failed`, { error: message });
        this.lastError = message;
      }
      // Back off while something fails and nothing moves, so a broken tenant does not spin the loop.
      const failing = this.lastError !== null || this.opts.failures.size > 0;
      if (!busy && !this.stopping) await this.sleep(failing ? Math.max(this.opts.pollMs, FAILING_PAUSE_MS) : this.opts.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Finish the pass in flight, then stop; safe to call twice. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /** What failed in the latest attempt: the pass itself, or tenants whose work was refused. */
  problems(): string[] {
    return [...(this.lastError === null ? [] : [this.lastError]), ...[...this.opts.failures].map(([t, m]) => `tenant ${t}: ${m}`)];
  }

  state(): WorkerState {
    const problems = this.problems();
    if (problems.length > 0) return { name: this.opts.name, state: "failed", detail: problems.join("; ").slice(0, 500) };
    if (this.loop === null) return { name: this.opts.name, state: "stopped" };
    return { name: this.opts.name, state: "running", detail: this.opts.detail() };
  }
}
