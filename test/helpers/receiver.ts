/**
 * A webhook receiver for tests: node:http on 127.0.0.1 that keeps every request's raw bytes and
 * checks each one twice, with the `standardwebhooks` library (as a receiver would) and with an
 * independent HMAC of `X-Mantis-Signature` over the raw body. Tests choose each answer.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface Received {
	n: number;
	at: number;
	headers: http.IncomingHttpHeaders;
	raw: Buffer;
	// `any` on purpose: payloads are checked field by field.
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	body: any;
	/** Secrets whose Standard Webhooks signature verified. */
	standardOk: string[];
	/** Secret whose HMAC matched `X-Mantis-Signature`, if any. */
	mantisOk: string | undefined;
	/** The status this request was answered with; undefined while held (or never answered). */
	answered?: number;
	/** The sender closed the connection before an answer (gave up, or its process died). */
	abandoned?: boolean;
}

export interface Answer {
	status: number;
	headers?: Record<string, string>;
	body?: string;
	/** No answer until `releaseHeld`: a POST the sender must wait for, give up on or die with. */
	hold?: boolean;
}

export interface Receiver {
	url: string;
	received: Received[];
	/** Secrets to verify against (newest first, as the endpoint signs). */
	secrets: string[];
	answer: (req: Received) => Answer;
	waitFor(
		what: string,
		done: (received: Received[]) => boolean,
		timeoutMs?: number,
	): Promise<void>;
	/** Held requests whose sender still waits for an answer. */
	openHeld(): Received[];
	/** Answers every held request whose sender still waits. */
	releaseHeld(answer: Answer): void;
	/** The `webhook-id`s (event ids) of every request answered 2xx. */
	delivered(): Set<string>;
	close(): Promise<void>;
}

function standardVerifier(secret: string): Webhook {
	return secret.startsWith("whsec_")
		? new Webhook(secret)
		: new Webhook(Buffer.from(secret, "utf8"), { format: "raw" });
}

function verifyStandard(
	secrets: string[],
	raw: Buffer,
	headers: http.IncomingHttpHeaders,
): string[] {
	const plain = Object.fromEntries(
		Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")]),
	);

	return secrets.filter((secret) => {
		try {
			standardVerifier(secret).verify(raw, plain);

			return true;
		} catch {
			return false;
		}
	});
}

function verifyMantis(secrets: string[], raw: Buffer, header: unknown): string | undefined {
	if (typeof header !== "string") return undefined;

	return secrets.find((secret) => {
		const mac = crypto.createHmac("sha256", Buffer.from(secret, "utf8")).update(raw);
		const expected = `sha256=${mac.digest("hex")}`;

		return (
			expected.length === header.length &&
			crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(header))
		);
	});
}

function respond(res: http.ServerResponse, got: Received, answer: Answer): void {
	got.answered = answer.status;
	res.writeHead(answer.status, answer.headers ?? {});
	res.end(answer.body ?? "receiver body that must never be reported");
}

export async function startReceiver(): Promise<Receiver> {
	const sockets = new Set<import("node:net").Socket>();
	const held = new Map<Received, http.ServerResponse>();
	const receiver: Receiver = {
		url: "",
		received: [],
		secrets: [],
		answer: () => ({ status: 200 }),
		async waitFor(what, done, timeoutMs = 30_000) {
			const deadline = Date.now() + timeoutMs;
			while (!done(receiver.received)) {
				if (Date.now() > deadline)
					throw new Error(
						`receiver: timed out waiting for ${what} (${receiver.received.length} ` +
							`received)`,
					);
				await new Promise((r) => setTimeout(r, 50));
			}
		},
		openHeld: () => [...held.keys()],
		releaseHeld(answer) {
			for (const [got, res] of held) respond(res, got, answer);
			held.clear();
		},
		delivered: () =>
			new Set(
				receiver.received
					.filter((r) => (r.answered ?? 0) >= 200 && (r.answered ?? 0) < 300)
					.map((r) => String(r.headers["webhook-id"])),
			),
		close: () =>
			new Promise((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const raw = Buffer.concat(chunks);
			let body: unknown;
			try {
				body = JSON.parse(raw.toString("utf8"));
			} catch {
				body = undefined;
			}
			const got: Received = {
				n: receiver.received.length + 1,
				at: Date.now(),
				headers: req.headers,
				raw,
				body,
				standardOk: verifyStandard(receiver.secrets, raw, req.headers),
				mantisOk: verifyMantis(receiver.secrets, raw, req.headers["x-mantis-signature"]),
			};
			receiver.received.push(got);
			const answer = receiver.answer(got);
			if (!answer.hold) return respond(res, got, answer);
			held.set(got, res);
			res.once("close", () => {
				if (got.answered === undefined) got.abandoned = true;
				held.delete(got);
			});
		});
	});
	server.on("connection", (socket) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

	return receiver;
}
