/**
 * The benchmark's yardstick: a bare `node:http` server answering every request with the JSON
 * the gateway returns for a customer, so each gateway figure is also read as a share of what
 * Node itself can serve on this machine in the same run.
 */
import http from "node:http";

const body = Buffer.from(process.env.BASELINE_BODY ?? '{"success":true}');
const port = Number(process.env.PORT ?? 0);

const server = http.createServer((_req, res) => {
	res.writeHead(200, {
		"Content-Type": "application/json; charset=utf-8",
		"Content-Length": body.length,
	});
	res.end(body);
});

server.listen(port, "127.0.0.1", () => {
	const address = server.address() as { port: number };
	process.stdout.write(`listening ${address.port}\n`);
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
