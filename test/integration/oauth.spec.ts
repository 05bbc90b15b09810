/**
 * The OAuth 2.0 authorization server driven by a certified client library (openid-client) over
 * real HTTP: discovery, authorization code with PKCE S256, refresh rotation, refresh reuse
 * detection, revocation, client credentials, and the errors RFC 6749 prescribes. The node logs
 * at debug level, and no secret handed out here may appear in its logs.
 */
import { Issuer, type BaseClient, errors, generators, type TokenSet } from "openid-client";
import {
	form,
	leaks,
	OWNER_PASSWORD,
	pageState,
	pkce,
	signIn,
	type SignedIn,
} from "../helpers/auth";
import {
	bootstrap,
	client,
	freePort,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";

const REDIRECT = "http://127.0.0.1:9/callback";
let node: GatewayNode;
let owner: Owner;
let user: SignedIn;
let issuerUrl: string;
let oauthClient: BaseClient;
let publicClientId: string;
const secrets: string[] = [OWNER_PASSWORD];

// `any` on purpose: a client's fields are checked one by one.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function createClient(body: Record<string, unknown>): Promise<Record<string, any>> {
	const res = await client(node.url, owner.api_key).post(
		`/v1/organizations/${owner.organization_id}/oauth-clients`,
		body,
	);
	if (res.status !== 201) throw new Error(`client create failed: ${JSON.stringify(res.body)}`);
	if (res.body.data.client_secret) secrets.push(res.body.data.client_secret);

	return res.body.data;
}

/** The browser leg with the user's bearer token: the consent page, then its approval. */
async function authorize(url: string, approve = true): Promise<string> {
	const headers = { authorization: `Bearer ${user.access_token}` };
	const first = await fetch(url, { headers, redirect: "manual" });
	if (first.status === 302) return first.headers.get("location") as string;
	expect(first.status).toBe(200);
	const state = pageState(await first.text());
	expect(state.mode).toBe("consent");
	const answer = await form(
		`${node.url}/v1/auth/oauth/authorize`,
		{ ...state.params, approve: String(approve) },
		headers,
	);
	expect(answer.status).toBe(303);

	return answer.headers.get("location") as string;
}

async function codeFlow(scope = "customers:read customers:write"): Promise<TokenSet> {
	const verifier = generators.codeVerifier();
	const state = generators.state();
	const url = oauthClient.authorizationUrl({
		scope,
		state,
		code_challenge: generators.codeChallenge(verifier),
		code_challenge_method: "S256",
	});
	const location = await authorize(url);
	const params = oauthClient.callbackParams(location);
	const tokens = await oauthClient.oauthCallback(REDIRECT, params, {
		code_verifier: verifier,
		state,
	});
	secrets.push(tokens.access_token as string, tokens.refresh_token as string);

	return tokens;
}

/** A code of the browser leg, and the token request that would exchange it. */
async function freshCode(): Promise<{ exchange: Record<string, string> }> {
	const { verifier, challenge } = pkce();
	const url = oauthClient.authorizationUrl({
		scope: "customers:read",
		state: "x",
		code_challenge: challenge,
		code_challenge_method: "S256",
	});
	const code = new URL(await authorize(url)).searchParams.get("code") as string;

	return {
		exchange: {
			grant_type: "authorization_code",
			code,
			redirect_uri: REDIRECT,
			client_id: publicClientId,
			code_verifier: verifier,
		},
	};
}

function customers(token: string) {
	return client(node.url, token).get(`/v1/organizations/${owner.organization_id}/customers`);
}

beforeAll(async () => {
	const dataDir = tempDir();
	const port = await freePort();
	issuerUrl = `http://127.0.0.1:${port}`;
	const env = { DATA_DIR: dataDir, PORT: String(port), JWT_ISSUER: issuerUrl };
	owner = bootstrap(env);
	secrets.push(owner.api_key);
	node = await startNode({ ...env, LOG_LEVEL: "debug" });
	const owners = await client(node.url, owner.api_key).get(
		`/v1/organizations/${owner.organization_id}/members`,
	);
	user = await signIn(node.url, owners.body.data[0].email, OWNER_PASSWORD);
	secrets.push(user.access_token, user.refresh_token);

	const registered = await createClient({
		name: "Field app",
		type: "public",
		redirect_uris: [REDIRECT],
		scopes: ["customers:read", "customers:write", "orders:read"],
	});
	publicClientId = registered.id;
	const issuer = await Issuer.discover(`${issuerUrl}/.well-known/oauth-authorization-server`);
	oauthClient = new issuer.Client({
		client_id: registered.id,
		token_endpoint_auth_method: "none",
		redirect_uris: [REDIRECT],
		response_types: ["code"],
	});
});

