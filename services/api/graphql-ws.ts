/**
 * GraphQL over WebSocket (the graphql-ws protocol) at `/graphql`, on the gateway's own HTTP
 * server. It takes only upgrades for `/graphql` and leaves every other one untouched, so
 * socket.io (and anything else) keeps its upgrades on the same port; Apollo's own subscription
 * server is off because it aborts them.
 *
 * The credential comes once, in `connectionParams.authorization` (`Bearer <credential>`);
 * without a valid one the socket is closed with 4401, as it is later when that credential is
 * revoked, signed out or expires (graphql-ws-sockets.ts). Each operation is validated with the
 * same rules and limits as over HTTP and runs with a Moleculer context carrying the caller.
 */
import crypto from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import {
	type DocumentNode,
	type ExecutionArgs,
	getOperationAST,
	GraphQLError,
	type GraphQLSchema,
	NoSchemaIntrospectionCustomRule,
	parse,
	specifiedRules,
	validate,
} from "graphql";
import type { SubscribePayload } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import type { LoggerInstance, ServiceBroker } from "moleculer";
import { WebSocketServer } from "ws";
import { connectionClosed, connectionOpened, rateLimitRejected } from "../../mixins/metrics";
import { config } from "../../models/config";
import type { Auth } from "../../models/context";
import { ApiError, forbidden, toApiError } from "../../models/errors";
import { checkJsonDepth } from "../../models/json-depth";
import { hasScope } from "../../models/identity";
import { clientAddressOf } from "./client-address";
import { authenticate } from "./credentials";
import { formatGraphqlError } from "./graphql-errors";
import { checkCost, checkDocumentNesting, LIMIT_RULES, quotaUnits } from "./graphql-limits";
import {
	closeReason,
	OpenSockets,
	RECHECK_INTERVAL_MS,
	UNAUTHORIZED_CLOSE,
} from "./graphql-ws-sockets";
import { consume, consumeAddress, rateLimitedError } from "./rate-limit";

export const GRAPHQL_PATH = "/graphql";
/** How a refused connection is closed: graphql-ws's 4401, 4429 for a spent quota, else 1011. */
const CLOSE_CODES: Partial<Record<ApiError["type"], number>> = {
	UNAUTHORIZED: UNAUTHORIZED_CLOSE,
	RATE_LIMITED: 4429,
};
const UNAVAILABLE = 1011;
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** What the subscription server needs from the gateway service. */
export interface SubscriptionHost {
	broker: ServiceBroker;
	logger: LoggerInstance;
	/** The current schema (rebuilt when services come and go). */
	schema(): Promise<GraphQLSchema>;
}

function bearer(params: Record<string, unknown> | undefined): string | undefined {
	const value = params?.authorization;
	const match = typeof value === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;

	return match?.[1];
}

/**
 * Why a connection is refused. A refused credential counts against the client's address, as
 * over REST, and once that quota is spent the answer is RATE_LIMITED.
 */
async function refusalOf(err: unknown, request: IncomingMessage): Promise<ApiError> {
	const api = toApiError(err);
	if (api.type !== "UNAUTHORIZED") return api;
	const quota = await consumeAddress(clientAddressOf(request, config().trustProxy)).catch(
		// Without the shared counters the refusal stands as it is.
		() => undefined,
	);

	return quota?.retryAfterSeconds === undefined ? api : rateLimitedError(quota);
}

/** A Moleculer context for one operation (or, without `auth`, for authenticating). */
function contextFor(host: SubscriptionHost, auth?: Auth) {
	const requestId = `ws_${crypto.randomBytes(12).toString("base64url")}`;

	const options = { requestID: requestId, meta: auth ? { auth, requestId } : { requestId } };

	// @ts-expect-error moleculer makes endpoint-less contexts itself (events); its typings want one
	return host.broker.ContextFactory.create(host.broker, null, {}, options);
}

