/**
 * Bounds the deliveries one worker node runs at once for one endpoint. A delivery waits for a
 * free slot only so long: behind a slow receiver it is handed back (to be offered again a little
 * later) instead of holding one of the node's channel slots that other endpoints need. Behind a
 * fast receiver the queue drains long before that, so nothing is handed back.
 */
interface Waiter {
	grant(): void;
}

export class EndpointLimiter {
	private readonly active = new Map<string, number>();
	private readonly waiting = new Map<string, Waiter[]>();

	constructor(
		private readonly concurrency: number,
		private readonly maxWaitMs: number,
	) {}

	/** A release function once a slot is free, or undefined when none freed up in time. */
	acquire(key: string): Promise<(() => void) | undefined> {
		const running = this.active.get(key) ?? 0;
		if (running < this.concurrency) {
			this.active.set(key, running + 1);

			return Promise.resolve(() => this.release(key));
		}

		return new Promise((resolve) => {
			const queue = this.waiting.get(key) ?? [];
			this.waiting.set(key, queue);
			// The slot passes straight from the releasing
			// delivery to this one (active stays the same).
			const waiter: Waiter = {
				grant: () => {
					clearTimeout(timer);
					resolve(() => this.release(key));
				},
			};
			const timer = setTimeout(() => {
				queue.splice(queue.indexOf(waiter), 1);
				if (queue.length === 0) this.waiting.delete(key);
				resolve(undefined);
			}, this.maxWaitMs);
			queue.push(waiter);
		});
	}

	private release(key: string): void {
		const queue = this.waiting.get(key);
		const next = queue?.shift();
		if (queue?.length === 0) this.waiting.delete(key);
		if (next) return next.grant();
		const running = (this.active.get(key) ?? 1) - 1;
		if (running <= 0) this.active.delete(key);
		else this.active.set(key, running);
	}
}