afterAll(async () => {
	await node?.stop();
});

describe("discovery", () => {
	test("the metadata document names the endpoints, S256 only, and the issuer", async () => {
		const res = await fetch(`${issuerUrl}/.well-known/oauth-authorization-server`);
		const meta = (await res.json()) as Record<string, unknown>;

		expect(res.status).toBe(200);
		expect(meta).toMatchObject({
			issuer: issuerUrl,
			token_endpoint: `${issuerUrl}/v1/auth/oauth/token`,
			revocation_endpoint: `${issuerUrl}/v1/auth/oauth/revoke`,
			jwks_uri: `${issuerUrl}/.well-known/jwks.json`,
			code_challenge_methods_supported: ["S256"],
			response_types_supported: ["code"],
		});
	});
});

describe("authorization code with PKCE", () => {
	test("openid-client completes authorize → code → token, and the token works on the API", async () => {
		const tokens = await codeFlow();

		expect(tokens.token_type?.toLowerCase()).toBe("bearer");
		expect(tokens.expires_in).toBeGreaterThan(3500);
		expect(tokens.scope).toBe("customers:read customers:write");
		expect((await customers(tokens.access_token as string)).status).toBe(200);
		const orders = await client(node.url, tokens.access_token).get(
			`/v1/organizations/${owner.organization_id}/members`,
		);
		expect(orders.status).toBe(403);
	});

	test("an already approved client is redirected at once, with state and iss", async () => {
		await codeFlow("customers:read");
		const url = oauthClient.authorizationUrl({
			scope: "customers:read",
			state: "s-123",
			code_challenge: pkce().challenge,
			code_challenge_method: "S256",
		});
		const res = await fetch(url, {
			headers: { authorization: `Bearer ${user.access_token}` },
			redirect: "manual",
		});
		const location = new URL(res.headers.get("location") as string);

		expect(res.status).toBe(302);
		expect(location.origin + location.pathname).toBe(REDIRECT);
		expect(location.searchParams.get("state")).toBe("s-123");
		expect(location.searchParams.get("iss")).toBe(issuerUrl);
		expect(location.searchParams.get("code")).toMatch(/^mac_/);
	});

	test("refresh rotates the refresh token; reusing the old one revokes the whole family", async () => {
		const first = await codeFlow();
		const second = await oauthClient.refresh(first.refresh_token as string);
		secrets.push(second.access_token as string, second.refresh_token as string);

		expect(second.refresh_token).not.toBe(first.refresh_token);
		expect((await customers(second.access_token as string)).status).toBe(200);

		const reuse = oauthClient.refresh(first.refresh_token as string);
		await expect(reuse).rejects.toBeInstanceOf(errors.OPError);
		await expect(reuse).rejects.toMatchObject({ error: "invalid_grant" });
		await expect(oauthClient.refresh(second.refresh_token as string)).rejects.toMatchObject({
			error: "invalid_grant",
		});
		expect((await customers(second.access_token as string)).status).toBe(401);
		expect((await customers(first.access_token as string)).status).toBe(401);
	});

	test("revocation (RFC 7009) of a refresh token ends its access tokens too", async () => {
		const tokens = await codeFlow();
		await oauthClient.revoke(tokens.refresh_token as string, "refresh_token");

		expect((await customers(tokens.access_token as string)).status).toBe(401);
		await expect(oauthClient.refresh(tokens.refresh_token as string)).rejects.toMatchObject({
			error: "invalid_grant",
		});
	});

	test("the design document's DELETE …/oauth/revoke revokes an access token's grant", async () => {
		const tokens = await codeFlow();
		const res = await form(
			`${node.url}/v1/auth/oauth/revoke`,
			{ token: tokens.access_token as string, client_id: publicClientId },
			{},
			"DELETE",
		);

		expect(res.status).toBe(200);
		expect((await customers(tokens.access_token as string)).status).toBe(401);
	});

	test("a code is single use: its second use fails and revokes what the first issued", async () => {
		const { exchange } = await freshCode();
		const code = exchange.code;

		const first = await form(`${node.url}/v1/auth/oauth/token`, exchange);
		secrets.push(code, first.json.access_token, first.json.refresh_token);
		const second = await form(`${node.url}/v1/auth/oauth/token`, exchange);

		expect(first.status).toBe(200);
		expect(first.headers.get("cache-control")).toBe("no-store");
		expect(second.status).toBe(400);
		expect(second.json).toMatchObject({ error: "invalid_grant" });
		expect((await customers(first.json.access_token)).status).toBe(401);
	});

	test("a wrong code_verifier is invalid_grant and spends the code", async () => {
		const { exchange } = await freshCode();
		const { code_verifier: verifier, ...base } = exchange;

		const wrong = await form(`${node.url}/v1/auth/oauth/token`, {
			...base,
			code_verifier: pkce().verifier,
		});
		const right = await form(`${node.url}/v1/auth/oauth/token`, {
			...base,
			code_verifier: verifier,
		});

		expect(wrong.json).toMatchObject({ error: "invalid_grant" });
		expect(right.json).toMatchObject({ error: "invalid_grant" });
	});

	test("denying consent sends access_denied back with the state", async () => {
		const url = oauthClient.authorizationUrl({
			scope: "orders:read",
			state: "deny-1",
			code_challenge: pkce().challenge,
			code_challenge_method: "S256",
		});
		const location = new URL(await authorize(url, false));

		expect(location.searchParams.get("error")).toBe("access_denied");
		expect(location.searchParams.get("state")).toBe("deny-1");
		expect(location.searchParams.get("code")).toBeNull();
	});
});

