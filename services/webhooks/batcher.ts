/**
 * Group commit for store writes: calls made while a batch is being written wait and go in the
 * next one, together. One batch at a time keeps the store's queue short (NeDB runs its writes
 * one at a time, each with its own file append), and the busier the store, the larger the
 * batches, so many deliveries share one write.
 */
interface Pending<I, O> {
	item: I;
	resolve(value: O): void;
	reject(err: unknown): void;
}

export class Batcher<I, O> {
	private pending: Array<Pending<I, O>> = [];
	private running = false;

	constructor(
		private readonly run: (items: I[]) => Promise<O[]>,
		private readonly maxSize = 500,
	) {}

	add(item: I): Promise<O> {
		return new Promise<O>((resolve, reject) => {
			this.pending.push({ item, resolve, reject });
			if (!this.running) {
				this.running = true;
				// Calls made in the same turn of the event loop join the first batch.
				setImmediate(() => void this.drain());
			}
		});
	}

	private async drain(): Promise<void> {
		while (this.pending.length > 0) {
			const batch = this.pending.splice(0, this.maxSize);
			try {
				const results = await this.run(batch.map((p) => p.item));
				batch.forEach((p, i) => p.resolve(results[i]));
			} catch (err) {
				batch.forEach((p) => p.reject(err));
			}
		}
		this.running = false;
	}
}

/** Runs `many` over the flattened lists and hands each list its own slice of the answers. */
export function perList<I, O>(
	many: (items: I[]) => Promise<O[]>,
): (lists: I[][]) => Promise<O[][]> {
	return async (lists) => {
		const results = await many(lists.flat());
		let at = 0;

		return lists.map((list) => results.slice(at, (at += list.length)));
	};
}
