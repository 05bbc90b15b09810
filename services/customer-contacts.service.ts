/** The people to talk to at a customer (`…/customers/{customer_id}/contacts`). */
import type { ServiceSchema } from "moleculer";
import { childResourceMixin } from "../mixins/child-resource.mixin";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { Customer, CustomerContact } from "../models/customer";

const CustomerContactsService: ServiceSchema = {
	name: "customer-contacts",
	mixins: [
		childResourceMixin({ entity: CustomerContact, scope: "customers" }),
		graphqlMixin(CustomerContact, {
			scope: "customers",
			parents: { customer_id: { entity: Customer } },
		}),
	],
};

export default CustomerContactsService;
