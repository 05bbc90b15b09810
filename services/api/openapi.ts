/**
 * `/openapi.json`: the OpenAPI 3.1 document, generated from the route table and the entity
 * descriptions at start-up. Nothing here is maintained by hand beside them: a route or a field
 * added there appears here.
 */
import { ERROR_CODES } from "../../models/errors";
import { entityOfService, ENTITIES } from "../../models/index";
import {
	bodySchema,
	type JsonSchema,
	listParameters,
	resourceSchema,
	schemaName,
} from "../../models/openapi";
import { oauthOpenApi } from "./openapi-oauth";
import { ROUTES, type RestRoute } from "./routes";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const ERROR_RESPONSES: Record<string, string> = {
	"400": "VALIDATION_ERROR: bad field, unknown parameter, malformed JSON",
	"401": "UNAUTHORIZED: no credential, or an invalid, revoked or expired one",
	"403": "FORBIDDEN: the credential lacks the route's scope",
	"404": "NOT_FOUND: no such resource in the caller's organization",
	"409": "CONFLICT or INVALID_STATE_TRANSITION",
	"412": "PRECONDITION_FAILED: If-Match names an old version",
	"413": "PAYLOAD_TOO_LARGE",
	"415": "UNSUPPORTED_MEDIA_TYPE",
	"422": "IDEMPOTENCY_KEY_REUSED",
	"429": "RATE_LIMITED (see Retry-After)",
	"500": "INTERNAL_ERROR",
	"503": "SERVICE_UNAVAILABLE: retry later",
};

function sharedSchemas(): Record<string, JsonSchema> {
	return {
		Meta: {
			type: "object",
			properties: {
				timestamp: { type: "string", format: "date-time" },
				version: { type: "string" },
				request_id: { type: ["string", "null"] },
			},
			required: ["timestamp", "version", "request_id"],
		},
		Pagination: {
			type: "object",
			properties: {
				page: { type: ["integer", "null"] },
				limit: { type: "integer" },
				total: { type: "integer" },
				pages: { type: "integer" },
				has_next: { type: "boolean" },
				has_prev: { type: "boolean" },
				next_cursor: { type: ["string", "null"] },
				prev_cursor: { type: ["string", "null"] },
			},
			required: [
				"limit",
				"total",
				"pages",
				"has_next",
				"has_prev",
				"next_cursor",
				"prev_cursor",
			],
		},
		Error: {
			type: "object",
			properties: {
				success: { const: false },
				error: {
					type: "object",
					properties: {
						code: { type: "string", enum: Object.keys(ERROR_CODES) },
						message: { type: "string" },
						details: {
							type: "array",
							items: {
								type: "object",
								properties: {
									field: { type: "string" },
									message: { type: "string" },
									value: {},
								},
								required: ["field", "message"],
							},
						},
					},
					required: ["code", "message", "details"],
				},
				meta: ref("Meta"),
			},
			required: ["success", "error", "meta"],
		},
		Deleted: {
			type: "object",
			properties: { id: { type: "string" }, deleted: { const: true } },
			required: ["id", "deleted"],
		},
	};
}

function envelope(data: JsonSchema, list = false): JsonSchema {
	const properties: Record<string, unknown> = {
		success: { const: true },
		data: list ? { type: "array", items: data } : data,
		meta: ref("Meta"),
	};
	if (list) properties.pagination = ref("Pagination");

	return {
		type: "object",
		properties,
		required: ["success", "data", "meta", ...(list ? ["pagination"] : [])],
	};
}

function operation(route: RestRoute): Record<string, unknown> {
	const [service, action] = route.action.split(".");
	const entity = entityOfService(service);
	const name = entity ? schemaName(entity) : undefined;
	const pathParams = [...route.path.matchAll(/:([a-z_]+)/g)].map(([, p]) => ({
		name: p,
		in: "path",
		required: true,
		schema: { type: "string" },
	}));
	const isList = action === "list" && entity;
	const parameters = [...pathParams, ...(isList ? listParameters(entity) : [])];
	let data: JsonSchema = { type: "object" };
	if (name && (action === "get" || action === "create" || action === "update")) data = ref(name);
	if (action === "remove") data = ref("Deleted");
	if (name && isList) data = ref(name);
	if (route.responseSchema) data = route.responseSchema;

	const op: Record<string, unknown> = {
		operationId: `${route.action.replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase())}${route.method === "PATCH" ? "Patch" : ""}`,
		summary: route.summary,
		tags: [service],
		parameters,
		responses: {
			[String(route.status ?? 200)]: {
				description: route.summary,
				content: { "application/json": { schema: envelope(data, Boolean(isList)) } },
			},
			...Object.fromEntries(
				Object.keys(ERROR_RESPONSES).map((code) => [
					code,
					{ $ref: `#/components/responses/E${code}` },
				]),
			),
		},
	};
	if (route.public) op.security = [];
	if (route.method === "POST" || route.method === "PUT" || route.method === "PATCH") {
		let body: JsonSchema = route.requestSchema ?? { type: "object" };
		if (name && action === "create") body = ref(`${name}Create`);
		if (name && action === "update") body = ref(`${name}Update`);
		const contentType = route.rawBody ? "application/octet-stream" : "application/json";
		op.requestBody = { required: true, content: { [contentType]: { schema: body } } };
	}

	return op;
}

export function buildOpenApi(version: string): Record<string, unknown> {
	const paths: Record<string, Record<string, unknown>> = {};
	for (const route of ROUTES) {
		const path = `/v1/${route.path.replace(/:([a-z_]+)/g, "{$1}")}`;
		paths[path] ??= {};
		paths[path][route.method.toLowerCase()] = operation(route);
	}
	const oauth = oauthOpenApi();
	Object.assign(paths, oauth.paths);
	const schemas: Record<string, JsonSchema> = { ...sharedSchemas(), ...oauth.schemas };
	for (const entity of ENTITIES) {
		schemas[schemaName(entity)] = resourceSchema(entity);
		schemas[`${schemaName(entity)}Create`] = bodySchema(entity, "create");
		schemas[`${schemaName(entity)}Update`] = bodySchema(entity, "update");
	}
	const responses = Object.fromEntries(
		Object.entries(ERROR_RESPONSES).map(([code, description]) => [
			`E${code}`,
			{ description, content: { "application/json": { schema: ref("Error") } } },
		]),
	);

	return {
		openapi: "3.1.0",
		info: {
			title: "Mantis integration gateway",
			version,
			description:
				"REST API of the Mantis business platform. Every response is an envelope with `success`, `data`, `pagination` (lists), `error` and `meta`.",
		},
		servers: [{ url: "/" }],
		security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
		paths,
		components: {
			schemas,
			responses,
			securitySchemes: {
				bearerAuth: {
					type: "http",
					scheme: "bearer",
					description: "An API key (mnx_…) or an access token",
				},
				apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key" },
				...oauth.securitySchemes,
			},
		},
	};
}
