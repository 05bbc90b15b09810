/**
 * Real time over socket.io (contract: "Real-time"), on the HTTP server of the `api` service of
 * the same node at `/socket.io`. A socket authenticates in its handshake, is put in its
 * organization's room by the server (never by the client), picks events with `subscribe`, may
 * `call` the actions REST exposes, and resumes from the event log after a reconnect.
 *
 * The bridge: the event log broadcasts every recorded event to every node, and each node hands
 * it to its own sockets only. Each socket thus gets an event once however many gateway nodes
 * run; a socket.io adapter relaying between nodes would deliver it a second time, so none is used.
 */
import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import SocketIOMixin from "moleculer-io";
import { Server, type Socket } from "socket.io";
import { config, ConfigError } from "../models/config";
import type { Meta } from "../models/context";
import { ApiError, forbidden, toApiError, unauthorized } from "../models/errors";
import { EVENT_TYPES } from "../models/event";
import { hasScope } from "../models/identity";
import {
	checkCallQuota,
	ConnectionCounter,
	MAX_MESSAGE_BYTES,
	MessageLimiter,
	type MessageVerdict,
} from "./io/limits";
import { untilAnnounced, withinAnnouncement } from "./io/announce";
import { countConnection } from "./io/metrics";
import {
	authenticateOn,
	CALLABLE_ACTIONS,
	completeCallParams,
	handshakeError,
	newRequestId,
	refusedMessage,
	scopeOf,
	type SocketError,
	socketErrorOf,
} from "./io/protocol";
import { SOCKET_IO_PATH } from "./api/upgrades";
import { replayTo } from "./io/resume";
import {
	admitSocket,
	argsOf,
	deliveryTargets,
	EVENTS_SCOPE,
	isEnvelope,
	orgRoom,
	type SocketState,
	socketsByCredential,
	socketsOfKey,
	stateOf,
} from "./io/sockets";
import { parseSubscription } from "./io/subscriptions";

/** How long a handshake on a node that just started waits for the event log to know the node. */
const ANNOUNCE_TIMEOUT_MS = 5_000;

/** How often open sockets' credentials are checked again, so expired ones are cut off. */
const RECHECK_INTERVAL_MS = 60_000;

/** One subscription per catalogue prefix (`order.*`), so no unrelated broker event arrives. */
const EVENT_PATTERNS = [...new Set(EVENT_TYPES.map((t) => `${t.split(".")[0]}.*`))];

type CallOptions = { meta: Meta; requestID?: string };

