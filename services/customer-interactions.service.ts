/** Calls, emails and meetings with a customer (`…/customers/{customer_id}/interactions`). */
import type { ServiceSchema } from "moleculer";
import { childResourceMixin } from "../mixins/child-resource.mixin";
import { graphqlMixin } from "../mixins/graphql.mixin";
import type { RestContext } from "../models/context";
import { Customer, CustomerInteraction } from "../models/customer";
import type { Body } from "../mixins/resource/body";

const CustomerInteractionsService: ServiceSchema = {
	name: "customer-interactions",
	mixins: [
		childResourceMixin({ entity: CustomerInteraction, scope: "customers" }),
		graphqlMixin(CustomerInteraction, {
			scope: "customers",
			parents: { customer_id: { entity: Customer } },
			subscriptions: {
				customerInteraction: {
					events: ["customer_interaction.created"],
					match: { customerId: "customer_id" },
					required: ["customerId"],
				},
			},
		}),
	],

	methods: {
		async beforeCreate(_ctx: RestContext, doc: Body): Promise<Body> {
			doc.occurred_at ??= new Date().toISOString();

			return doc;
		},
	},
};

export default CustomerInteractionsService;
