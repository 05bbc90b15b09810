/**
 * The client's address as the gateway sees it: the TCP peer, or the first `X-Forwarded-For`
 * entry when TRUST_PROXY says a proxy of ours stands in front (a client-supplied header is
 * never trusted otherwise: it would let anyone pick the key their limits are counted under).
 */
import type { IncomingMessage } from "node:http";

export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string {
	if (trustProxy) {
		const forwarded = req.headers["x-forwarded-for"];
		const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
		if (first) return first;
	}

	return req.socket?.remoteAddress ?? "unknown";
}
