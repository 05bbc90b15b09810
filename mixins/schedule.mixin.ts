/**
 * A periodic job of a service (overdue invoices, expired quotes): `method` runs every
 * SCHEDULER_INTERVAL_MS on each copy of the service. Jobs move records by compare-and-set
 * transitions, so two copies racing on MongoDB change each record once; the loser's conflict
 * is expected and ignored.
 */
import type { ServiceSchema } from "moleculer";
import { config } from "../models/config";
import { toApiError } from "../models/errors";
import { systemAuth } from "../models/context";

export function scheduleMixin(method: string): Partial<ServiceSchema> {
	return {
		methods: {
			/** Calls `action` on one record as the system actor of the record's organization. */
			async runAsSystem(action: string, doc: { _id: string; organization_id: unknown }) {
				try {
					await this.broker.call(
						action,
						{ params: { id: doc._id } },
						{ meta: { auth: systemAuth(doc.organization_id as string) } },
					);
				} catch (err) {
					const error = toApiError(err);
					if (error.type !== "CONFLICT" && error.type !== "INVALID_STATE_TRANSITION")
						this.logger.warn(
							`${action} ${doc._id} failed: ${error.type} ${error.message}`,
						);
				}
			},
		},

		started() {
			this.scheduleTimer = setInterval(() => {
				this[method]().catch((err: Error) =>
					this.logger.error(`Scheduled ${this.name}.${method} failed: ${err.message}`),
				);
			}, config().schedulerIntervalMs);
			this.scheduleTimer.unref();
		},

		stopped() {
			clearInterval(this.scheduleTimer);
		},
	};
}
