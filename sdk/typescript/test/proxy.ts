/**
 * A pass-through HTTP proxy in front of a real gateway, for the faults a client must survive:
 * an answer lost on its way back (the gateway did the work, the client saw a 503) or a
 * gateway briefly unavailable. Each request is forwarded unless `fault` answers it instead.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Seen {
	method: string;
	path: string;
	headers: http.IncomingHttpHeaders;
	/** The gateway's answer (undefined when the proxy answered without forwarding). */
	upstream?: { status: number; headers: Headers };
}

/** What the proxy sends instead of the gateway's answer; `forward` still sends the request on. */
export interface Fault {
	status: number;
	headers?: Record<string, string>;
	forward: boolean;
}

export interface Proxy {
	url: string;
	seen: Seen[];
	fault: (seen: Seen, n: number) => Fault | undefined;
	close(): Promise<void>;
}

/** Headers about the connection and the body's encoding: the proxy's own, never forwarded. */
const FRAMING = [
	"content-length",
	"content-encoding",
	"transfer-encoding",
	"connection",
	"keep-alive",
];

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);

	return Buffer.concat(chunks);
}

/** Sends the request on to the gateway and records its answer in `seen`. */
async function forward(
	target: string,
	seen: Seen,
	body: Buffer,
): Promise<{ status: number; headers: Record<string, string>; text: string }> {
	const headers = Object.entries(seen.headers).filter(
		([k]) => k !== "host" && k !== "connection",
	);
	const answer = await fetch(target + seen.path, {
		method: seen.method,
		headers: headers as [string, string][],
		body: body.length ? body : undefined,
	});
	seen.upstream = { status: answer.status, headers: answer.headers };

	// The body is re-sent whole and decoded, so its framing headers are the proxy's own.
	const kept: Record<string, string> = {};
	answer.headers.forEach((value, name) => {
		if (!FRAMING.includes(name)) kept[name] = value;
	});

	return { status: answer.status, headers: kept, text: await answer.text() };
}

export async function startProxy(target: string): Promise<Proxy> {
	const proxy: Proxy = { url: "", seen: [], fault: () => undefined, close: async () => {} };
	const server = http.createServer(async (req, res) => {
		const seen: Seen = {
			method: req.method ?? "GET",
			path: req.url ?? "/",
			headers: req.headers,
		};
		proxy.seen.push(seen);
		const fault = proxy.fault(seen, proxy.seen.length);
		const body = await readBody(req);
		if (!fault) {
			const answer = await forward(target, seen, body);
			res.writeHead(answer.status, answer.headers);
			res.end(answer.text);

			return;
		}
		if (fault.forward) await forward(target, seen, body);
		res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
		res.end(
			JSON.stringify({
				success: false,
				error: { code: "SERVICE_UNAVAILABLE", message: "proxy fault", details: [] },
			}),
		);
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	proxy.close = () => new Promise((resolve) => server.close(() => resolve()));

	return proxy;
}