describe("authorization request errors", () => {
	const authorizeUrl = (params: Record<string, string>) =>
		`${node.url}/v1/auth/oauth/authorize?${new URLSearchParams(params)}`;
	const valid = () => ({
		response_type: "code",
		client_id: publicClientId,
		redirect_uri: REDIRECT,
		state: "st",
		code_challenge: pkce().challenge,
		code_challenge_method: "S256",
	});

	test.each([
		["no code_challenge", { code_challenge: "" }, "invalid_request"],
		["the plain PKCE method", { code_challenge_method: "plain" }, "invalid_request"],
		[
			"response_type token (implicit grant)",
			{ response_type: "token" },
			"unsupported_response_type",
		],
		["a scope the client may not have", { scope: "webhooks:write" }, "invalid_scope"],
	])("%s goes back to the client as %s with the state", async (_name, change, error) => {
		const res = await fetch(authorizeUrl({ ...valid(), ...change }), { redirect: "manual" });
		const location = new URL(res.headers.get("location") as string);

		expect(res.status).toBe(302);
		expect(location.searchParams.get("error")).toBe(error);
		expect(location.searchParams.get("state")).toBe("st");
	});

	test.each([
		["an unregistered redirect_uri", { redirect_uri: "http://127.0.0.1:9/other" }],
		["a redirect_uri differing by a trailing slash", { redirect_uri: `${REDIRECT}/` }],
		["an unknown client", { client_id: "00000000-0000-4000-8000-000000000000" }],
	])("%s is shown on the page, never redirected to", async (_name, change) => {
		const res = await fetch(authorizeUrl({ ...valid(), ...change }), { redirect: "manual" });

		expect(res.status).toBe(400);
		expect(res.headers.get("location")).toBeNull();
		expect(pageState(await res.text()).mode).toBe("error");
	});

	test("a consent posted with the page's cookie but without its CSRF token is refused", async () => {
		const params = { ...valid(), scope: "orders:read" };
		const login = await form(`${node.url}/v1/auth/oauth/authorize`, {
			...params,
			email: user.user.email,
			password: OWNER_PASSWORD,
		});
		const cookie = (login.headers.get("set-cookie") as string).split(";")[0];
		const state = pageState(login.text);
		expect(login.status).toBe(200);
		expect(login.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Lax/);
		expect(state.mode).toBe("consent");

		const forged = await form(
			`${node.url}/v1/auth/oauth/authorize`,
			{ ...state.params, approve: "true" },
			{ cookie },
		);
		const genuine = await form(
			`${node.url}/v1/auth/oauth/authorize`,
			{ ...state.params, approve: "true", csrf: state.csrf },
			{ cookie },
		);

		expect(forged.status).toBe(403);
		expect(forged.headers.get("location")).toBeNull();
		expect(genuine.status).toBe(303);
		expect(new URL(genuine.headers.get("location") as string).searchParams.get("code")).toMatch(
			/^mac_/,
		);
	});

	test("the page cannot be framed and is not cached", async () => {
		const res = await fetch(authorizeUrl(valid()), { redirect: "manual" });

		expect(res.status).toBe(200);
		expect(res.headers.get("x-frame-options")).toBe("DENY");
		expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
		expect(res.headers.get("cache-control")).toBe("no-store");
		expect(pageState(await res.text()).mode).toBe("login");
	});
});

