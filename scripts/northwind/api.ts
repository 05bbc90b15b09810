/**
 * The import's client of the public REST API: JSON in and out with the API key, waits out
 * `429` and `503` as `Retry-After` says, and pages through lists with the contract's cursors.
 */

export interface ApiReply<T = unknown> {
	status: number;
	body: {
		success: boolean;
		data: T;
		error?: { code: string; message: string; details?: unknown[] };
	};
}

export class ApiFailure extends Error {
	constructor(
		readonly status: number,
		readonly reply: unknown,
		what: string,
	) {
		super(`${what} failed with HTTP ${status}: ${JSON.stringify(reply).slice(0, 500)}`);
	}
}

const RETRIES = 8;
const PAGE = 100;

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Api {
	constructor(
		private readonly root: string,
		private readonly key: string,
	) {}

	/** One request; 429/503 are retried after `Retry-After` (or a growing pause). */
	async request<T>(
		method: string,
		urlPath: string,
		body?: unknown,
		contentType = "application/json",
	): Promise<ApiReply<T>> {
		for (let attempt = 0; ; attempt++) {
			const res = await fetch(this.root + urlPath, {
				method,
				headers: {
					authorization: `Bearer ${this.key}`,
					...(body === undefined ? {} : { "content-type": contentType }),
				},
				body:
					body === undefined
						? undefined
						: typeof body === "string"
							? body
							: JSON.stringify(body),
			});
			const text = await res.text();
			const retryable = res.status === 429 || res.status === 503;
			if (retryable && attempt < RETRIES) {
				const after = Number(res.headers.get("retry-after"));
				await sleep(
					Number.isFinite(after) && after > 0 ? after * 1000 : 500 * 2 ** attempt,
				);
				continue;
			}
			let parsed: ApiReply<T>["body"];
			try {
				parsed = JSON.parse(text);
			} catch {
				throw new ApiFailure(res.status, text, `${method} ${urlPath}`);
			}

			return { status: res.status, body: parsed };
		}
	}

	/** Like `request`, but anything but 2xx is an `ApiFailure`. */
	async ok<T>(method: string, urlPath: string, body?: unknown, contentType?: string): Promise<T> {
		const reply = await this.request<T>(method, urlPath, body, contentType);
		if (reply.status >= 300)
			throw new ApiFailure(reply.status, reply.body, `${method} ${urlPath}`);

		return reply.body.data;
	}

	/** Every row of a list, page by page along `next_cursor`. */
	async all<T>(urlPath: string, query: string): Promise<T[]> {
		const rows: T[] = [];
		let cursor: string | null = null;
		do {
			const url: string = `${urlPath}?limit=${PAGE}&${query}${cursor ? `&cursor=${cursor}` : ""}`;
			const reply: ApiReply<T[]> = await this.request<T[]>("GET", url);
			if (reply.status !== 200)
				throw new ApiFailure(reply.status, reply.body, `GET ${urlPath}`);
			rows.push(...reply.body.data);
			cursor = (reply.body as unknown as { pagination: { next_cursor: string | null } })
				.pagination.next_cursor;
		} while (cursor);

		return rows;
	}
}

/** Runs `work` over `items` with at most `limit` in flight, keeping going past failures. */
export async function eachLimited<T>(
	items: T[],
	limit: number,
	work: (item: T) => Promise<void>,
): Promise<void> {
	let next = 0;
	const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
		while (next < items.length) await work(items[next++]);
	});
	await Promise.all(runners);
}
