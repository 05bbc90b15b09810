/**
 * GraphQL subscriptions over the graphql-ws protocol at `/graphql`, authenticated with
 * `connectionParams.authorization`. graphql-ws (and, before Node 22, `ws`) are loaded only when
 * used (optional peer dependencies). One connection serves every subscription of the client.
 */
import { errorOf, type MantisError } from "./errors";

export interface GraphqlHandlers<T> {
	onData: (data: T) => void;
	onError?: (error: MantisError) => void;
	onComplete?: () => void;
}

type WsClient = import("graphql-ws").Client;

interface GraphqlErrorLike {
	message: string;
	extensions?: { code?: string; details?: { field: string; message: string }[] };
}

/** graphql-ws reports a list of GraphQL errors, a close event, or an Error. */
function errorOfSubscription(err: unknown): MantisError {
	if (Array.isArray(err)) {
		const first = err[0] as GraphqlErrorLike;

		return errorOf({
			code: first.extensions?.code ?? "INTERNAL_ERROR",
			message: first.message,
			details: first.extensions?.details,
		});
	}
	const close = err as { code?: number; reason?: string; message?: string };
	if (close.code === 4401)
		return errorOf({ code: "UNAUTHORIZED", message: close.reason || "Unauthorized" });
	if (close.code === 4429)
		return errorOf({ code: "RATE_LIMITED", message: close.reason || "Rate limited" });

	return errorOf({
		code: "CONNECTION_ERROR",
		message: close.reason || close.message || "The socket closed",
	});
}

export class GraphqlSubscriptions {
	private client?: Promise<WsClient>;

	constructor(
		private readonly baseUrl: string,
		private readonly token: string,
	) {}

	/** Starts a subscription; the returned function ends it. */
	async subscribe<T = Record<string, unknown>>(
		query: string,
		variables: Record<string, unknown>,
		handlers: GraphqlHandlers<T>,
	): Promise<() => void> {
		const client = await (this.client ??= this.connect());

		return client.subscribe<T>(
			{ query, variables },
			{
				next: (result) => {
					if (result.errors?.length)
						handlers.onError?.(errorOfSubscription(result.errors));
					else if (result.data) handlers.onData(result.data);
				},
				error: (err) => handlers.onError?.(errorOfSubscription(err)),
				complete: () => handlers.onComplete?.(),
			},
		);
	}

	/** New interactions of one customer, as the schema's `customerInteraction` subscription. */
	customerInteraction(
		customerId: string,
		fields: string,
		handlers: GraphqlHandlers<{ customerInteraction: Record<string, unknown> }>,
	): Promise<() => void> {
		const query =
			`subscription ($c: ID!) { customerInteraction(customerId: $c) { ${fields} ` + `} }`;

		return this.subscribe(query, { c: customerId }, handlers);
	}

	/**
	 * Status changes of orders, as the schema's `orderStatusChanged` subscription: every order of
	 * the organization, or one customer's when `customerId` is given.
	 */
	orderStatusChanged(
		options: { customerId?: string; fields?: string },
		handlers: GraphqlHandlers<{ orderStatusChanged: Record<string, unknown> }>,
	): Promise<() => void> {
		const fields = options.fields ?? "id status customerId";
		const query = `subscription ($c: ID) { orderStatusChanged(customerId: $c) { ${fields} } }`;

		return this.subscribe(query, { c: options.customerId ?? null }, handlers);
	}

	/** Closes the connection and every subscription on it. */
	async close(): Promise<void> {
		const client = this.client;
		this.client = undefined;
		await (await client)?.dispose();
	}

	private async connect(): Promise<WsClient> {
		const { createClient } = await import("graphql-ws");
		const webSocketImpl =
			(globalThis as { WebSocket?: unknown }).WebSocket ?? (await import("ws")).default;

		return createClient({
			url: `${this.baseUrl.replace(/^http/, "ws")}/graphql`,
			webSocketImpl,
			connectionParams: { authorization: `Bearer ${this.token}` },
			lazy: true,
		});
	}
}
