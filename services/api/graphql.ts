/**
 * GraphQL on the gateway: `POST /graphql` through moleculer-apollo-server, and the graphql-ws
 * protocol at the same path (graphql-ws.ts). The schema is built from every running service's
 * `settings.graphql` (mixins/graphql.mixin.ts) plus the shared types (graphql-schema.ts), and
 * rebuilt when services come and go. The gateway owns the policy only: credential, CSRF,
 * batching, limits and the error shape; every resolver is a domain action.
 */
import { EventEmitter } from "node:events";
import type { Server, ServerResponse } from "node:http";
import type { GraphQLSchema } from "graphql";
import { PubSub } from "graphql-subscriptions";
import type { Context, LoggerInstance, ServiceBroker, ServiceSchema } from "moleculer";
import { ApolloService } from "moleculer-apollo-server";
import { config } from "../../models/config";
import type { Meta } from "../../models/context";
import { notFound, toApiError } from "../../models/errors";
import { EVENT_TYPES } from "../../models/event";
import { hasScope } from "../../models/identity";
import { authenticate, credentialOf } from "./credentials";
import { errorsBody, formatGraphqlError } from "./graphql-errors";
import { LIMIT_RULES, quotaUnits } from "./graphql-limits";
import { hasRateLimitHeaders, limitRequest } from "./rate-limit";
import {
	interleave,
	SCALAR_RESOLVERS,
	searchablesOf,
	searchSchemaPart,
	type ServiceInfo,
	SHARED_TYPE_DEFS,
} from "./graphql-schema";
import { PARSER_OPTIONS, refuseDeepBody } from "./request-checks";
import { checkTransport, plugins, type Req } from "./graphql-http";
import { attachGraphqlWs, GRAPHQL_PATH, type GraphqlWs } from "./graphql-ws";
import { SALES_METRICS_EVENT } from "../analytics/sales-metrics";
import { claimOperation, releaseOperation, replayOf, settleOperation } from "./graphql-idempotency";
import { sendReplay } from "./idempotency";

/** One listener per event type per live subscription: no fixed ceiling applies. */
const UNLIMITED_LISTENERS = 0;

const apolloOptions = {
	typeDefs: SHARED_TYPE_DEFS,
	resolvers: SCALAR_RESOLVERS,
	// An `api.graphql` action would run operations past the guard and the limits: none is made.
	createAction: false,
	routeOptions: {
		path: GRAPHQL_PATH,
		mappingPolicy: "restrict",
		bodyParsers: {
			json: { ...PARSER_OPTIONS, limit: config().maxBodyBytes, strict: true },
			urlencoded: false,
		},
		use: [refuseDeepBody],
		callOptions: { timeout: config().requestTimeoutMs },
		logging: true,
		aliases: {
			// Apollo's own handler, except that a repeated Idempotency-Key is answered by a replay.
			async "/"(this: GraphqlThis, req: Req, res: ServerResponse) {
				const replay = replayOf(req);
				if (replay) return sendReplay(res, replay);
				try {
					await this.prepareGraphQLSchema();

					return await this.graphqlHandler(req, res);
				} catch (err) {
					this.sendGraphqlError(req, res, err);
				}
			},
		},
		onBeforeCall(
			this: GraphqlThis,
			ctx: Context<unknown, Meta>,
			_route: unknown,
			req: Req,
			res: ServerResponse,
		) {
			return this.graphqlGuard(ctx, req, res);
		},
		onError(this: GraphqlThis, req: Req, res: ServerResponse, err: unknown) {
			this.sendGraphqlError(req, res, err);
		},
	},
	serverOptions: {
		// Apollo's subscription server aborts the port's other WebSocket upgrades (socket.io).
		subscriptions: false,
		uploads: false,
		playground: false,
		persistedQueries: false,
		// Shutdown is the broker's (it drains in-flight requests); Apollo would re-raise SIGTERM.
		stopOnTerminationSignals: false,
		// Apollo's own variables (APOLLO_KEY) must never turn on reporting to a third party.
		engine: false,
		// Cache hints are for a CDN in front, which this API does not have; left on, Apollo wraps
		// every field's resolver to collect them (a tenth of a 20-order query's CPU).
		cacheControl: false,
		introspection: config().nodeEnv !== "production",
		debug: config().nodeEnv === "development",
		validationRules: LIMIT_RULES,
		formatError: formatGraphqlError,
		plugins,
	},
};

interface ApolloOptions {
	typeDefs: string;
	resolvers: object;
	createAction: boolean;
	routeOptions: object;
	serverOptions: object;
}

// moleculer-apollo-server's typings lag its code (body parser options, `createAction`), so the
// options are checked against the interface above instead of theirs.
const apollo = (ApolloService as (options: ApolloOptions) => Partial<ServiceSchema>)(apolloOptions);

/** Event type prefixes of the catalogue (`order.*`): the events subscriptions are fed from. */
const EVENT_PATTERNS = [...new Set(EVENT_TYPES.map((t) => `${t.split(".")[0]}.*`))];