const IoService: ServiceSchema = {
	name: "io",
	// @ts-expect-error moleculer-io 2.2 types its methods as optional, which ServiceSchema rejects
	mixins: [SocketIOMixin],

	settings: {
		logRequest: "debug",
		logRequestParams: null,
		logResponse: "debug",
		log4XXResponses: false,
		logClientConnection: "debug",
		logBroadcastRequest: null,
		logRouteRegistration: null,
		io: {
			options: {
				path: SOCKET_IO_PATH,
				serveClient: false,
				maxHttpBufferSize: MAX_MESSAGE_BYTES,
				// A client that opens a connection but never joins the namespace is dropped.
				connectTimeout: 10_000,
				// Upgrades to other paths (GraphQL subscriptions at /graphql) belong to their own
				// servers on this port, and the gateway refuses unserved ones (api/upgrades.ts).
				destroyUpgrade: false,
			},
			namespaces: {
				"/": {
					// Our own handshake check instead of moleculer-io's
					// `authorization`, which admits a socket when its hook
					// returns nothing: here anything but an Auth refuses.
					middlewares: [
						function (this: IoThis, socket: Socket, next: (err?: Error) => void) {
							withinAnnouncement(this.announced, ANNOUNCE_TIMEOUT_MS)
								.then(() => admitSocket(socket, this.broker, this.connections))
								.then(
									() => next(),
									(err: unknown) => next(this.refuseHandshake(socket, err)),
								);
						},
					],
					events: {
						call: {
							whitelist: [...CALLABLE_ACTIONS],
							mappingPolicy: "all",
							callOptions: { timeout: config().requestTimeoutMs },
							onBeforeCall(
								this: IoThis,
								_ctx: Context,
								socket: Socket,
								action: string,
								params: unknown,
								opts: CallOptions,
							) {
								return this.beforeCall(socket, action, params, opts);
							},
						},
					},
				},
			},
		},
	},

	// No tenant-blind broadcast and no client listing: delivery goes through `deliver` only.
	actions: { broadcast: false, getClients: false },

	events: Object.fromEntries(
		EVENT_PATTERNS.map((pattern) => [
			pattern,
			function (this: IoThis, ctx: Context<unknown>) {
				this.deliver(ctx.params, ctx.eventName);
			},
		]),
	),

	methods: {
		/**
		 * Replaces moleculer-io's server factory: the local gateway's server, no port of our own.
		 */
		initSocketIO(): void {
			const server = this.broker.getLocalService("api")?.server;
			if (!server)
				throw new ConfigError(
					"SERVICES",
					"runs io without api; the socket service shares the gateway's HTTP server " +
						"(SERVICES=api,io)",
				);
			this.io = new Server(server, this.settings.io.options);
		},

		refuseHandshake(socket: Socket, err: unknown): Error {
			const error = handshakeError(err);
			const level = error.data.code === "SERVICE_UNAVAILABLE" ? "warn" : "debug";
			this.logger[level](`Socket handshake refused: ${error.data.code} (${socket.id})`);

			return error;
		},

		onConnection(socket: Socket): void {
			const state = stateOf(socket);
			socket.join(orgRoom(state.auth.organization_id));
			socket.use((packet, next) => this.screenPacket(socket, packet, next));
			socket.on("subscribe", (...args: unknown[]) => this.subscribe(socket, true, args));
			socket.on("unsubscribe", (...args: unknown[]) => this.subscribe(socket, false, args));
			socket.on("disconnect", () => {
				state.release();
				countConnection(this.broker, -1);
			});
			countConnection(this.broker, 1);
			this.logger.debug(`Socket ${socket.id} connected (${state.auth.actor.type})`);
		},

		/** `subscribe` / `unsubscribe`, acknowledged with the socket's subscriptions. */
		subscribe(socket: Socket, add: boolean, args: unknown[]): void {
			const { payload, ack } = argsOf(args);
			const state = stateOf(socket);
			try {
				if (!hasScope(state.auth.scopes, EVENTS_SCOPE))
					throw forbidden(`Receiving events needs the ${EVENTS_SCOPE} scope`);
				const request = parseSubscription(payload);
				if (add) state.subscriptions.add(request);
				else state.subscriptions.remove(request);
				ack?.(null, { subscriptions: state.subscriptions.list() });
			} catch (err) {
				ack?.(socketErrorOf(err));

				return;
			}
			if (state.resume?.phase === "pending") this.replay(socket, state);
		},

		/** The missed events, then live ones; a replay that cannot finish closes the transport. */
		replay(socket: Socket, state: SocketState): void {
			replayTo(socket, state, this.broker).catch((err: Error) => {
				this.logger.warn(`Resume of socket ${socket.id} failed: ${err.message}`);
				const error = new ApiError(
					"SERVICE_UNAVAILABLE",
					"The missed events could not be replayed; reconnect with the last event id " +
						"received",
				);
				socket.emit("error", socketErrorOf(error));
				// Closing the transport, not the socket, lets the client reconnect by itself.
				socket.conn.close();
			});
		},

		/** One recorded event to this node's subscribed sockets of its organization, once each. */
		deliver(event: unknown, eventName: string | null): void {
			if (!this.io || !isEnvelope(event, eventName)) return;
			const nsp = this.io.of("/");
			if (event.type === "api_key.revoked") {
				const keyId = event.data?.object?.id;
				const sockets = socketsOfKey(nsp, event.organization_id, keyId);
				sockets.forEach((s) => this.expel(s, unauthorized("The API key was revoked")));
			}
			const { targets, laggards } = deliveryTargets(nsp, event);
			for (const socket of laggards) {
				this.logger.info(`Socket ${socket.id} cut off: too slow to read its events`);
				socket.conn.close();
			}
			// `to([])` would address the whole namespace,
			// every organization: never emit without targets.
			if (targets.length === 0) return;
			// One encoding for all targets (each socket is in the room of its own id).
			nsp.to(targets).emit(event.type, event);
		},

		/** What the REST gateway's guard does, per call: credential, tenancy, scope, quota. */
		async beforeCall(
			socket: Socket,
			action: string,
			params: unknown,
			opts: CallOptions,
		): Promise<void> {
			const state = stateOf(socket);
			// Like every REST request, every call checks its
			// credential again (revocation is immediate).
			const auth = await authenticateOn(this.broker, state.credential);
			completeCallParams(params, auth.organization_id);
			const scope = scopeOf(this.broker, action);
			if (!hasScope(auth.scopes, scope))
				throw forbidden(`This credential lacks the ${scope} scope`);
			await checkCallQuota(auth);
			opts.meta = { auth, requestId: opts.meta.requestId };
			opts.requestID = opts.meta.requestId;
		},

		/** Every message is counted; a malformed one is then answered here and goes no further. */
		screenPacket(socket: Socket, packet: unknown[], next: (err?: Error) => void): void {
			this.limitMessage(socket, packet, () => {
				const refused = refusedMessage(packet);
				if (!refused) return next();
				argsOf(packet).ack?.(socketErrorOf(refused));
			});
		},

		/** Counts a message against its socket's allowance; a flood loses the socket. */
		limitMessage(socket: Socket, packet: unknown[], next: (err?: Error) => void): void {
			this.messages.check(socket.id).then((verdict: MessageVerdict) => {
				if (verdict.allowed) return next();
				argsOf(packet).ack?.(socketErrorOf(verdict.error));
				if (!verdict.flood || !socket.connected) return;
				this.logger.info(`Socket ${socket.id} disconnected: message flood`);
				this.expel(socket, verdict.error);
			});
		},

		expel(socket: Socket, err: ApiError): void {
			socket.emit("error", socketErrorOf(err));
			socket.disconnect(true);
		},

		/**
		 * Credentials expire and sessions end while sockets
		 * stay open: check them again now and then.
		 */
		async recheckCredentials(): Promise<void> {
			for (const [credential, sockets] of socketsByCredential(this.io.of("/"))) {
				try {
					const auth = await authenticateOn(this.broker, credential);
					for (const socket of sockets) stateOf(socket).auth = auth;
				} catch (err) {
					// Only a refused credential costs its
					// sockets; an outage must not drop everyone.
					const error = toApiError(err);
					if (error.type === "UNAUTHORIZED") sockets.forEach((s) => this.expel(s, error));
				}
			}
		},

		// moleculer-io hooks, narrowed: an action never changes a socket's identity or rooms.
		socketGetMeta(): Meta {
			return { requestId: newRequestId() };
		},
		socketSaveMeta(): void {},
		socketJoinRooms(): void {},
		socketLeaveRoom(): void {},
		// moleculer-io calls this inside its own catch:
		// a throw here would be an unhandled rejection.
		socketOnError(err: unknown, respond: (error: unknown) => void): void {
			let error: SocketError;
			try {
				error = socketErrorOf(err);
			} catch {
				error = { code: "INTERNAL_ERROR", message: "An internal error occurred" };
			}
			respond(error);
		},
	},

	created() {
		const settings = config();
		this.announced = new Promise<void>((resolve) => (this.markAnnounced = resolve));
		this.connections = new ConnectionCounter(settings.socketConnectionsPerCredential);
		this.messages = new MessageLimiter(settings.socketMessagesPerSecond);
	},

	started() {
		this.io.of("/").on("connection", (socket: Socket) => this.onConnection(socket));
		untilAnnounced(this.broker, () => !this.io).then(() => this.markAnnounced());
		this.recheckTimer = setInterval(() => {
			this.recheckCredentials().catch((err: Error) =>
				this.logger.error(`Socket credential check failed: ${err.message}`),
			);
		}, RECHECK_INTERVAL_MS);
		this.recheckTimer.unref();
	},

	/** Runs before moleculer-io's own stop, which would also close the gateway's HTTP server. */
	stopped() {
		clearInterval(this.recheckTimer);
		if (!this.io) return;
		// Closing the transports, not the sockets, lets clients reconnect to another node.
		this.io.engine.close();
		this.io = undefined;
	},
};

type IoThis = ThisType<unknown> & {
	announced: Promise<void>;
	broker: ServiceBroker;
	connections: ConnectionCounter;
	refuseHandshake(socket: Socket, err: unknown): Error;
	beforeCall(socket: Socket, action: string, params: unknown, opts: CallOptions): Promise<void>;
	deliver(event: unknown, eventName: string | null): void;
};

export default IoService;