describe("token endpoint", () => {
	test("client credentials: a confidential client gets an access token of its own scopes and no refresh token", async () => {
		const registered = await createClient({
			name: "Sync job",
			type: "confidential",
			grant_types: ["client_credentials"],
			scopes: ["customers:read"],
		});
		const issuer = await Issuer.discover(`${issuerUrl}/.well-known/oauth-authorization-server`);
		const confidential = new issuer.Client({
			client_id: registered.id,
			client_secret: registered.client_secret,
		});

		const tokens = await confidential.grant({ grant_type: "client_credentials" });
		secrets.push(tokens.access_token as string);

		expect(tokens.refresh_token).toBeUndefined();
		expect(tokens.scope).toBe("customers:read");
		expect((await customers(tokens.access_token as string)).status).toBe(200);
		const write = await client(node.url, tokens.access_token).post(
			`/v1/organizations/${owner.organization_id}/customers`,
			{ name: "X" },
		);
		expect(write.status).toBe(403);
		const events = await client(node.url, owner.api_key).get(
			`/v1/organizations/${owner.organization_id}/customers`,
		);
		expect(events.status).toBe(200);
	});

	test("a wrong client secret is 401 invalid_client with WWW-Authenticate", async () => {
		const registered = await createClient({
			name: "Backend",
			type: "confidential",
			grant_types: ["client_credentials"],
			scopes: ["customers:read"],
		});
		const basic = Buffer.from(`${registered.id}:mcs_wrong`).toString("base64");
		const res = await form(
			`${node.url}/v1/auth/oauth/token`,
			{ grant_type: "client_credentials" },
			{ authorization: `Basic ${basic}` },
		);

		expect(res.status).toBe(401);
		expect(res.json).toMatchObject({ error: "invalid_client" });
		expect(res.headers.get("www-authenticate")).toMatch(/^Basic/);
	});

	test("a JSON body is refused in RFC 6749 form", async () => {
		const res = await fetch(`${node.url}/v1/auth/oauth/token`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: "{}",
		});

		expect(res.status).toBe(400);
		expect(await res.json()).toEqual({
			error: "invalid_request",
			error_description: expect.any(String),
		});
	});

	test("an unknown grant type is unsupported_grant_type", async () => {
		const res = await form(`${node.url}/v1/auth/oauth/token`, {
			grant_type: "password",
			client_id: publicClientId,
		});

		expect(res.json).toMatchObject({ error: "unsupported_grant_type" });
	});

	test("a first-party sign-in refreshes through the design document's …/oauth/refresh", async () => {
		const session = await signIn(node.url, user.user.email, OWNER_PASSWORD);
		const res = await form(`${node.url}/v1/auth/oauth/refresh`, {
			refresh_token: session.refresh_token,
		});
		secrets.push(
			session.access_token,
			session.refresh_token,
			res.json.access_token,
			res.json.refresh_token,
		);

		expect(res.status).toBe(200);
		expect((await customers(res.json.access_token)).status).toBe(200);
	});
});

describe("logs", () => {
	test("no password, API key, client secret, code, access or refresh token appears in the debug log", () => {
		const logs = node.logs();

		expect(logs.length).toBeGreaterThan(1000);
		expect(leaks(logs, secrets)).toEqual([]);
	});
});