export const GraphqlGateway: Partial<ServiceSchema> = {
	mixins: [apollo],

	actions: {
		/**
		 * `search` across every searchable type the caller may read (or the `types` asked for,
		 * whose scopes then apply as usual). The per-type searches check their own scopes.
		 */
		graphqlSearch: {
			visibility: "public",
			params: {
				query: { type: "string", min: 1, max: 200 },
				types: { type: "array", items: "string", optional: true },
				limit: { type: "number", integer: true, min: 1, max: 100, optional: true },
			},
			async handler(
				ctx: Context<{ query: string; types?: string[]; limit?: number }, Meta>,
			): Promise<unknown[]> {
				const { query, types, limit = 10 } = ctx.params;
				const scopes = ctx.meta.auth?.scopes ?? [];
				const all = searchablesOf(
					this.broker.registry.getServiceList({ onlyAvailable: true }),
				);
				const chosen = types
					? all.filter((s) => types.includes(s.type))
					: all.filter((s) => hasScope(scopes, s.scope));
				const lists: unknown[][] = await Promise.all(
					chosen.map((s) =>
						ctx.call<unknown[], object>(`${s.service}.graphqlSearch`, { query, limit }),
					),
				);

				return interleave(lists, limit);
			},
		},
	},

	events: Object.fromEntries(
		[...EVENT_PATTERNS, SALES_METRICS_EVENT].map((pattern) => [
			pattern,
			function publish(
				this: GraphqlThis,
				payload: unknown,
				_sender: string,
				eventName: string,
			) {
				this.graphqlPubSub.publish(eventName, payload);
				this.graphqlWs?.onEvent(payload);
			},
		]),
	),

	methods: {
		/** The one PubSub of this node: live subscriptions outlive every schema rebuild. */
		createPubSub(this: GraphqlThis): PubSub {
			return this.graphqlPubSub;
		},

		/** The schema of the running services, plus `search` over the searchable ones. */
		generateGraphQLSchema(this: GraphqlThis, services: ServiceInfo[]): GraphQLSchema {
			const search = searchSchemaPart(services);
			const withSearch = search ? [...services, search] : services;

			return apollo.methods?.generateGraphQLSchema.call(this, withSearch);
		},

		async currentSchema(this: GraphqlThis): Promise<GraphQLSchema> {
			await this.prepareGraphQLSchema();

			return this.graphqlSchema;
		},

		/**
		 * What is decided before any GraphQL runs: transport rules, the caller and the quota,
		 * spent as the REST guard spends it (a refused credential counts against the address).
		 */
		async graphqlGuard(
			ctx: Context<unknown, Meta>,
			req: Req,
			res: ServerResponse,
		): Promise<void> {
			const path = (req.originalUrl ?? req.url ?? "").split("?")[0].replace(/\/$/, "");
			if (path !== GRAPHQL_PATH) throw notFound("route");
			const operation = checkTransport(req);
			const auth = await authenticate(ctx, credentialOf(req.headers)).catch(async (err) => {
				await limitRequest(req, res, undefined);
				throw err;
			});
			ctx.meta.auth = auth;
			const units = quotaUnits(operation.query, operation.operationName, operation.variables);
			await limitRequest(req, res, auth, units);
			// As over REST: actions that hand out links (document shares) build them on it.
			ctx.meta.publicUrl = config().publicUrl ?? `http://${req.headers.host ?? "localhost"}`;
			await claimOperation(ctx, req);
		},

		/**
		 * Errors before GraphQL ran, in GraphQL's shape with the catalogue's code and status;
		 * one refused before the credential was read counts against the client's address.
		 */
		sendGraphqlError(this: GraphqlThis, req: Req, res: ServerResponse, err: unknown): void {
			releaseOperation(req);
			if (res.headersSent || hasRateLimitHeaders(res)) {
				this.writeGraphqlError(res, err);

				return;
			}
			limitRequest(req, res, undefined).then(
				() => this.writeGraphqlError(res, err),
				(limited: unknown) => this.writeGraphqlError(res, limited),
			);
		},

		writeGraphqlError(this: GraphqlThis, res: ServerResponse, err: unknown): void {
			const error = toApiError(err);
			if (error.type === "INTERNAL_ERROR")
				this.logger.error(`GraphQL request failed: ${(err as Error)?.message}`);
			if (res.headersSent) {
				res.end();

				return;
			}
			const headers: Record<string, string> = {
				"Content-Type": "application/json; charset=utf-8",
				...(error.data?.headers ?? {}),
			};
			if (error.type === "UNAUTHORIZED")
				headers["WWW-Authenticate"] = 'Bearer realm="mantis"';
			res.writeHead(error.code, headers);
			res.end(JSON.stringify(errorsBody(error)));
		},
	},

	created() {
		const emitter = new EventEmitter();
		emitter.setMaxListeners(UNLIMITED_LISTENERS);
		this.graphqlPubSub = new PubSub({ eventEmitter: emitter });

		// moleculer-apollo-server answers a refused operation (400) itself and then still hands
		// the gateway an empty result, which would log "Headers have already sent" each time.
		const send = this.sendResponse;
		this.sendResponse = (req: Req, res: ServerResponse, data: unknown, action?: unknown) =>
			settleOperation(req, res, data).then(() =>
				res.headersSent && data === undefined ? undefined : send(req, res, data, action),
			);
	},

	started() {
		this.graphqlWs = attachGraphqlWs(
			{ broker: this.broker, logger: this.logger, schema: () => this.currentSchema() },
			this.server,
		);
	},

	async stopped() {
		await this.graphqlWs?.close();
	},
};

interface GraphqlThis {
	broker: ServiceBroker;
	logger: LoggerInstance;
	server: Server;
	graphqlPubSub: PubSub;
	graphqlSchema: GraphQLSchema;
	graphqlWs?: GraphqlWs;
	prepareGraphQLSchema(): Promise<void>;
	graphqlHandler(req: Req, res: ServerResponse): Promise<unknown>;
	currentSchema(): Promise<GraphQLSchema>;
	graphqlGuard(ctx: Context<unknown, Meta>, req: Req, res: ServerResponse): Promise<void>;
	sendGraphqlError(req: Req, res: ServerResponse, err: unknown): void;
	writeGraphqlError(res: ServerResponse, err: unknown): void;
}
