/**
 * Password sessions: sign-in, the current session, devices, sign-out that takes effect at once,
 * throttled failures, events, and the generated signing key kept private in DATA_DIR.
 */
import fs from "node:fs";
import path from "node:path";
import {
	memberWithRole,
	OWNER_PASSWORD,
	randomEmail,
	signIn,
	type SignedIn,
} from "../helpers/auth";
import {
	bootstrap,
	client,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";

let dataDir: string;
let node: GatewayNode;
let owner: Owner;
let ownerEmail: string;

beforeAll(async () => {
	dataDir = tempDir();
	ownerEmail = randomEmail("owner");
	owner = bootstrap({ DATA_DIR: dataDir }, "Sessions Org", ownerEmail);
	node = await startNode({ DATA_DIR: dataDir });
});

afterAll(async () => {
	await node?.stop();
});

function customers(token: string) {
	return client(node.url, token).get(`/v1/organizations/${owner.organization_id}/customers`);
}

describe("signing in", () => {
	test("POST /v1/auth/sessions answers the pinned shape with 201 and a Location", async () => {
		const res = await client(node.url).post("/v1/auth/sessions", {
			email: ownerEmail,
			password: OWNER_PASSWORD,
			device_name: "Laptop",
		});

		expect(res.status).toBe(201);
		expect(res.body.data).toMatchObject({
			token_type: "Bearer",
			expires_in: 3600,
			session_id: expect.any(String),
			access_token: expect.stringMatching(/^ey/),
			refresh_token: expect.stringMatching(/^mrt_/),
			user: {
				id: owner.user_id,
				email: ownerEmail,
				organization_id: owner.organization_id,
				role: "owner",
			},
		});
		expect(res.headers.get("location")).toBe(`/v1/auth/sessions/${res.body.data.session_id}`);
		expect(res.headers.get("cache-control")).toBe("no-store");
		expect((await customers(res.body.data.access_token)).status).toBe(200);
	});

	test("a wrong password and an unknown email get the same 401", async () => {
		const wrong = await client(node.url).post("/v1/auth/sessions", {
			email: ownerEmail,
			password: "not the password",
		});
		const unknown = await client(node.url).post("/v1/auth/sessions", {
			email: randomEmail(),
			password: "whatever it is",
		});

		expect(wrong.status).toBe(401);
		expect(unknown.status).toBe(401);
		expect(wrong.body.error.message).toBe(unknown.body.error.message);
	});

	test("a bad body is 400 and never echoes the password", async () => {
		const res = await client(node.url).post("/v1/auth/sessions", {
			email: "nope",
			password: 12345,
			extra: true,
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
			"email",
			"extra",
			"password",
		]);
		expect(JSON.stringify(res.body)).not.toContain("12345");
	});

	test("after 10 failures the account is throttled with 429 and Retry-After, even for the right password", async () => {
		const member = await memberWithRole(node.url, owner, "member");
		for (let i = 0; i < 10; i++) {
			const res = await client(node.url).post("/v1/auth/sessions", {
				email: member.user.email,
				password: `wrong-${i}`,
			});
			expect(res.status).toBe(401);
		}
		const blocked = await client(node.url).post("/v1/auth/sessions", {
			email: member.user.email,
			password: "whatever",
		});

		expect(blocked.status).toBe(429);
		expect(blocked.body.error.code).toBe("RATE_LIMITED");
		expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
		expect(blocked.body.error.details).toContainEqual(
			expect.objectContaining({
				field: "retry_after",
				value: Number(blocked.headers.get("retry-after")),
			}),
		);
		// Another account from the same address is not blocked by this one's failures.
		expect(
			(
				await client(node.url).post("/v1/auth/sessions", {
					email: ownerEmail,
					password: OWNER_PASSWORD,
				})
			).status,
		).toBe(201);
	});

	test("an invited member cannot sign in until the invitation is accepted with a password", async () => {
		const email = randomEmail("invited");
		const owners = client(node.url, owner.api_key);
		const invited = await owners.post(`/v1/organizations/${owner.organization_id}/members`, {
			email,
			role: "member",
		});
		const token = invited.body.data.invitation_token;

		expect(invited.status).toBe(201);
		expect(invited.body.data).toMatchObject({ email, role: "member", status: "invited" });
		expect(token).toMatch(/^minv_/);
		const early = await client(node.url).post("/v1/auth/sessions", {
			email,
			password: "anything at all",
		});
		expect(early.status).toBe(401);

		const password = "my own new password";
		const wrong = await client(node.url).post("/v1/auth/invitations/accept", {
			token: "minv_nope",
			password,
		});
		const accepted = await client(node.url).post("/v1/auth/invitations/accept", {
			token,
			password,
		});
		const again = await client(node.url).post("/v1/auth/invitations/accept", {
			token,
			password,
		});

		expect(wrong.status).toBe(404);
		expect(accepted.status).toBe(200);
		expect(accepted.body.data).toMatchObject({ email, status: "active" });
		expect(JSON.stringify(accepted.body)).not.toContain(token);
		expect(again.status).toBe(404);
		const session = await signIn(node.url, email, password);
		expect(session.user.role).toBe("member");
	});
});

describe("sessions", () => {
	let session: SignedIn;

	beforeAll(async () => {
		session = await signIn(node.url, ownerEmail, OWNER_PASSWORD, { device_name: "Phone" });
	});

	test("GET …/sessions/current describes the session without any secret", async () => {
		const res = await client(node.url, session.access_token).get("/v1/auth/sessions/current");

		expect(res.status).toBe(200);
		expect(res.body.data).toMatchObject({
			id: session.session_id,
			kind: "password",
			status: "active",
			device_name: "Phone",
			user_id: owner.user_id,
		});
		expect(JSON.stringify(res.body)).not.toMatch(/refresh_hash|mrt_|code_hash/);
	});

	test("an API key has no session: …/current is 404", async () => {
		expect(
			(await client(node.url, owner.api_key).get("/v1/auth/sessions/current")).status,
		).toBe(404);
	});

	test("GET …/sessions/{user_id}/devices lists the user's active sign-ins and marks the current one", async () => {
		const res = await client(node.url, session.access_token).get(
			`/v1/auth/sessions/${owner.user_id}/devices`,
		);
		const mine = res.body.data.find((d: { id: string }) => d.id === session.session_id);

		expect(res.status).toBe(200);
		expect(mine).toMatchObject({
			device_name: "Phone",
			current: true,
			ip_address: expect.any(String),
			user_agent: expect.any(String),
		});
		expect(res.body.data.every((d: { status: string }) => d.status === "active")).toBe(true);
	});

	test("a member sees their own devices but not another user's", async () => {
		const member = await memberWithRole(node.url, owner, "read_only");
		const own = await member.api.get(`/v1/auth/sessions/${member.user.id}/devices`);
		const other = await member.api.get(`/v1/auth/sessions/${owner.user_id}/devices`);

		expect(own.status).toBe(200);
		expect(own.body.data).toHaveLength(1);
		expect(other.status).toBe(404);
	});

	test("signing out ends the session's access and refresh tokens at once", async () => {
		const other = await signIn(node.url, ownerEmail, OWNER_PASSWORD);
		const res = await client(node.url, other.access_token).delete(
			`/v1/auth/sessions/${other.session_id}`,
		);

		expect(res.status).toBe(200);
		expect(res.body.data).toEqual({ id: other.session_id, deleted: true });
		expect((await customers(other.access_token)).status).toBe(401);
		const refresh = await fetch(`${node.url}/v1/auth/oauth/token`, {
			method: "POST",
			headers: { "content-type": "application/x-www-form-urlencoded" },
			body: new URLSearchParams({
				grant_type: "refresh_token",
				refresh_token: other.refresh_token,
			}).toString(),
		});
		expect(refresh.status).toBe(400);
		expect(await refresh.json()).toMatchObject({ error: "invalid_grant" });
	});

	test("an admin can end another member's session; a member cannot", async () => {
		const admin = await memberWithRole(node.url, owner, "admin");
		const member = await memberWithRole(node.url, owner, "member");
		const victim = await signIn(node.url, ownerEmail, OWNER_PASSWORD);

		expect((await member.api.delete(`/v1/auth/sessions/${victim.session_id}`)).status).toBe(
			404,
		);
		expect((await customers(victim.access_token)).status).toBe(200);
		expect((await admin.api.delete(`/v1/auth/sessions/${victim.session_id}`)).status).toBe(200);
		expect((await customers(victim.access_token)).status).toBe(401);
	});

	test("sign-in and sign-out are recorded as user.login and user.logout events without tokens", async () => {
		const s = await signIn(node.url, ownerEmail, OWNER_PASSWORD, { device_name: "Audit" });
		await client(node.url, s.access_token).delete("/v1/auth/sessions/current");

		const res = await client(node.url, owner.api_key).get(
			`/v1/organizations/${owner.organization_id}/events?limit=100&type_in=user.login,user.logout`,
		);
		const mine = res.body.data.filter(
			(e: { data: { object: { id: string } } }) => e.data.object.id === s.session_id,
		);

		expect(mine.map((e: { type: string }) => e.type).sort()).toEqual([
			"user.login",
			"user.logout",
		]);
		expect(mine[0].actor).toEqual({ type: "user", id: owner.user_id });
		expect(JSON.stringify(mine)).not.toContain(s.access_token);
		expect(JSON.stringify(mine)).not.toContain(s.refresh_token);
	});
});

describe("the signing key", () => {
	test("is generated once into DATA_DIR with mode 0600", () => {
		const stat = fs.statSync(path.join(dataDir, "jwt-signing-key.pem"));

		expect(stat.mode & 0o777).toBe(0o600);
	});
});
