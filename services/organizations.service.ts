/**
 * Organizations: the tenants. Each stores itself as its own `organization_id`, so the shared
 * resource mixin scopes `GET /v1/organizations/{org_id}` to the caller like everything else.
 */
import crypto from "node:crypto";
import type { Context, ServiceSchema } from "moleculer";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import type { StoredDoc } from "../mixins/db.mixin";
import type { Output } from "../mixins/resource/view";
import { type Auth, type Meta, type RestContext, systemAuth } from "../models/context";
import { Organization, PLAN_QUOTAS, type PlanName, PLANS } from "../models/identity";
import { PASSWORD_RULE } from "./users.service";

interface BootstrapParams {
	name: string;
	email: string;
	password: string;
	plan?: PlanName;
	/** The owner key's own hourly limit, which may exceed the plan's quota (operators only). */
	key_rate_limit_per_hour?: number;
}

export interface BootstrapResult {
	organization_id: string;
	user_id: string;
	api_key: string;
}

function slugify(name: string): string {
	const base = name
		.normalize("NFKD")
		.replace(/[\u0300-\u036f]/g, "")
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, "-")
		.replace(/^-+|-+$/g, "")
		.slice(0, 48);

	return base || "org";
}

const OrganizationsService: ServiceSchema = {
	name: "organizations",
	mixins: [
		resourceMixin({ entity: Organization }),
		graphqlMixin(Organization, { singleton: true, operations: ["get", "update"] }),
	],

	hooks: {
		before: {
			/** The organization's path names it `org_id`; the resource mixin reads `id`. */
			"get|update"(ctx: RestContext): void {
				const params = ctx.params.params ?? {};
				ctx.params.params = { ...params, id: params.org_id };
			},
		},
	},

	actions: {
		list: false,
		create: false,
		remove: false,

		/** An organization with its owner and an owner API key (`npm run bootstrap`). */
		bootstrap: {
			visibility: "public",
			params: {
				name: { type: "string", min: 1, max: 200 },
				email: { type: "email", max: 254 },
				password: PASSWORD_RULE,
				plan: { type: "enum", values: [...PLANS], optional: true },
				key_rate_limit_per_hour: {
					type: "number",
					integer: true,
					min: 1,
					max: 10_000_000,
					optional: true,
				},
			},
			async handler(ctx: Context<BootstrapParams, Meta>): Promise<BootstrapResult> {
				const { email, password } = ctx.params;
				const id = crypto.randomUUID();
				const auth: Auth = systemAuth(id);
				// The same owner may bootstrap several organizations; anyone else's email is taken.
				const existing: Output | null = await ctx.call("users.verify", { email, password });
				const user: Output =
					existing ??
					(await ctx.call("users.register", { email, password }, { meta: { auth } }));
				const org = await this.createOrganization(
					id,
					ctx.params.name,
					ctx.params.plan ?? "free",
				);
				await ctx.call(
					"members.add",
					{ user_id: user.id, email: user.email, role: "owner" },
					{ meta: { auth } },
				);
				const key: { key: string } = await ctx.call(
					"api-keys.issue",
					{
						organization_id: org._id,
						user_id: user.id,
						name: "Owner key (bootstrap)",
						scopes: ["*"],
						rate_limit_per_hour: ctx.params.key_rate_limit_per_hour,
					},
					{ meta: { auth } },
				);

				return { organization_id: org._id, user_id: user.id, api_key: key.key };
			},
		},

		/** Every organization, oldest first, unscoped: for operators (the REPL's `orgs`). */
		listAll: {
			visibility: "public",
			async handler(): Promise<Output[]> {
				const docs: StoredDoc[] = await this.storeFind({}, { sort: [["created_at", 1]] });

				return docs.map((d) => this.toOutput(d));
			},
		},

		/**
		 * Moves an organization to another plan: for operators (the REPL's `set-plan`), since
		 * `plan` is read-only over the tenant API. Recorded as `organization.updated` by `system`;
		 * keys whose own limit exceeds the new plan's quota are lowered to it.
		 */
		setPlan: {
			visibility: "public",
			params: {
				id: { type: "string", max: 100 },
				plan: { type: "enum", values: [...PLANS] },
			},
			async handler(
				ctx: Context<{ id: string; plan: PlanName }, Meta>,
			): Promise<Output | null> {
				const doc: StoredDoc | undefined = await this.storeFindOne({ _id: ctx.params.id });
				if (!doc) return null;
				ctx.meta.auth = systemAuth(doc._id);
				const out: Output = await this.applyChanges(ctx, doc, { plan: ctx.params.plan });
				// No key keeps more than the new plan gives
				// (keys are never above it, see api-keys).
				await ctx.call("api-keys.capLimits", {
					organization_id: doc._id,
					quota: PLAN_QUOTAS[ctx.params.plan],
				});

				return out;
			},
		},

		/** Any organization by id, unscoped: for services that need its plan. */
		resolve: {
			visibility: "public",
			params: { id: "string" },
			async handler(ctx: Context<{ id: string }>): Promise<Output | null> {
				const doc = await this.storeFindOne({ _id: ctx.params.id });

				return doc ? this.toOutput(doc) : null;
			},
		},
	},

	methods: {
		async createOrganization(id: string, name: string, plan: PlanName): Promise<StoredDoc> {
			let slug = slugify(name);
			if (await this.storeFindOne({ slug })) slug = `${slug}-${id.slice(0, 8)}`;
			const now = new Date().toISOString();

			return this.storeInsert({
				_id: id,
				organization_id: id,
				name,
				slug,
				plan,
				settings: {},
				version: 1,
				created_at: now,
				updated_at: now,
			});
		},
	},
};

export default OrganizationsService;
