/**
 * Bounds the deliveries one worker node runs at once for one endpoint, so a slow receiver holds
 * a few of the node's slots and not all of them. A bounded number may wait; past that the
 * caller is told to put the delivery back and try again a little later.
 */
export class EndpointLimiter {
	private readonly active = new Map<string, number>();
	private readonly waiting = new Map<string, Array<() => void>>();

	constructor(
		private readonly concurrency: number,
		private readonly maxWaiting: number,
	) {}

	/** A release function once a slot is free, or undefined when too many already wait. */
	async acquire(key: string): Promise<(() => void) | undefined> {
		const running = this.active.get(key) ?? 0;
		if (running < this.concurrency) {
			this.active.set(key, running + 1);

			return () => this.release(key);
		}
		const queue = this.waiting.get(key) ?? [];
		if (queue.length >= this.maxWaiting) return undefined;
		this.waiting.set(key, queue);
		// The slot passes straight from the releasing delivery to this one (active stays the same).
		await new Promise<void>((resolve) => queue.push(resolve));

		return () => this.release(key);
	}

	private release(key: string): void {
		const queue = this.waiting.get(key);
		const next = queue?.shift();
		if (queue?.length === 0) this.waiting.delete(key);
		if (next) return next();
		const running = (this.active.get(key) ?? 1) - 1;
		if (running <= 0) this.active.delete(key);
		else this.active.set(key, running);
	}
}
