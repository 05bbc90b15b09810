/**
 * A gateway process for hostile-input tests (notes/hostile.md), with what they check after
 * each attack: the process still answers, and nothing was stored. Raw socket.io frames carry
 * values the client library would not encode.
 */
import { type Client, type GatewayNode, organizationGateway } from "./gateway";
import { connected, type Socket, socketTo } from "./sockets";

/** `levels` nested empty arrays, as JSON text. */
export function deepArray(levels: number): string {
	return "[".repeat(levels) + "]".repeat(levels);
}

/** `levels` nested objects `{"a": …}` around 1, as JSON text. */
export function deepObject(levels: number): string {
	return '{"a":'.repeat(levels) + "1" + "}".repeat(levels);
}

/**
 * Sends a socket.io EVENT frame as raw text (`payload` is its JSON array) with acknowledgement
 * id `ackId`, and resolves the acknowledgement's arguments.
 */
export function rawEmit(socket: Socket, payload: string, ackId = 900): Promise<unknown[]> {
	const engine = socket.io.engine;

	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error("no acknowledgement")), 10_000);
		const onMessage = (data: unknown) => {
			const prefix = `3${ackId}[`;
			if (typeof data !== "string" || !data.startsWith(prefix)) return;
			clearTimeout(timer);
			engine.off("message", onMessage);
			resolve(JSON.parse(data.slice(prefix.length - 1)) as unknown[]);
		};
		engine.on("message", onMessage);
		engine.send(`2${ackId}${payload}`);
	});
}

/** A status and a parsed JSON body, as the tests read any answer. */
export interface Answer {
	status: number;
	// `any` on purpose: answers are checked field by field.
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	body: any;
}

export class HostileTarget {
	node!: GatewayNode;
	/** The owner's client and API key, and the organization's `/v1/organizations/<id>`. */
	api!: Client;
	key!: string;
	base!: string;
	dataDir!: string;
	private readonly sockets: Socket[] = [];

	async start(org: string): Promise<void> {
		const gateway = await organizationGateway(org);
		({ node: this.node, api: this.api, base: this.base, dataDir: this.dataDir } = gateway);
		this.key = gateway.owner.api_key;
	}

	async stop(): Promise<void> {
		this.sockets.forEach((s) => s.close());
		await this.node?.stop();
	}

	/** A connected socket of the owner's key, closed at `stop`. */
	async socket(): Promise<Socket> {
		const socket = socketTo(this.node.url, { token: this.key });
		this.sockets.push(socket);

		return connected(socket);
	}

	/** The process is still up and serving requests. */
	async expectAlive(): Promise<void> {
		expect(this.node.exitCode()).toBeNull();
		const res = await this.api.get(`${this.base}/customers?limit=1`);
		expect(res.status).toBe(200);
	}

	/** How many customers the organization has (the tests make fewer than a page). */
	async customerCount(): Promise<number> {
		const res = await this.api.get(`${this.base}/customers?limit=100`);
		expect(res.status).toBe(200);

		return res.body.data.length;
	}
}

/** A target started before the suite's tests and stopped after them. */
export function hostileTarget(org: string): HostileTarget {
	const target = new HostileTarget();
	beforeAll(() => target.start(org));
	afterAll(() => target.stop());

	return target;
}
