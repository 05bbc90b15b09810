/**
 * Access tokens are verified with a pinned algorithm, issuer, audience, key id and expiry: each
 * hostile token below is 401. The gateway signs with a key the test gives it (JWT_PRIVATE_KEY),
 * so the test can forge tokens that are wrong in exactly one way.
 */
import crypto from "node:crypto";
import jwt from "jsonwebtoken";
import { OWNER_PASSWORD, signIn, type SignedIn } from "../helpers/auth";
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
let session: SignedIn;
let issuer: string;
const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
let kid: string;

function b64(value: unknown): string {
	return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	const now = Math.floor(Date.now() / 1000);

	const all: Record<string, unknown> = {
		sub: owner.user_id,
		org_id: owner.organization_id,
		scope: "*",
		sid: session.session_id,
		iss: issuer,
		aud: `${issuer}/v1`,
		iat: now,
		exp: now + 600,
		...overrides,
	};

	return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}

function signed(
	payload: Record<string, unknown>,
	header: Record<string, unknown> = {},
	key: crypto.KeyObject = privateKey,
): string {
	return jwt.sign(payload, key, {
		algorithm: "ES256",
		header: { alg: "ES256", typ: "at+jwt", kid, ...header },
	});
}

function status(token: string): Promise<number> {
	return client(node.url, token)
		.get(`/v1/organizations/${owner.organization_id}/customers`)
		.then((r) => r.status);
}

beforeAll(async () => {
	const dataDir = tempDir();
	const port = await freePort();
	issuer = `http://127.0.0.1:${port}`;
	const env = {
		DATA_DIR: dataDir,
		PORT: String(port),
		JWT_ISSUER: issuer,
		JWT_PRIVATE_KEY: privatePem,
	};
	owner = bootstrap(env);
	node = await startNode(env);
	session = await signIn(
		node.url,
		(
			await client(node.url, owner.api_key).get(
				`/v1/organizations/${owner.organization_id}/members`,
			)
		).body.data[0].email,
		OWNER_PASSWORD,
	);
	const jwks = (await (await fetch(`${node.url}/.well-known/jwks.json`)).json()) as {
		keys: Record<string, string>[];
	};
	kid = jwks.keys[0].kid;
});

afterAll(async () => {
	await node?.stop();
});

describe("access tokens", () => {
	test("the key set publishes the configured key's public half only, with its thumbprint as kid", async () => {
		const jwks = (await (await fetch(`${node.url}/.well-known/jwks.json`)).json()) as {
			keys: Record<string, string>[];
		};
		const expected = crypto.createPublicKey(privateKey).export({ format: "jwk" });

		expect(jwks.keys).toHaveLength(1);
		expect(jwks.keys[0]).toMatchObject({
			kty: "EC",
			crv: "P-256",
			x: expected.x,
			y: expected.y,
			alg: "ES256",
			use: "sig",
		});
		expect(jwks.keys[0].d).toBeUndefined();
		expect(jwt.decode(session.access_token, { complete: true })?.header).toMatchObject({
			alg: "ES256",
			kid,
			typ: "at+jwt",
		});
	});

	test("a token of the gateway's sign-in carries iss, aud, sub, org_id, scope and a one-hour exp", async () => {
		const payload = jwt.decode(session.access_token) as Record<string, unknown>;

		expect(payload).toMatchObject({
			iss: issuer,
			aud: `${issuer}/v1`,
			sub: owner.user_id,
			org_id: owner.organization_id,
			scope: "*",
		});
		expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
		expect(await status(session.access_token)).toBe(200);
	});

	test("a token forged with the same claims and the right key is accepted (the control case)", async () => {
		expect(await status(signed(claims()))).toBe(200);
	});

	test.each([
		["alg none", () => `${b64({ alg: "none", typ: "at+jwt", kid })}.${b64(claims())}.`],
		[
			"HS256 keyed with the public key (algorithm confusion)",
			() => {
				const pem = crypto
					.createPublicKey(privateKey)
					.export({ type: "spki", format: "pem" }) as string;
				const head = `${b64({ alg: "HS256", typ: "at+jwt", kid })}.${b64(claims())}`;

				return `${head}.${crypto.createHmac("sha256", pem).update(head).digest("base64url")}`;
			},
		],
		["no exp", () => signed(claims({ exp: undefined }))],
		["an exp in the past", () => signed(claims({ exp: Math.floor(Date.now() / 1000) - 120 }))],
		["another audience", () => signed(claims({ aud: "https://elsewhere.example/v1" }))],
		["another issuer", () => signed(claims({ iss: "https://evil.example" }))],
		["an unknown kid", () => signed(claims(), { kid: "not-our-key" })],
		["no kid", () => signed(claims(), { kid: undefined })],
		[
			"another key under our kid",
			() =>
				signed(
					claims(),
					{},
					crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
				),
		],
		[
			"a payload changed after signing",
			() => {
				const [h, , s] = signed(claims({ scope: "customers:read" })).split(".");

				return `${h}.${b64(claims({ scope: "*" }))}.${s}`;
			},
		],
		["another token type (typ JWT)", () => signed(claims(), { typ: "JWT" })],
		["a session that does not exist", () => signed(claims({ sid: crypto.randomUUID() }))],
		["no sid", () => signed(claims({ sid: undefined }))],
		["garbage", () => "not.a.jwt"],
	])("%s is 401", async (_name, make) => {
		const res = await client(node.url, make()).get(
			`/v1/organizations/${owner.organization_id}/customers`,
		);

		expect(res.status).toBe(401);
		expect(res.body.error.code).toBe("UNAUTHORIZED");
		expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
	});

	test("a token of a signed-out session is 401 at once", async () => {
		const email = session.user.email;
		const other = await signIn(node.url, email, OWNER_PASSWORD);
		expect(await status(other.access_token)).toBe(200);

		await client(node.url, other.access_token).delete(`/v1/auth/sessions/${other.session_id}`);

		expect(await status(other.access_token)).toBe(401);
		expect(await status(signed(claims({ sid: other.session_id })))).toBe(401);
	});
});
