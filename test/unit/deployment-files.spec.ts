/**
 * The deployment files name services by hand; these checks keep them in step with the services
 * this build has, as `npm run cluster` places them (scripts/node.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { domainServices, GATEWAY_SERVICES, WORKER_SERVICES } from "../../scripts/node";

const ROOT = path.resolve(__dirname, "..", "..");
const compose = fs.readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8");
const dockerfile = fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8");

/** The SERVICES of each compose service that sets one, by compose service name. */
function servicesByNode(): Map<string, string> {
	const anchor = /^x-domain-services: &domain-services (\S+)$/m.exec(compose)?.[1];
	const nodes = new Map<string, string>();
	let node = "";
	for (const line of compose.split("\n")) {
		node = /^ {2}([\w-]+):$/.exec(line)?.[1] ?? node;
		const services = /SERVICES: ("[^"]*"|[^\s,}]+)/.exec(line)?.[1];
		if (services === "*domain-services") nodes.set(node, anchor ?? "");
		else if (services) nodes.set(node, services.replace(/"/g, ""));
	}

	return nodes;
}

test("the compose file's domain nodes run every data service, and nothing else", () => {
	const nodes = servicesByNode();

	expect(nodes.get("domain-1")?.split(",").sort()).toEqual(domainServices().sort());
	expect(nodes.get("domain-2")).toBe(nodes.get("domain-1"));
});

test("the compose file's gateway nodes run the gateway services, its worker nodes the workers", () => {
	const nodes = servicesByNode();

	for (const name of ["gateway-1", "gateway-2"])
		expect(nodes.get(name)?.split(",")).toEqual(GATEWAY_SERVICES);
	for (const name of ["worker-1", "worker-2"])
		expect(nodes.get(name)?.split(",")).toEqual(WORKER_SERVICES);
});

test("the image holds every folder a node loads its code from", () => {
	const copied = [...dockerfile.matchAll(/^COPY --chown=\S+ (.+) \.\/(\S*)$/gm)].flatMap((m) =>
		m[2] ? [m[2]] : m[1].split(" "),
	);

	for (const needed of ["models", "mixins", "services", "scripts", "moleculer.config.ts"])
		expect(copied).toContain(needed);
});
