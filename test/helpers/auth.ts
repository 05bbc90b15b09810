/**
 * Signing in and OAuth helpers for the identity suites: password sessions, members with a
 * given role, form posts, PKCE pairs. Everything goes through the public HTTP API.
 */
import crypto from "node:crypto";
import { client, type Client, type Owner } from "./gateway";

export const OWNER_PASSWORD = "correct horse battery staple";

export interface SignedIn {
	access_token: string;
	refresh_token: string;
	session_id: string;
	user: { id: string; email: string; role: string; organization_id: string };
}

export function randomEmail(tag = "user"): string {
	return `${tag}-${crypto.randomBytes(6).toString("hex")}@example.test`;
}

export async function signIn(
	url: string,
	email: string,
	password: string,
	extra: Record<string, unknown> = {},
): Promise<SignedIn> {
	const res = await client(url).post("/v1/auth/sessions", { email, password, ...extra });
	if (res.status !== 201)
		throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);

	return res.body.data as SignedIn;
}

/** Adds a member with `role` and a password to the owner's organization, and signs them in. */
export async function memberWithRole(
	url: string,
	owner: Owner,
	role: string,
): Promise<SignedIn & { api: Client }> {
	const email = randomEmail(role);
	const password = `pw-${crypto.randomBytes(12).toString("hex")}`;
	const res = await client(url, owner.api_key).post(
		`/v1/organizations/${owner.organization_id}/members`,
		{
			email,
			password,
			role,
		},
	);
	if (res.status !== 201)
		throw new Error(`member create failed: ${res.status} ${JSON.stringify(res.body)}`);
	const session = await signIn(url, email, password);

	return { ...session, api: client(url, session.access_token) };
}

export interface FormReply {
	status: number;
	headers: Headers;
	text: string;
	// `any` on purpose: RFC 6749 bodies are checked field by field.
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	json?: any;
}

/** A request with an `application/x-www-form-urlencoded` body, redirects not followed. */
export async function form(
	url: string,
	fields: Record<string, string>,
	headers: Record<string, string> = {},
	method = "POST",
): Promise<FormReply> {
	const res = await fetch(url, {
		method,
		redirect: "manual",
		headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
		body: new URLSearchParams(fields).toString(),
	});
	const text = await res.text();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}

	return { status: res.status, headers: res.headers, text, json };
}

export function pkce(): { verifier: string; challenge: string } {
	const verifier = crypto.randomBytes(32).toString("base64url");
	const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");

	return { verifier, challenge };
}

/** The JSON state embedded in the authorization page (`any`: checked field by field). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function pageState(html: string): any {
	const match = /<script id="authorize-state" type="application\/json">([\s\S]*?)<\/script>/.exec(
		html,
	);
	if (!match) throw new Error("no page state in the answer");

	return JSON.parse(match[1]);
}

/** Every place one of `secrets` appears in `logs` (for the no-secrets-in-logs checks). */
export function leaks(logs: string, secrets: string[]): string[] {
	return secrets
		.filter((s) => s && logs.includes(s))
		.map((s) => `${s.slice(0, 8)}… found in logs`);
}
