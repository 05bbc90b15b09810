/**
 * The developer console (public/console/) in headless Chromium against one started gateway:
 * signing in, a live event after a REST write, webhook endpoints and their deliveries (redeliver,
 * Retry failed, Send test), an API key made and revoked, the session's renewal and sign-out.
 * Screenshots go to test/artifacts/. The explorer and /docs: explorer-browser.spec.ts.
 */
import type { Browser, Page } from "playwright-core";
import {
	describeWithChromium,
	launchChromium,
	type PageWatch,
	screenshot,
	signInOnConsole,
	watchPage,
} from "../helpers/browser";
import { leaks, randomEmail } from "../helpers/auth";
import {
	bootstrap,
	client,
	type Client,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { type Receiver, startReceiver } from "../helpers/receiver";

let node: GatewayNode;
let owner: Owner;
let ownerEmail: string;
let api: Client;
let base: string;
let browser: Browser;
let receiver: Receiver;
let page: Page;
/** The endpoint the webhook tests share (it points at `receiver`). */
let hookId: string;
let watch: PageWatch;
/** Every access and refresh token the tab has held (none may reach a URL or a log). */
const tokens: string[] = [];

const SESSION_KEY = "mantis.console.session";

/** The tab's session, as the console keeps it; its tokens are remembered for the leak check. */
async function tabSession(): Promise<{ access_token: string; refresh_token: string }> {
	const stored = await page.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY);
	const session = JSON.parse(stored ?? "null");
	if (session) tokens.push(session.access_token, session.refresh_token);

	return session;
}

/** Clicks the deliveries' Refresh until the first row has `status` (the worker runs apart). */
async function refreshUntilStatus(status: string): Promise<void> {
	const row = page.locator("#deliveries-list tr").first();
	const deadline = Date.now() + 30_000;
	while ((await row.getAttribute("data-status").catch(() => null)) !== status) {
		if (Date.now() > deadline) throw new Error(`no delivery became ${status}`);
		await page.waitForTimeout(200);
		await page.click("#deliveries-refresh");
	}
}

