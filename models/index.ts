/**
 * Every entity of the platform, by the service that holds it (a service is named by its
 * entity's plural). Generated documents (OpenAPI) walk this list.
 */
import { Customer, CustomerContact, CustomerInteraction } from "./customer";
import type { EntityDefinition } from "./entity";
import { Event } from "./event";
import { Account, Invoice, JournalEntry, Payment } from "./finance";
import { ApiKey, Member, Organization } from "./identity";
import { Order } from "./order";
import { Product } from "./product";
import { Lead, Opportunity, Quote } from "./sales";
import { Document, Notification, Ticket } from "./support";

export const ENTITIES: EntityDefinition[] = [
	Organization,
	Member,
	ApiKey,
	Customer,
	CustomerContact,
	CustomerInteraction,
	Event,
	Product,
	Order,
	Lead,
	Opportunity,
	Quote,
	Invoice,
	Payment,
	Account,
	JournalEntry,
	Ticket,
	Document,
	Notification,
];

const byService = new Map(ENTITIES.map((e) => [e.plural, e]));

/** The entity a service holds, if it is a resource service. */
export function entityOfService(service: string): EntityDefinition | undefined {
	return byService.get(service);
}
