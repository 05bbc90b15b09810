/**
 * The pages the developer console links to, in headless Chromium: the GraphQL explorer
 * (GraphiQL from node_modules, public/graphiql/) with the console's session, and the API
 * reference at /docs. Both run under their CSP without a refused script. Screenshots go to
 * test/artifacts/.
 */
import type { Browser, Page } from "playwright-core";
import { randomEmail } from "../helpers/auth";
import {
	describeWithChromium,
	launchChromium,
	type PageWatch,
	screenshot,
	signInOnConsole,
	watchPage,
} from "../helpers/browser";
import {
	bootstrap,
	client,
	type Client,
	type GatewayNode,
	startNode,
	tempDir,
} from "../helpers/gateway";

let node: GatewayNode;
let ownerEmail: string;
let api: Client;
let customerId: string;
let browser: Browser;
let page: Page;
let watch: PageWatch;

/** The keys of an OpenAPI path item that are operations (it may hold `parameters` and more). */
const METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

/** The `ui` object public/docs/init.js leaves on the page, as far as the test reads it. */
interface SwaggerWindow {
	ui: { specSelectors: { operations(): { size: number } } };
}

describeWithChromium("the GraphQL explorer and the API reference in headless Chromium", () => {
	beforeAll(async () => {
		const dataDir = tempDir();
		ownerEmail = randomEmail("explorer");
		const owner = bootstrap({ DATA_DIR: dataDir }, "Explorer Org", ownerEmail);
		node = await startNode({ DATA_DIR: dataDir });
		api = client(node.url, owner.api_key);
		const created = await api.post(`/v1/organizations/${owner.organization_id}/customers`, {
			name: "Graph Co",
			segment: "smb",
		});
		expect(created.status).toBe(201);
		customerId = created.body.data.id;
		browser = await launchChromium();
		page = await (await browser.newContext()).newPage();
		watch = watchPage(page);
	}, 90_000);

	afterAll(async () => {
		await browser?.close();
		await node?.stop();
	});

	test("the explorer opened without a session points to the console's sign-in", async () => {
		await page.goto(`${node.url}/graphiql/`);
		const message = page.locator("#explorer-message");
		await message.getByText("Sign in on the developer console first.").waitFor();
		expect(await message.locator("a").getAttribute("href")).toBe("/console/");
		expect(await page.locator(".graphiql-container").count()).toBe(0);
	});

	test("the explorer linked from the console renders GraphiQL and runs a query as the signed-in member", async () => {
		await signInOnConsole(page, node.url, ownerEmail);
		await page.click("a[href='/graphiql/']");
		await page.locator(".graphiql-container").waitFor();
		expect(await page.locator("#explorer-user").textContent()).toBe(ownerEmail);

		await page.click(".graphiql-execute-button");
		const result = page.locator(".result-window");
		await result.getByText('"totalCount": 1').waitFor();
		expect(await result.textContent()).toContain("Graph Co");
		const explorer = await fetch(`${node.url}/graphiql/`);
		expect(explorer.headers.get("content-security-policy")).toContain("script-src 'self'");
		await screenshot(page, "explorer-graphiql");
	});

	test("a subscription run in the explorer shows an interaction recorded meanwhile (graphql-ws)", async () => {
		await page.click(".graphiql-query-editor .CodeMirror");
		await page.keyboard.press("Control+A");
		await page.keyboard.insertText(
			`subscription { customerInteraction(customerId: "${customerId}") { subject } }`,
		);
		// GraphiQL parses the edited document a moment after the change; it picks the transport
		// (graphql-ws for a subscription) from that parse.
		await page.waitForTimeout(1000);
		await page.click(".graphiql-execute-button");

		// The subscription is live once the gateway has it: record interactions until one shows.
		const result = page.locator(".result-window");
		const shown = result.getByText('"subject": "Explorer call"');
		const deadline = Date.now() + 30_000;
		while (!(await shown.isVisible())) {
			if (Date.now() > deadline) throw new Error("no interaction reached the explorer");
			const recorded = await api.post("/graphql", {
				query: `mutation($c: ID!) { createCustomerInteraction(input: { customerId: $c,
					type: CALL, subject: "Explorer call" }) { id } }`,
				variables: { c: customerId },
			});
			expect(recorded.body.errors).toBeUndefined();
			await page.waitForTimeout(300);
		}
		expect(
			watch.requested.some((url) => url.endsWith("/graphql") && url.startsWith("ws")),
		).toBe(true);
		await screenshot(page, "explorer-subscription");
	});

	test("the API reference linked from the console shows every operation of /openapi.json", async () => {
		await page.goto(`${node.url}/console/`);
		await page.click("a[href='/docs/']");
		await page.locator(".opblock").first().waitFor();
		const document = await (await fetch(`${node.url}/openapi.json`)).json();
		expect(await page.locator(".info .title").textContent()).toContain(document.info.title);

		// Swagger UI draws operations as they scroll into view; all of them are in its model.
		const operations = Object.values(document.paths as Record<string, object>).reduce(
			(n: number, item) => n + Object.keys(item).filter((key) => METHODS.has(key)).length,
			0,
		);
		const parsed = await page.evaluate(
			() => (window as unknown as SwaggerWindow).ui.specSelectors.operations().size,
		);
		expect(parsed).toBe(operations);
		const docs = await fetch(`${node.url}/docs/`);
		expect(docs.headers.get("content-security-policy")).toContain("script-src 'self'");
		await screenshot(page, "explorer-docs");
	});

	test("no script is refused on these pages and no token reaches a URL", async () => {
		const stored = await page.evaluate(() => sessionStorage.getItem("mantis.console.session"));
		const { access_token, refresh_token } = JSON.parse(stored ?? "null");
		expect(access_token).toBeTruthy();
		const withToken = watch.requested.filter(
			(url) => url.includes(access_token) || url.includes(refresh_token),
		);
		expect(withToken).toEqual([]);
		expect(watch.requested.some((url) => url.includes("/graphiql/vendor/graphiql"))).toBe(true);
		expect(watch.errors).toEqual([]);
	});
});