describeWithChromium("the developer console in headless Chromium", () => {
	beforeAll(async () => {
		const dataDir = tempDir();
		ownerEmail = randomEmail("console");
		owner = bootstrap({ DATA_DIR: dataDir }, "Console Org", ownerEmail);
		// Debug logging, so that the check for tokens in the logs sees every request line.
		node = await startNode({
			DATA_DIR: dataDir,
			WEBHOOK_ALLOW_PRIVATE: "true",
			LOG_LEVEL: "debug",
		});
		api = client(node.url, owner.api_key);
		base = `/v1/organizations/${owner.organization_id}`;
		receiver = await startReceiver();
		browser = await launchChromium();
		page = await (await browser.newContext()).newPage();
		watch = watchPage(page);
	}, 90_000);

	afterAll(async () => {
		await browser?.close();
		await receiver?.close();
		await node?.stop();
	});

	test("the root opens the console, whose pages carry a CSP that runs only this origin's scripts", async () => {
		const root = await fetch(`${node.url}/`, { redirect: "manual" });
		expect(root.status).toBe(200);
		expect(await root.text()).toContain('src="/console/js/main.js"');
		expect(root.headers.get("content-security-policy")).toContain("script-src 'self'");

		const consolePage = await fetch(`${node.url}/console/`);
		expect(consolePage.status).toBe(200);
		expect(consolePage.headers.get("content-security-policy")).toContain("script-src 'self'");
		expect(consolePage.headers.get("x-frame-options")).toBe("DENY");
		// Only the files the pages name are served from node_modules, nothing else of the package.
		const vendor = await fetch(`${node.url}/console/vendor/socket.io.esm.min.js`);
		expect(vendor.status).toBe(200);
		for (const name of ["package.json", "constructor", "..%2Fpackage.json"])
			expect((await fetch(`${node.url}/console/vendor/${name}`)).status).toBe(404);
	});

	test("signing in shows the organization, and a customer created over REST appears live", async () => {
		await signInOnConsole(page, node.url, ownerEmail);
		await page.locator("#organization .org-name").waitFor();
		expect(await page.locator("#organization .org-name").textContent()).toBe("Console Org");
		await page.locator("#socket-status[data-state=live]").waitFor();

		const created = await api.post(`${base}/customers`, { name: "Live Co", segment: "smb" });
		expect(created.status).toBe(201);
		const row = page.locator(`#events-list tr[data-event-type="customer.created"]`);
		await row.waitFor();
		expect(await row.locator("summary").textContent()).toBe(created.body.data.id);
		await screenshot(page, "console-live-event");
	});

	test("a dead webhook delivery is sent again from the console and then succeeds", async () => {
		const hook = await api.post(`${base}/webhooks`, {
			url: receiver.url,
			events: ["customer.*"],
			retry_config: { max_retries: 0 },
		});
		expect(hook).toMatchObject({ status: 201 });
		hookId = hook.body.data.id;
		receiver.answer = () => ({ status: 500 });
		const customer = await api.post(`${base}/customers`, { name: "Hooked Co", segment: "smb" });
		await receiver.waitFor("the first attempt", (got) => got.length === 1);

		await page.click("#webhooks-refresh");
		const hookRow = page.locator(`#webhooks-list tr[data-webhook-id="${hook.body.data.id}"]`);
		await hookRow
			.getByRole("button", { name: `Deliveries of ${receiver.url}`, exact: true })
			.click();
		const delivery = page.locator("#deliveries-list tr").first();
		// The worker records the outcome after the receiver answers; Refresh shows it.
		await refreshUntilStatus("dead");
		await screenshot(page, "console-delivery-dead");

		receiver.answer = () => ({ status: 204 });
		await delivery.getByRole("button", { name: /^Redeliver/ }).click();
		await receiver.waitFor("the redelivery", (got) => got.length === 2);
		expect(receiver.received[1].body.data.object.id).toBe(customer.body.data.id);
		expect(receiver.received[1].headers["webhook-id"]).toBe(
			receiver.received[0].headers["webhook-id"],
		);
		await refreshUntilStatus("succeeded");
		await screenshot(page, "console-delivery-redelivered");
	});

	test("Retry failed sends a dead delivery of the endpoint again", async () => {
		receiver.answer = () => ({ status: 500 });
		const customer = await api.post(`${base}/customers`, { name: "Retry Co", segment: "smb" });
		await receiver.waitFor("the failing attempt", (got) => got.length === 3);
		await refreshUntilStatus("dead");

		receiver.answer = () => ({ status: 204 });
		const hookRow = page.locator(`#webhooks-list tr[data-webhook-id="${hookId}"]`);
		await hookRow
			.getByRole("button", { name: `Retry failed deliveries of ${receiver.url}` })
			.click();
		await page
			.locator("#notice", { hasText: "Failed or dead deliveries scheduled again: 1" })
			.waitFor();
		await receiver.waitFor("the recovered delivery", (got) => got.length === 4);
		expect(receiver.received[3].body.data.object.id).toBe(customer.body.data.id);
		await refreshUntilStatus("succeeded");
	});

	test("Send test delivers webhook.test to the endpoint and reports its answer", async () => {
		receiver.answer = () => ({ status: 204 });
		const hookRow = page.locator(`#webhooks-list tr[data-webhook-id="${hookId}"]`);
		await hookRow.getByRole("button", { name: `Send a test event to ${receiver.url}` }).click();
		await page
			.locator("#notice", { hasText: /^Test event answered HTTP 204 in \d+ ms$/ })
			.waitFor();
		expect(receiver.received.at(-1)?.body.type).toBe("webhook.test");
	});

	test("an endpoint added in the console shows its signing secret once and is listed", async () => {
		await page.fill("#webhook-form input[name=url]", `${receiver.url}?form`);
		await page.fill("#webhook-form input[name=events]", "invoice.paid, order.*");
		await page.click("#webhook-form button[type=submit]");
		const secret = await page.locator("#webhook-secret .secret-value").textContent();
		expect(secret).toMatch(/^whsec_/);

		const listed = await api.get(`${base}/webhooks?limit=100`);
		const added = listed.body.data.find((w: { url: string }) => w.url.endsWith("?form"));
		expect(added.events).toEqual(["invoice.paid", "order.*"]);
		const row = page.locator(`#webhooks-list tr[data-webhook-id="${added.id}"]`);
		expect(await row.locator("td").nth(1).textContent()).toBe("invoice.paid, order.*");
		// The secret is the API's to show once: the list carries none.
		expect(JSON.stringify(listed.body)).not.toContain(secret as string);
	});

	test("a read-only member sees events and deliveries, and a refused write shows the API's FORBIDDEN", async () => {
		const email = randomEmail("read-only");
		const password = "a read-only member's password";
		const added = await api.post(`${base}/members`, { email, password, role: "read_only" });
		expect(added.status).toBe(201);
		const context = await browser.newContext();
		const reader = await context.newPage();
		await signInOnConsole(reader, node.url, email, password);
		await reader.locator("#socket-status[data-state=live]").waitFor();

		const hookRow = reader.locator(`#webhooks-list tr[data-webhook-id="${hookId}"]`);
		await hookRow
			.getByRole("button", { name: `Deliveries of ${receiver.url}`, exact: true })
			.click();
		const delivery = reader.locator("#deliveries-list tr").first();
		await delivery.getByRole("button", { name: /^Redeliver/ }).click();
		await reader.locator("#webhooks-error", { hasText: "(FORBIDDEN)" }).waitFor();
		await reader.fill("#api-key-form input[name=name]", "Not allowed");
		await reader.click("#api-key-form button[type=submit]");
		await reader.locator("#api-keys-error", { hasText: "(FORBIDDEN)" }).waitFor();
		await screenshot(reader, "console-read-only");
		await context.close();
	});

	test("an API key created in the console works until it is revoked there", async () => {
		await page.fill("#api-key-form input[name=name]", "Reporting job");
		await page.fill("#api-key-form input[name=scopes]", "customers:read");
		await page.click("#api-key-form button[type=submit]");
		const key = await page.locator("#api-key-secret .secret-value").textContent();
		expect(key).toMatch(/^mnx_/);
		expect((await client(node.url, key as string).get(`${base}/customers`)).status).toBe(200);
		const row = page.locator("#api-keys-list tr", { hasText: "Reporting job" });
		expect(await row.locator("td").nth(2).textContent()).toBe("customers:read");
		await screenshot(page, "console-api-key-created");

		page.once("dialog", (dialog) => dialog.accept());
		await row.getByRole("button", { name: "Revoke Reporting job" }).click();
		await row.locator("td", { hasText: "revoked" }).waitFor();
		expect((await client(node.url, key as string).get(`${base}/customers`)).status).toBe(401);
	});

	test("a reload keeps the tab's session, and a refused access token is renewed with the refresh token", async () => {
		await page.goto(`${node.url}/console/`);
		await page.locator("#workspace").waitFor({ state: "visible" });
		const before = await tabSession();
		// An access token the gateway refuses, as it would an expired one.
		await page.evaluate((key) => {
			const stored = JSON.parse(sessionStorage.getItem(key) as string);
			sessionStorage.setItem(key, JSON.stringify({ ...stored, access_token: "expired" }));
		}, SESSION_KEY);
		await page.reload();

		await page.locator("#socket-status[data-state=live]").waitFor();
		await page.locator("#api-keys-list tr").first().waitFor();
		const after = await tabSession();
		expect(after.access_token).not.toBe("expired");
		expect(after.refresh_token).not.toBe(before.refresh_token);
		expect((await client(node.url, after.access_token).get(`${base}/customers`)).status).toBe(
			200,
		);
	});

	test("no token reaches a URL or the gateway's logs, no script is refused, and signing out ends the session", async () => {
		const { access_token } = await tabSession();
		expect(
			watch.requested.filter((url) => tokens.some((token) => url.includes(token))),
		).toEqual([]);
		expect(watch.requested.some((url) => url.includes("/socket.io/"))).toBe(true);
		expect(leaks(node.logs(), [...tokens, owner.api_key])).toEqual([]);
		expect(watch.errors).toEqual([]);

		await page.goto(`${node.url}/console/`);
		await page.locator("#workspace").waitFor({ state: "visible" });
		await page.click("#sign-out");
		await page.locator("#sign-in").waitFor({ state: "visible" });
		expect(await tabSession()).toBeNull();
		expect((await client(node.url, access_token).get(`${base}/customers`)).status).toBe(401);
	});
});
