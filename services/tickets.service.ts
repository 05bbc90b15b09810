/**
 * Support tickets (the `tickets` of a customer). The status moves by `PUT` along the contract's
 * table; tickets are closed, never deleted.
 */
import type { ServiceSchema } from "moleculer";
import type { StoredDoc } from "../mixins/db.mixin";
import type { Body } from "../mixins/resource/body";
import { workflowMixin } from "../mixins/workflow.mixin";
import type { RestContext } from "../models/context";
import { Ticket, TICKET_MACHINE } from "../models/support";
import { graphqlMixin } from "../mixins/graphql.mixin";
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
		async beforeUpdate(_ctx: RestContext, changes: Body, current: StoredDoc): Promise<Body> {
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
	},
};

export default TicketsService;
