/**
 * Runs a task one at a time: a trigger while it runs folds into one more run after it, so a
 * burst of triggers costs at most two runs, and no trigger is ever lost.
 */
export class Coalescer {
	private running = false;
	private again = false;
	private stopped = false;

	constructor(
		private readonly task: () => Promise<void>,
		private readonly onError: (err: Error) => void,
	) {}

	trigger(): void {
		if (this.stopped) return;
		if (this.running) {
			this.again = true;

			return;
		}
		this.running = true;
		void this.loop();
	}

	stop(): void {
		this.stopped = true;
	}

	private async loop(): Promise<void> {
		do {
			this.again = false;
			try {
				await this.task();
			} catch (err) {
				this.onError(err as Error);
			}
		} while (this.again && !this.stopped);
		this.running = false;
	}
}
