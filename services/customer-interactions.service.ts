/** Calls, emails and meetings with a customer (`…/customers/{customer_id}/interactions`). */
import type { ServiceSchema } from "moleculer";
import { childResourceMixin } from "../mixins/child-resource.mixin";
import type { RestContext } from "../models/context";
import { CustomerInteraction } from "../models/customer";
import type { Body } from "../mixins/resource/body";

const CustomerInteractionsService: ServiceSchema = {
	name: "customer-interactions",
	mixins: [childResourceMixin({ entity: CustomerInteraction, scope: "customers" })],

	methods: {
		async beforeCreate(_ctx: RestContext, doc: Body): Promise<Body> {
			doc.occurred_at ??= new Date().toISOString();

			return doc;
		},
	},
};

export default CustomerInteractionsService;
