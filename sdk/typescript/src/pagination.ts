/**
 * A list request: `await` it for one page, or iterate it with `for await` for every item,
 * page after page. Iteration follows `next_cursor` (keyset pages never overlap or skip, even
 * while rows are added) with the same filters and sort as the first request.
 */
import type { Http } from "./http";
import type { ListParams, Pagination } from "./types";

export interface Page<T> {
	data: T[];
	pagination: Pagination;
}

export class ListRequest<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
	constructor(
		private readonly http: Http,
		private readonly path: string,
		private readonly params: ListParams = {},
	) {}

	/** One page: the one `page` or `cursor` names, else the first. */
	async page(params: ListParams = this.params): Promise<Page<T>> {
		const answer = await this.http.request<T[]>("GET", this.path, { query: params });

		return { data: answer.data, pagination: answer.pagination as Pagination };
	}

	then<A = Page<T>, B = never>(
		onFulfilled?: ((page: Page<T>) => A | PromiseLike<A>) | null,
		onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
	): Promise<A | B> {
		return this.page().then(onFulfilled, onRejected);
	}

	/** Every page in turn, starting where the parameters say. */
	async *pages(): AsyncGenerator<Page<T>> {
		let page = await this.page();
		yield page;
		while (page.pagination.has_next && page.pagination.next_cursor) {
			// `page` and `cursor` exclude each other: from here on the cursor says where we are.
			const { page: _first, ...rest } = this.params;
			page = await this.page({ ...rest, cursor: page.pagination.next_cursor });
			yield page;
		}
	}

	async *[Symbol.asyncIterator](): AsyncIterator<T> {
		for await (const page of this.pages()) yield* page.data;
	}
}
