/**
 * The browser leg of the authorization code flow in headless Chromium: the login page, the
 * consent page, the redirect back with code and state, a remembered approval, a wrong
 * password, and a denial. Screenshots go to test/artifacts/.
 */
import http from "node:http";
import path from "node:path";
import type { Browser } from "playwright-core";
import { ARTIFACTS, describeWithChromium, launchChromium } from "../helpers/browser";
import { form, OWNER_PASSWORD, pkce, randomEmail } from "../helpers/auth";
import {
	bootstrap,
	client,
	freePort,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";

let node: GatewayNode;
let owner: Owner;
let ownerEmail: string;
let browser: Browser;
let callback: http.Server;
let redirectUri: string;
let clientId: string;

function authorizeUrl(
	state: string,
	challenge: string,
	scope = "customers:read customers:write",
): string {
	const params = new URLSearchParams({
		response_type: "code",
		client_id: clientId,
		redirect_uri: redirectUri,
		scope,
		state,
		code_challenge: challenge,
		code_challenge_method: "S256",
	});

	return `${node.url}/v1/auth/oauth/authorize?${params}`;
}

async function newPage() {
	const context = await browser.newContext();

	return context.newPage();
}

describeWithChromium("the authorization page in headless Chromium", () => {
	beforeAll(async () => {
		const port = await freePort();
		const env = {
			DATA_DIR: tempDir(),
			PORT: String(port),
			JWT_ISSUER: `http://127.0.0.1:${port}`,
		};
		ownerEmail = randomEmail("owner");
		owner = bootstrap(env, "Browser Org", ownerEmail);
		node = await startNode(env);

		const callbackPort = await freePort();
		redirectUri = `http://127.0.0.1:${callbackPort}/callback`;
		callback = http.createServer((_req, res) =>
			res.end("<!doctype html><title>Back at the app</title><p>Signed in.</p>"),
		);
		await new Promise<void>((resolve) => callback.listen(callbackPort, "127.0.0.1", resolve));
		const registered = await client(node.url, owner.api_key).post(
			`/v1/organizations/${owner.organization_id}/oauth-clients`,
			{
				name: "Field Sales App",
				type: "public",
				redirect_uris: [redirectUri],
				scopes: ["customers:read", "customers:write"],
			},
		);
		clientId = registered.body.data.id;
		browser = await launchChromium();
	}, 90_000);

	afterAll(async () => {
		await browser?.close();
		callback?.close();
		await node?.stop();
	});

	test("sign in, approve, and come back with a code that the client exchanges", async () => {
		const page = await newPage();
		const { verifier, challenge } = pkce();
		await page.goto(authorizeUrl("browser-1", challenge));

		await page.locator("#login").waitFor({ state: "visible" });
		expect(await page.locator("#login .client-name").textContent()).toBe("Field Sales App");
		await page.screenshot({ path: path.join(ARTIFACTS, "oauth-login.png") });
		await page.fill("input[name=email]", ownerEmail);
		await page.fill("input[name=password]", OWNER_PASSWORD);
		await page.click("#login button[type=submit]");

		await page.locator("#consent").waitFor({ state: "visible" });
		const scopes = await page.locator("#scopes li").allTextContents();
		expect(scopes).toEqual(["read customers", "create, change and delete customers"]);
		await page.screenshot({ path: path.join(ARTIFACTS, "oauth-consent.png") });
		await Promise.all([page.waitForURL(/\/callback\?/), page.click("button[value=true]")]);

		const back = new URL(page.url());
		expect(back.searchParams.get("state")).toBe("browser-1");
		const token = await form(`${node.url}/v1/auth/oauth/token`, {
			grant_type: "authorization_code",
			code: back.searchParams.get("code") as string,
			redirect_uri: redirectUri,
			client_id: clientId,
			code_verifier: verifier,
		});
		expect(token.status).toBe(200);
		const customers = await client(node.url, token.json.access_token).get(
			`/v1/organizations/${owner.organization_id}/customers`,
		);
		expect(customers.status).toBe(200);

		// The same browser, the same client and scopes: straight back, no page in between.
		await page.goto(authorizeUrl("browser-2", pkce().challenge));
		await page.waitForURL(/\/callback\?/);
		expect(new URL(page.url()).searchParams.get("state")).toBe("browser-2");
		expect(new URL(page.url()).searchParams.get("code")).toMatch(/^mac_/);
		await page.context().close();
	});

	test("a wrong password shows an error on the login page", async () => {
		const page = await newPage();
		await page.goto(authorizeUrl("browser-3", pkce().challenge));
		await page.fill("input[name=email]", ownerEmail);
		await page.fill("input[name=password]", "not my password");
		await page.click("#login button[type=submit]");

		await page.locator("#message").waitFor({ state: "visible" });
		expect(await page.locator("#message").textContent()).toBe("The email or password is wrong");
		expect(await page.locator("#login").isVisible()).toBe(true);
		await page.screenshot({ path: path.join(ARTIFACTS, "oauth-wrong-password.png") });
		await page.context().close();
	});

	test("denying sends the browser back with access_denied and no code", async () => {
		const email = randomEmail("member");
		const password = "a member's own password";
		await client(node.url, owner.api_key).post(
			`/v1/organizations/${owner.organization_id}/members`,
			{ email, password, role: "member" },
		);
		const page = await newPage();
		await page.goto(authorizeUrl("browser-4", pkce().challenge, "customers:read"));
		await page.fill("input[name=email]", email);
		await page.fill("input[name=password]", password);
		await page.click("#login button[type=submit]");
		await page.locator("#consent").waitFor({ state: "visible" });
		await Promise.all([page.waitForURL(/\/callback\?/), page.click("button[value=false]")]);

		const back = new URL(page.url());
		expect(back.searchParams.get("error")).toBe("access_denied");
		expect(back.searchParams.get("state")).toBe("browser-4");
		expect(back.searchParams.get("code")).toBeNull();
		await page.context().close();
	});

	test("an unregistered redirect URI is refused on the page itself", async () => {
		const page = await newPage();
		const url = authorizeUrl("browser-5", pkce().challenge).replace(
			encodeURIComponent(redirectUri),
			encodeURIComponent("https://evil.example/cb"),
		);
		const response = await page.goto(url);

		expect(response?.status()).toBe(400);
		expect(await page.locator("#message").textContent()).toContain("redirect_uri");
		expect(page.url()).toContain(node.url);
		await page.screenshot({ path: path.join(ARTIFACTS, "oauth-bad-redirect.png") });
		await page.context().close();
	});
});
