/**
 * Whether a NATS server answers (global setup asks once, before any suite runs).
 */
import net from "node:net";

export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/** A NATS server greets every connection with an `INFO {…}` line. */
export async function natsAvailable(url = NATS_URL): Promise<boolean> {
	const { hostname, port } = new URL(url);

	return new Promise((resolve) => {
		const socket = net.connect(Number(port || 4222), hostname);
		socket.setTimeout(1000);
		socket.once("data", (d) => {
			socket.destroy();
			resolve(d.toString().startsWith("INFO "));
		});
		socket.once("error", () => resolve(false));
		socket.once("timeout", () => {
			socket.destroy();
			resolve(false);
		});
	});
}