/** The scope each subscription field's action declares (checked up front, not per event). */
function subscriptionScope(host: SubscriptionHost, field: string): string | undefined {
	for (const item of host.broker.registry.getActionList({ onlyAvailable: true })) {
		const action = (
			item as { action?: { graphql?: { subscription?: unknown }; scope?: unknown } }
		).action;
		const declared = action?.graphql?.subscription;
		if (typeof declared === "string" && declared.trim().split(/[(:\s]/)[0] === field)
			return typeof action?.scope === "string" ? action.scope : undefined;
	}

	return undefined;
}

function refusedScopes(host: SubscriptionHost, document: DocumentNode, auth: Auth, name?: string) {
	const operation = getOperationAST(document, name);
	if (operation?.operation !== "subscription") return [];
	const fields = operation.selectionSet.selections.flatMap((s) =>
		s.kind === "Field" ? [s.name.value] : [],
	);

	return fields
		.map((f) => subscriptionScope(host, f))
		.filter(
			(scope): scope is string => Boolean(scope) && !hasScope(auth.scopes, scope as string),
		);
}

function asGraphqlErrors(err: unknown): GraphQLError[] {
	const api = toApiError(err);

	return [new GraphQLError(api.message, undefined, undefined, undefined, undefined, api)];
}

/**
 * Parses, validates and prices one operation; errors go back to the client, not thrown. The
 * credential is looked up again, so a revoked key starts nothing new on an open socket.
 */
async function prepare(
	host: SubscriptionHost,
	credential: string | undefined,
	payload: SubscribePayload,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
	let auth: Auth;
	try {
		auth = await authenticate(contextFor(host), credential);
	} catch (err) {
		return asGraphqlErrors(err);
	}
	const schema = await host.schema();
	let document: DocumentNode;
	try {
		checkDocumentNesting(payload.query);
		document = parse(payload.query);
	} catch (err) {
		return err instanceof GraphQLError ? [err] : asGraphqlErrors(err);
	}
	const rules = [...specifiedRules, ...LIMIT_RULES];
	if (config().nodeEnv === "production") rules.push(NoSchemaIntrospectionCustomRule);
	const invalid = validate(schema, document, rules);
	if (invalid.length) return invalid;
	try {
		checkJsonDepth(payload.variables, "variables");
		checkCost(schema, document, payload.variables ?? undefined, payload.operationName);
		const refused = refusedScopes(host, document, auth, payload.operationName ?? undefined);
		if (refused.length) throw forbidden(`This credential lacks the ${refused[0]} scope`);
		// Each operation spends the caller's quota like one HTTP request would.
		const units = quotaUnits(document, payload.operationName, payload.variables);
		const quota = await consume(auth, units);
		if (quota.retryAfterSeconds !== undefined) {
			rateLimitRejected(host.broker, "graphql");
			throw rateLimitedError(quota);
		}
	} catch (err) {
		return asGraphqlErrors(err);
	}

	return {
		schema,
		document,
		operationName: payload.operationName,
		variableValues: payload.variables,
		contextValue: { ctx: contextFor(host, auth), dataLoaders: new Map() },
	};
}

function tooManyOperations(running: number): ApiError {
	const max = config().graphqlSubscriptionsPerSocket;

	return new ApiError("RATE_LIMITED", `At most ${max} operations at once per socket`, {
		details: [{ field: "subscriptions", message: `at most ${max}`, value: running - 1 }],
	});
}

/** The running graphql-ws server of this node. */
export interface GraphqlWs {
	/** Hands it a domain event: one that revokes a credential closes that credential's sockets. */
	onEvent(event: unknown): void;
	close(): Promise<void>;
}

/** Serves graphql-ws on `server` for `/graphql` upgrades. */
export function attachGraphqlWs(host: SubscriptionHost, server: Server): GraphqlWs {
	const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
	const sockets = new OpenSockets();
	const maxOperations = config().graphqlSubscriptionsPerSocket;
	const graphqlWs = useServer<Record<string, unknown>>(
		{
			isProd: config().nodeEnv === "production",
			schema: () => host.schema(),
			async onConnect(ctx) {
				const credential = bearer(ctx.connectionParams);
				try {
					const auth = await authenticate(contextFor(host), credential);
					if (credential) sockets.add(ctx.extra.socket, credential, auth);

					return true;
				} catch (err) {
					const api = await refusalOf(err, ctx.extra.request);
					if (api.type === "SERVICE_UNAVAILABLE")
						host.logger.warn(`GraphQL socket refused: ${api.message}`);
					ctx.extra.socket.close(
						CLOSE_CODES[api.type] ?? UNAVAILABLE,
						closeReason(api.message),
					);

					return false;
				}
			},
			onSubscribe: (ctx, _id, payload) => {
				// Each one runs per event: a socket must not multiply one event without bound.
				// graphql-ws has already entered this one.
				const running = Object.keys(ctx.subscriptions).length;
				if (running > maxOperations) return asGraphqlErrors(tooManyOperations(running));

				return prepare(host, bearer(ctx.connectionParams), payload);
			},
			onNext: (_ctx, _id, _payload, _args, result) =>
				result.errors
					? { ...result, errors: result.errors.map(formatGraphqlError) }
					: undefined,
			onError: (_ctx, _id, _payload, errors) => errors.map(formatGraphqlError),
		},
		wss,
	);
	// Open graphql-ws sockets are `active_connections{type="graphql"}`.
	wss.on("connection", (ws) => {
		connectionOpened(host.broker, "graphql");
		ws.once("close", () => connectionClosed(host.broker, "graphql"));
	});
	const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
		// A plain split: parsing a hostile URL must not throw in an `upgrade` listener.
		const path = (req.url ?? "").split("?")[0];
		// Not ours: socket.io and others answer their own upgrades on this server.
		if (path !== GRAPHQL_PATH) return;
		wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
	};
	server.on("upgrade", onUpgrade);
	// Credentials expire and members are removed while sockets stay open.
	const recheck = setInterval(() => {
		sockets
			.recheck((credential) => authenticate(contextFor(host), credential))
			.catch((err: Error) =>
				host.logger.error(`GraphQL socket check failed: ${err.message}`),
			);
	}, RECHECK_INTERVAL_MS);
	recheck.unref();

	return {
		onEvent: (event) => sockets.onEvent(event),
		async close() {
			clearInterval(recheck);
			server.off("upgrade", onUpgrade);
			await graphqlWs.dispose();
		},
	};
}
