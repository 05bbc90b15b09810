/**
 * Publishing domain events. Every acknowledged write records its event in the event log
 * (the `events` service), which stores it durably before any subscriber sees it.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { Auth, Meta } from "../models/context";

export interface DomainEvent<T = Record<string, unknown>> {
	id: string;
	type: string;
	organization_id: string;
	created_at: string;
	request_id: string | null;
	actor: Auth["actor"];
	data: { object: T; previous_attributes?: Record<string, unknown> };
}

export type NewEvent = Omit<DomainEvent, "id" | "created_at">;

/** Fields that never leave the service in an event, whatever the entity (contract: no secrets). */
const SECRET_KEYS = new Set([
	"secret",
	"previous_secret",
	"secret_hash",
	"password",
	"password_hash",
	"token",
	"key_hash",
]);

function withoutSecrets(object: Record<string, unknown>): Record<string, unknown> {
	return Object.fromEntries(Object.entries(object).filter(([k]) => !SECRET_KEYS.has(k)));
}

export const EventsMixin: Partial<ServiceSchema> = {
	methods: {
		/**
		 * Records `type` for `object` in the caller's organization. `previous` holds the old
		 * values of the fields an update changed (and only those).
		 */
		async publishEvent(
			ctx: Context<unknown, Meta>,
			type: string,
			object: Record<string, unknown>,
			previous?: Record<string, unknown>,
		): Promise<DomainEvent> {
			const auth = ctx.meta.auth as Auth;
			const event: NewEvent = {
				type,
				organization_id: auth.organization_id,
				request_id: ctx.meta.requestId ?? ctx.requestID ?? null,
				actor: auth.actor,
				data: { object: withoutSecrets(object) },
			};
			if (previous) event.data.previous_attributes = withoutSecrets(previous);

			return ctx.call("events.record", event);
		},
	},
};
