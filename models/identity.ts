import { defineEntity, type RecordOf } from "./entity";

export const PLANS = ["free", "pro", "enterprise"] as const;
export type PlanName = (typeof PLANS)[number];

/** Requests per hour per API key or user, by plan (contract: rate limits). */
export const PLAN_QUOTAS: Record<PlanName, number> = {
	free: 1_000,
	pro: 10_000,
	enterprise: 100_000,
};

export const ROLES = ["owner", "admin", "member", "read_only"] as const;
export type Role = (typeof ROLES)[number];

/** Resources guarded by `<resource>:read|write` scopes. */
export const SCOPE_RESOURCES = [
	"customers",
	"leads",
	"opportunities",
	"quotes",
	"orders",
	"invoices",
	"payments",
	"accounts",
	"journal-entries",
	"products",
	"tickets",
	"documents",
	"notifications",
	"analytics",
	"events",
	"webhooks",
	"api-keys",
	"members",
	"oauth-clients",
	"organizations",
] as const;

/** Resources whose writes change who can do what; only owners and admins write them. */
const ADMIN_RESOURCES = new Set([
	"api-keys",
	"members",
	"oauth-clients",
	"webhooks",
	"organizations",
]);

export const ALL_SCOPES = SCOPE_RESOURCES.flatMap((r) => [`${r}:read`, `${r}:write`]);

export function scopesOfRole(role: Role): string[] {
	switch (role) {
		case "owner":
		case "admin":
			return ["*"];
		case "member":
			return [
				"*:read",
				...SCOPE_RESOURCES.filter((r) => !ADMIN_RESOURCES.has(r)).map((r) => `${r}:write`),
			];
		case "read_only":
			return ["*:read"];
	}
}

/**
 * True when `granted` covers `needed` (`customers:write`
 * is covered by `*`, `customers:*`, `*:write`).
 */
export function hasScope(granted: readonly string[], needed: string): boolean {
	const [resource, access] = needed.split(":");

	return granted.some(
		(g) => g === "*" || g === needed || g === `${resource}:*` || g === `*:${access}`,
	);
}

/** `wanted` narrowed to what `granted` allows; an API key never exceeds its creator. */
export function scopesWithin(granted: readonly string[], wanted: readonly string[]): string[] {
	return wanted.filter((scope) => {
		if (scope === "*") return granted.includes("*");
		const [resource, access] = scope.split(":");
		if (resource === "*") return granted.includes("*") || granted.includes(scope);
		if (access === "*")
			return hasScope(granted, `${resource}:read`) && hasScope(granted, `${resource}:write`);

		return hasScope(granted, scope);
	});
}

/** `*`, or `<resource>:read|write|*` where the resource is `*` or one of SCOPE_RESOURCES. */
export const SCOPE_PATTERN = new RegExp(
	`^(\\*|(\\*|${SCOPE_RESOURCES.join("|")}):(read|write|\\*))$`,
);

/** The scopes of a key or client: scopes of this API only, each once, at least one. */
export const SCOPES_FIELD = {
	type: "list",
	items: {
		type: "string",
		pattern: SCOPE_PATTERN,
		messages: { stringPattern: "is not a scope of this API" },
	},
	min: 1,
	max: 100,
	distinct: true,
} as const;

export const Organization = defineEntity({
	name: "organization",
	plural: "organizations",
	fields: {
		name: { type: "string", min: 1, max: 200, required: true, sort: true, search: true },
		slug: {
			type: "string",
			pattern: /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/,
			max: 64,
			// Names the organization wherever it appears, so no two may share it.
			unique: "global",
			filter: true,
		},
		// Billing decides the plan (bootstrap, operators);
		// a tenant raising its own would lift its quota.
		plan: { type: "enum", values: PLANS, default: "free", readOnly: true, filter: true },
		settings: { type: "object", maxBytes: 16384 },
	},
});
export type OrganizationRecord = RecordOf<typeof Organization>;

export const User = defineEntity({
	name: "user",
	plural: "users",
	fields: {
		email: {
			type: "string",
			format: "email",
			required: true,
			unique: true,
			filter: true,
			search: true,
		},
		name: { type: "string", max: 200, search: true },
		password_hash: { type: "string", secret: true, readOnly: true },
		is_active: { type: "boolean", default: true, filter: true },
	},
});
export type UserRecord = RecordOf<typeof User>;

export const ApiKey = defineEntity({
	name: "api_key",
	plural: "api-keys",
	defaultSort: "created_at:desc",
	fields: {
		name: { type: "string", min: 1, max: 200, required: true, sort: true, search: true },
		scopes: SCOPES_FIELD,
		expires_at: { type: "datetime", sort: true },
		is_active: { type: "boolean", default: true, filter: true },
		rate_limit_per_hour: { type: "integer", min: 1, max: 10_000_000 },
		prefix: {
			type: "string",
			readOnly: true,
			description: "First characters of the key, for recognising it",
		},
		key_hash: { type: "string", readOnly: true, secret: true, index: true },
		created_by: { type: "string", readOnly: true, filter: true },
		last_used_at: { type: "datetime", readOnly: true, sort: true },
		revoked_at: { type: "datetime", readOnly: true },
	},
});
export type ApiKeyRecord = RecordOf<typeof ApiKey>;

export const Member = defineEntity({
	name: "member",
	plural: "members",
	defaultSort: "created_at:asc",
	fields: {
		user_id: {
			type: "string",
			format: "uuid",
			required: true,
			immutable: true,
			filter: true,
			index: true,
		},
		email: { type: "string", format: "email", readOnly: true, filter: true, search: true },
		role: { type: "enum", values: ROLES, required: true, filter: true, sort: true },
		status: {
			type: "enum",
			values: ["active", "invited"] as const,
			readOnly: true,
			default: "active",
			filter: true,
		},
		invitation_hash: { type: "string", readOnly: true, secret: true, index: true },
		invitation_expires_at: { type: "datetime", readOnly: true },
	},
});
export type MemberRecord = RecordOf<typeof Member>;
