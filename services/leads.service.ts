/**
 * Leads: prospects before they are customers. States move by `PUT` of `status` along the
 * contract's table; `POST …/leads/{id}/convert` makes the customer (and, when asked, an
 * opportunity) and marks the lead converted, recording `lead.converted`.
 */
import type { ServiceSchema } from "moleculer";
import type { StoredDoc } from "../mixins/db.mixin";
import { actionBody } from "../mixins/resource/action-body";
import type { Body } from "../mixins/resource/body";
import type { Output } from "../mixins/resource/view";
import { workflowMixin } from "../mixins/workflow.mixin";
import type { RestContext } from "../models/context";
import { CUSTOMER_SEGMENTS } from "../models/customer";
import { ApiError } from "../models/errors";
import { toMajor } from "../models/money";
import { Lead, LEAD_MACHINE } from "../models/sales";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { LEAD_GRAPHQL } from "./graphql/sales";

interface ConvertBody {
	segment?: string;
	customer?: Record<string, unknown>;
	create_opportunity?: boolean;
	opportunity?: Record<string, unknown>;
}

const convertBody = actionBody<ConvertBody>({
	segment: { type: "enum", values: [...CUSTOMER_SEGMENTS], optional: true },
	customer: { type: "object", optional: true },
	create_opportunity: { type: "boolean", optional: true },
	opportunity: { type: "object", optional: true },
});

const LeadsService: ServiceSchema = {
	name: "leads",
	mixins: [
		workflowMixin({ entity: Lead, machine: LEAD_MACHINE }),
		graphqlMixin(Lead, LEAD_GRAPHQL),
	],

	actions: {
		convert: {
			scope: "leads:write",
			async handler(ctx: RestContext): Promise<Output> {
				const body = convertBody(ctx.params.body);
				const lead: StoredDoc = await this.loadScoped(ctx, ctx.params.params?.id);
				this.checkIfMatch(ctx, lead);
				// Refused before anything is created, so a
				// refused conversion leaves no customer behind.
				this.checkConvertible(lead);

				// The lead is claimed (converted) first, so a concurrent convert loses before it
				// creates a customer; a failure below moves it back to its state.
				return this.applyOnce(ctx, lead, { status: "converted" }, async () => {
					const customer: Output = await ctx.call("customers.create", {
						body: this.customerOf(lead, body),
					});
					const opportunity: Output | undefined = await this.createOpportunity(
						ctx,
						lead,
						customer,
						body,
					);

					return {
						customer_id: customer.id,
						opportunity_id: opportunity?.id ?? null,
						converted_at: new Date().toISOString(),
					};
				});
			},
		},
	},

	methods: {
		async beforeUpdate(_ctx: RestContext, changes: Body, current: StoredDoc): Promise<Body> {
			if (changes.status === "converted" && current.status !== "converted")
				throw new ApiError(
					"INVALID_STATE_TRANSITION",
					"A lead is converted by POST …/leads/{id}/convert",
					{
						details: [
							{ field: "status", message: "set by convert", value: "converted" },
						],
					},
				);
			this.guardStateChange(changes, current);

			return changes;
		},

		/** The optional opportunity; when it is refused, the customer made for it goes too. */
		async createOpportunity(
			ctx: RestContext,
			lead: StoredDoc,
			customer: Output,
			body: ConvertBody,
		): Promise<Output | undefined> {
			if (!body.create_opportunity && !body.opportunity) return undefined;
			try {
				return await ctx.call("opportunities.create", {
					body: this.opportunityOf(lead, customer.id, body.opportunity),
				});
			} catch (err) {
				await ctx.call("customers.remove", { params: { id: customer.id } });
				throw err;
			}
		},

		/** A lead converts once, from `qualified`; one being converted already reads converted. */
		checkConvertible(lead: StoredDoc): void {
			if (lead.status === "converted")
				throw new ApiError("INVALID_STATE_TRANSITION", "The lead was already converted", {
					details: [{ field: "status", message: "is converted", value: lead.status }],
				});
			this.guardStateChange({ status: "converted" }, lead);
		},

		/**
		 * The new customer: the lead's name, email, phone and company, overridden by `customer`.
		 */
		customerOf(lead: StoredDoc, body: ConvertBody): Body {
			const base: Body = {
				name: lead.company ?? lead.name,
				segment: body.segment ?? "smb",
				status: "active",
			};
			for (const field of ["email", "phone", "company"])
				if (lead[field] != null) base[field] = lead[field];

			return { ...base, ...body.customer };
		},

		opportunityOf(lead: StoredDoc, customerId: string, given: Body = {}): Body {
			const currency = (lead.currency as string) ?? "USD";
			const amount =
				typeof lead.estimated_value === "number"
					? toMajor(lead.estimated_value, currency)
					: 0;

			return {
				name: `${lead.company ?? lead.name}`,
				customer_id: customerId,
				lead_id: lead._id,
				amount,
				currency,
				...given,
			};
		},
	},
};

export default LeadsService;
