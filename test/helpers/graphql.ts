/**
 * Real GraphQL clients for tests: operations as JSON POSTs over HTTP, and subscriptions with the
 * graphql-ws client on the `ws` package, both against a gateway process.
 */
import { type Client as WsClient, createClient } from "graphql-ws";
import WebSocket from "ws";
import { bootstrap, freePort, type GatewayNode, type Owner, startNode, tempDir } from "./gateway";

export interface GraphqlReply {
	status: number;
	headers: Headers;
	// `any` on purpose: answers are checked field by field.
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	body: any;
}

/** A GraphQL client over HTTP with the credential in `Authorization: Bearer`. */
export function graphqlClient(baseUrl: string, credential?: string) {
	return async function request(
		query: string,
		variables?: Record<string, unknown>,
		headers: Record<string, string> = {},
	): Promise<GraphqlReply> {
		const res = await fetch(`${baseUrl}/graphql`, {
			method: "POST",
			headers: {
				"content-type": "application/json",
				...(credential ? { authorization: `Bearer ${credential}` } : {}),
				...headers,
			},
			body: JSON.stringify({ query, variables }),
		});
		const text = await res.text();

		return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
	};
}

export type GraphqlRequest = ReturnType<typeof graphqlClient>;

/** A graphql-ws connection; `connectionParams.authorization` carries the credential. */
export function wsClient(baseUrl: string, credential?: string): WsClient {
	return createClient({
		url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
		webSocketImpl: WebSocket,
		connectionParams: credential ? { authorization: `Bearer ${credential}` } : {},
		retryAttempts: 0,
		lazy: true,
	});
}

export interface Subscription<T> {
	/** Every result received so far, in order. */
	received: T[];
	/** Set to the error (or close event) that ended the subscription. */
	failure: () => unknown;
	stop(): void;
}

/** Subscribes on `client`, collecting results in order. */
export function subscribe<T = Record<string, unknown>>(
	client: WsClient,
	query: string,
	variables?: Record<string, unknown>,
): Subscription<T> {
	const received: T[] = [];
	let failure: unknown;
	const stop = client.subscribe<T>(
		{ query, variables },
		{
			next: (result) => void received.push(result as unknown as T),
			error: (err) => (failure = err),
			complete: () => undefined,
		},
	);

	return { received, failure: () => failure, stop };
}

/**
 * Runs `trigger` until `done` holds (a subscription becomes live a moment after it is sent, so
 * the first event may come too early); fails after `attempts` rounds.
 */
export async function repeatUntil(
	done: () => boolean,
	trigger: () => Promise<unknown>,
	attempts = 50,
): Promise<void> {
	for (let i = 0; i < attempts; i++) {
		await trigger();
		for (let wait = 0; wait < 10 && !done(); wait++)
			await new Promise((r) => setTimeout(r, 20));
		if (done()) return;
	}
	throw new Error("the expected result never arrived");
}

/** Resolves once `done` holds, polling; fails after about ten seconds. */
export async function until(done: () => boolean): Promise<void> {
	for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
	if (!done()) throw new Error("the expected result never arrived");
}

/** The value of one sample on a node's Prometheus endpoint (summed over other labels). */
export async function metricValue(
	metricsUrl: string,
	name: string,
	label: string,
): Promise<number> {
	const text = await (await fetch(`${metricsUrl}/metrics`)).text();

	return text
		.split("\n")
		.filter((line) => line.startsWith(`${name}{`) && line.includes(label))
		.reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
}

/**
 * Moleculer's own `moleculer_request_total` per action, read from a node's Prometheus
 * endpoint: the count of every action call the node ran, by action name.
 */
export async function actionCalls(metricsUrl: string): Promise<Record<string, number>> {
	const text = await (await fetch(`${metricsUrl}/metrics`)).text();
	const counts: Record<string, number> = {};
	for (const line of text.split("\n")) {
		if (!line.startsWith("moleculer_request_total{")) continue;
		const action = /action="([^"]+)"/.exec(line)?.[1];
		if (action) counts[action] = (counts[action] ?? 0) + Number(line.split(" ").pop());
	}

	return counts;
}

/** What ran between two readings of `actionCalls`, limited to the actions `prefix` names. */
export function callsBetween(
	before: Record<string, number>,
	after: Record<string, number>,
	prefix: RegExp,
): Record<string, number> {
	return Object.fromEntries(
		Object.entries(after)
			.filter(([action, n]) => prefix.test(action) && n !== (before[action] ?? 0))
			.map(([action, n]) => [action, n - (before[action] ?? 0)]),
	);
}

export interface GraphqlGateway {
	node: GatewayNode;
	/** Base URL of the node's Prometheus endpoint. */
	metricsUrl: string;
	/** One owner per organization asked for, in order. */
	owners: Owner[];
	/** A GraphQL client per owner, in the same order. */
	clients: GraphqlRequest[];
}

/** A gateway process on fresh data with one organization per name and `/metrics` on. */
export async function startGraphqlGateway(...organizations: string[]): Promise<GraphqlGateway> {
	const dataDir = tempDir();
	const owners = organizations.map((name) => bootstrap({ DATA_DIR: dataDir }, name));
	const metricsPort = await freePort();
	const node = await startNode({ DATA_DIR: dataDir, METRICS_PORT: String(metricsPort) });

	return {
		node,
		metricsUrl: `http://127.0.0.1:${metricsPort}`,
		owners,
		clients: owners.map((o) => graphqlClient(node.url, o.api_key)),
	};
}
