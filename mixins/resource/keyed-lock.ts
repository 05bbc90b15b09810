/**
 * Runs async sections one at a time per key inside this process. Data services on NeDB run as
 * exactly one copy, so this is enough to make "check unique, then insert" atomic there; on
 * MongoDB a unique index backs it up.
 */
export class KeyedLock {
	private readonly tails = new Map<string, Promise<unknown>>();

	async run<T>(keys: string[], section: () => Promise<T>): Promise<T> {
		if (keys.length === 0) return section();
		const [first, ...rest] = [...new Set(keys)].sort();
		const previous = this.tails.get(first) ?? Promise.resolve();
		const current = previous.catch(() => undefined).then(() => this.run(rest, section));
		this.tails.set(first, current);
		try {
			return await current;
		} finally {
			if (this.tails.get(first) === current) this.tails.delete(first);
		}
	}
}
