/**
 * `/openapi.json` is generated, so it must be valid OpenAPI 3.1 and name every route the
 * running gateway has registered (compared with the gateway's own alias list, not with the
 * table it was generated from).
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { ServiceBroker } from "moleculer";
import { config } from "../../models/config";
import { createNode } from "../../scripts/node";
import { freePort, tempDir } from "../helpers/gateway";

let broker: ServiceBroker;
let url: string;

beforeAll(async () => {
	const port = await freePort();
	// Services read the process-wide configuration, so this in-process node gets its own env.
	Object.assign(process.env, {
		DATA_DIR: tempDir(),
		PORT: String(port),
		METRICS_PORT: "0",
		LOG_LEVEL: "warn",
	});
	broker = createNode(config());
	await broker.start();
	url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
	await broker?.stop();
});

// The document is checked field by field below; typing all of OpenAPI here would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function getDocument(): Promise<any> {
	return (await fetch(`${url}/openapi.json`)).json();
}

/** The gateway's API routes: `/v1`, and the OAuth authorization server's two. */
const API_ROUTES = ["/v1", "/v1/auth/oauth", "/.well-known"];

interface Alias {
	fullPath: string;
	methods: string;
	routePath: string;
}

test("/openapi.json is valid OpenAPI 3.1 according to an independent validator", async () => {
	const document = await getDocument();

	await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeTruthy();
	expect(document.openapi).toBe("3.1.0");
});

test("every REST and OAuth route the gateway registered appears in the document with its method", async () => {
	const document = await getDocument();
	const aliases: Alias[] = await broker.call("api.listAliases");
	const rest = aliases.filter((a) => API_ROUTES.includes(a.routePath));
	const missing = rest.filter((a) => {
		const path = a.fullPath.replace(/:([a-z_]+)/g, "{$1}");

		return !document.paths[path]?.[a.methods.toLowerCase()];
	});

	expect(rest.length).toBeGreaterThan(20);
	expect(rest.map((a) => a.routePath)).toEqual(expect.arrayContaining(API_ROUTES));
	expect(missing).toEqual([]);
});

test("resources carry their schemas, list parameters and the error catalogue", async () => {
	const document = await getDocument();
	const list = document.paths["/v1/organizations/{org_id}/customers"].get;
	const names = list.parameters.map((p: { name: string }) => p.name);

	expect(document.components.schemas.Customer.properties.segment.enum).toContain("mid_market");
	expect(document.components.schemas.CustomerCreate.required).toEqual(["name", "segment"]);
	expect(document.components.schemas.CustomerCreate.properties.id).toBeUndefined();
	expect(names).toEqual(
		expect.arrayContaining(["limit", "cursor", "segment", "segment_in", "created_at_gte", "q"]),
	);
	expect(document.components.schemas.Error.properties.error.properties.code.enum).toContain(
		"RATE_LIMITED",
	);
});

test("/docs serves the reference UI from the project itself, no CDN", async () => {
	const page = await (await fetch(`${url}/docs/`)).text();
	const bundle = await fetch(`${url}/docs/swagger-ui-bundle.js`);

	expect(page).toContain("/docs/swagger-ui-bundle.js");
	expect(page).not.toMatch(/https?:\/\//);
	expect(bundle.status).toBe(200);
});
