/**
 * The OAuth part of `/openapi.json`, generated from the endpoint table (oauth-endpoints.ts).
 * These endpoints speak RFC 6749, not the `/v1` envelope: form bodies in, bare JSON out, and
 * errors as `{error, error_description}`.
 */
import type { JsonSchema } from "../../models/openapi";
import {
	OAUTH_ENDPOINTS,
	OAUTH_ERROR_SCHEMA,
	type OAuthAnswer,
	type OAuthEndpoint,
	TOKEN_SCHEMA,
} from "./oauth-endpoints";

const json = (schema: JsonSchema) => ({ "application/json": { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Which RFC 6749 errors each kind of endpoint may answer, by status. */
const ERRORS: Record<string, string> = {
	"400": "invalid_request, invalid_grant, unsupported_grant_type, invalid_scope …",
	"401": "invalid_client: client authentication failed",
	"429": "temporarily_unavailable: over the rate limit",
	"500": "server_error",
	"503": "temporarily_unavailable",
};

function successOf(answer: OAuthAnswer): Record<string, unknown> {
	switch (answer) {
		case "token":
			return { "200": { description: "A token pair", content: json(ref("OAuthToken")) } };
		case "empty":
			return {
				"200": { description: "Revoked, or unknown", content: json({ type: "object" }) },
			};
		case "metadata":
		case "jwks":
			return { "200": { description: "The document", content: json({ type: "object" }) } };
		case "authorize":
			return {
				"200": {
					description: "The sign-in or consent page",
					content: { "text/html": { schema: { type: "string" } } },
				},
				"302": { description: "Back to the client's redirect URI with `code` or `error`" },
				"303": { description: "After the form: back to the client's redirect URI" },
			};
	}
}

function fieldsSchema(endpoint: OAuthEndpoint): JsonSchema {
	return {
		type: "object",
		properties: endpoint.fields ?? {},
		...(endpoint.required ? { required: endpoint.required } : {}),
	};
}

/** `oauth.token` → `oauthToken`; the DELETE of a path gets its own id (`…Delete`). */
function operationIdOf(endpoint: OAuthEndpoint): string {
	const id = endpoint.action.replace(/\.(\w)/, (_, c: string) => c.toUpperCase());

	return endpoint.method === "DELETE" ? `${id}Delete` : id;
}

function operation(endpoint: OAuthEndpoint): Record<string, unknown> {
	const hasForm = endpoint.fields && endpoint.method !== "GET";
	const query = endpoint.method === "GET" ? Object.entries(endpoint.fields ?? {}) : [];
	const isDiscovery = endpoint.base === "/.well-known";

	return {
		operationId: operationIdOf(endpoint),
		summary: endpoint.summary,
		tags: ["oauth"],
		// The token endpoints take client credentials by Basic or in the form; authorize takes
		// the signed-in user's bearer token or the page's cookie; discovery is public.
		security:
			isDiscovery || endpoint.answer === "authorize"
				? [{}, { bearerAuth: [] }]
				: [{}, { clientBasic: [] }],
		parameters: query.map(([name, schema]) => ({
			name,
			in: "query",
			required: endpoint.required?.includes(name) ?? false,
			schema,
		})),
		...(hasForm
			? {
					requestBody: {
						required: true,
						content: {
							"application/x-www-form-urlencoded": { schema: fieldsSchema(endpoint) },
						},
					},
				}
			: {}),
		responses: {
			...successOf(endpoint.answer),
			...(isDiscovery
				? {}
				: Object.fromEntries(
						Object.entries(ERRORS).map(([status, description]) => [
							status,
							{ description, content: json(ref("OAuthError")) },
						]),
					)),
		},
	};
}

/**
 * The OAuth paths, their schemas and the client's HTTP Basic scheme, to merge into the document.
 */
export function oauthOpenApi(): {
	paths: Record<string, Record<string, unknown>>;
	schemas: Record<string, JsonSchema>;
	securitySchemes: Record<string, unknown>;
} {
	const paths: Record<string, Record<string, unknown>> = {};
	for (const endpoint of OAUTH_ENDPOINTS) {
		const path = `${endpoint.base}/${endpoint.path}`;
		paths[path] ??= {};
		paths[path][endpoint.method.toLowerCase()] = operation(endpoint);
	}

	return {
		paths,
		schemas: { OAuthError: OAUTH_ERROR_SCHEMA, OAuthToken: TOKEN_SCHEMA },
		securitySchemes: {
			clientBasic: {
				type: "http",
				scheme: "basic",
				description:
					"client_secret_basic: the OAuth client's id and secret (RFC 6749 §2.3.1)",
			},
		},
	};
}
