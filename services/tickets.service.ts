/**
 * Support tickets (the `tickets` of a customer). The status moves by `PUT` along the contract's
 * table; tickets are closed, never deleted.
 */
import type { ServiceSchema } from "moleculer";
import type { StoredDoc } from "../mixins/db.mixin";
import type { Body } from "../mixins/resource/body";
import { workflowMixin } from "../mixins/workflow.mixin";
import type { RestContext } from "../models/context";
import { validationError } from "../models/errors";
import { Ticket, TICKET_MACHINE } from "../models/support";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { isMember } from "./auth/membership";
import { TICKET_GRAPHQL } from "./graphql/support";

const TicketsService: ServiceSchema = {
	name: "tickets",
	mixins: [
		workflowMixin({ entity: Ticket, machine: TICKET_MACHINE }),
		graphqlMixin(Ticket, TICKET_GRAPHQL),
	],

	actions: {
		remove: false,
	},

	methods: {
		async beforeCreate(ctx: RestContext, doc: Body): Promise<Body> {
			await this.checkAssignee(ctx, doc.assignee_id);

			return doc;
		},

		async beforeUpdate(ctx: RestContext, changes: Body, current: StoredDoc): Promise<Body> {
			await this.checkAssignee(ctx, changes.assignee_id);
			this.guardStateChange(changes, current);
			const now = new Date().toISOString();
			if (changes.status === "resolved" && current.status !== "resolved")
				changes.resolved_at = now;
			if (changes.status === "closed" && current.status !== "closed") changes.closed_at = now;
			// Reopening clears the resolution, so resolved_at always belongs to the current one.
			if (changes.status === "open" && current.status === "resolved")
				changes.resolved_at = null;

			return changes;
		},

		/** A ticket is assigned to a member of its organization, never to anyone else's user. */
		async checkAssignee(ctx: RestContext, userId: unknown): Promise<void> {
			if (typeof userId !== "string" || (await isMember(ctx, userId))) return;
			throw validationError([
				{
					field: "assignee_id",
					message: "is not a member of this organization",
					value: userId,
				},
			]);
		},
	},
};

export default TicketsService;
