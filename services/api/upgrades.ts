/**
 * WebSocket upgrades the gateway's port serves: graphql-ws at /graphql (api/graphql-ws.ts) and
 * socket.io (io.service.ts, engine.io on the same server). Each answers its own upgrades; an
 * upgrade to any other path would otherwise get no answer and its socket would stay open
 * forever (Node leaves an upgrade no listener takes to them), so it is refused here.
 */
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { GRAPHQL_PATH } from "./graphql-ws";

/** The socket.io path (io.service.ts `io.options.path`). */
export const SOCKET_IO_PATH = "/socket.io";

function servedHere(url: string | undefined): boolean {
	// A plain split: parsing a hostile URL must not throw in an `upgrade` listener.
	const path = (url ?? "").split("?")[0];

	return (
		path === GRAPHQL_PATH || path === SOCKET_IO_PATH || path.startsWith(`${SOCKET_IO_PATH}/`)
	);
}

/** Answers 404 and closes every upgrade to a path no server on this port takes. */
export function refuseUnservedUpgrades(server: Server): void {
	server.on("upgrade", (req: { url?: string }, socket: Duplex) => {
		if (servedHere(req.url)) return;
		socket.on("error", () => socket.destroy());
		socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
	});
}
