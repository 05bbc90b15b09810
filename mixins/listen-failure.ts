/**
 * A node that cannot open its HTTP port must not keep running without serving: a load balancer
 * or an operator would see a live process that answers nothing. Both servers of a node (the
 * gateway's PORT and the Prometheus METRICS_PORT) end the process the same way: one fatal log
 * line naming the setting and the port, exit code 1.
 */
import type { Server } from "node:http";
import type { LoggerInstance } from "moleculer";

/** The reason in words, for the errors an operator can fix by configuration. */
function reasonOf(err: NodeJS.ErrnoException, setting: string): string {
	if (err.code === "EADDRINUSE") return `is in use: stop what holds it or set another ${setting}`;
	if (err.code === "EACCES") return `needs privileges this process lacks: set another ${setting}`;
	if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND")
		return (
			`cannot be opened on this HOST (${err.code}): set HOST to an address of this ` +
			`machine`
		);

	return `cannot be opened (${err.code ?? err.message})`;
}

/**
 * Makes a failure to listen fatal. Errors after the server listens are logged, never fatal.
 * `fatal` is the broker's (it logs at fatal and exits 1).
 */
export function exitOnListenFailure(
	server: Server,
	setting: string,
	port: number,
	logger: LoggerInstance,
	fatal: (message: string) => void,
): void {
	server.on("error", (err: NodeJS.ErrnoException) => {
		if (server.listening) {
			logger.error(`HTTP server error on ${setting} ${port}: ${err.message}`);

			return;
		}
		fatal(`${setting} ${port} ${reasonOf(err, setting)}`);
	});
}
