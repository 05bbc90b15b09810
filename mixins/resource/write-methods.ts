/**
 * The write side of the resource mixin: create, update (compare-and-set on the version) and
 * remove, each checking references and uniqueness within the organization and recording its
 * domain event. Domain services call `createOne`, `applyChanges` and `insertUnique` from their
 * own workflow actions, so every write goes through the same path.
 */
import crypto from "node:crypto";
import type { ServiceMethods } from "moleculer";
import type { RestContext } from "../../models/context";
import { type EntityDefinition, type RefField, singularOf } from "../../models/entity";
import {
	ApiError,
	type ErrorDetail,
	notFound,
	preconditionFailed,
	validationError,
} from "../../models/errors";
import type { StoredDoc } from "../db.mixin";
import { type Body, bodyChecker } from "./body";
import { KeyedLock } from "./keyed-lock";
import type { StoreQuery } from "./query";
import { etagOf, ifMatchHolds, type Output } from "./view";

export interface Deleted {
	id: string;
	deleted: true;
}

export interface WriteOptions {
	/** The event a create records, when the catalogue names it otherwise (`document.uploaded`). */
	createdEvent?: string;
}

/** The field holding an `applyOnce` claim while its records are made (unset afterwards). */
const CLAIM_FIELD = "claim_token";

/** Whether a stored and a new value differ (values are JSON: strings, numbers, arrays, objects). */
function differs(stored: unknown, next: unknown): boolean {
	return JSON.stringify(next) !== JSON.stringify(stored ?? null);
}

export function writeMethods(entity: EntityDefinition, options: WriteOptions): ServiceMethods {
	const checker = bodyChecker(entity);
	const uniqueFields = Object.entries(entity.fields)
		.filter(([, f]) => f.unique)
		.map(([n]) => n);
	const global = new Set(
		Object.entries(entity.fields)
			.filter(([, f]) => f.unique === "global")
			.map(([n]) => n),
	);
	/** Where a unique value must not repeat: the organization, or every one of them. */
	const uniqueScope = (org: string, field: string): StoreQuery =>
		global.has(field) ? {} : { organization_id: org };
	const locks = new KeyedLock();
	const lockKeys = (org: string, body: Body, fields: string[]) =>
		fields
			.filter((f) => body[f] != null)
			.map((f) => `${global.has(f) ? "*" : org}:${f}:${body[f]}`);

	return {
		/** One create: validate, check references, domain rules, insert, event. */
		async createOne(ctx: RestContext, body: unknown, now?: string): Promise<Output> {
			const doc = checker.create(this.withParent(ctx, body));
			this.checkNewState(doc);
			await this.checkRefs(ctx, doc);
			// Under the create's own locks, so a rule over sibling rows holds against a racer.
			const stored = await locks.run(this.createLockKeys(doc), async () =>
				this.insertUnique(ctx, await this.beforeCreate(ctx, doc), now),
			);
			const out = this.toOutput(stored);
			await this.publishEvent(ctx, options.createdEvent ?? `${entity.name}.created`, out);

			return out;
		},

		/** Keys a create runs under (an invoice's order: its invoices must stay within it). */
		createLockKeys(_doc: Body): string[] {
			return [];
		},

		async updateOne(ctx: RestContext, id: unknown, body: unknown): Promise<Output> {
			const current = await this.loadScoped(ctx, id);
			this.checkIfMatch(ctx, current);
			const currency = entity.currencyField
				? (current[entity.currencyField] as string)
				: undefined;
			const changes = checker.update(body, currency);
			await this.checkRefs(ctx, changes);
			const prepared: Body = await this.beforeUpdate(ctx, changes, current);

			return this.applyChanges(ctx, current, prepared);
		},

		async removeOne(ctx: RestContext, id: unknown): Promise<Deleted> {
			const current = await this.loadScoped(ctx, id);
			this.checkIfMatch(ctx, current);
			await this.beforeRemove(ctx, current);
			await this.storeRemove({ _id: current._id, organization_id: current.organization_id });
			await this.publishEvent(ctx, `${entity.name}.deleted`, this.toOutput(current));

			return { id: current._id, deleted: true };
		},

		checkIfMatch(ctx: RestContext, current: StoredDoc): void {
			const header = ctx.params.if_match;
			const resource = { id: current._id, version: current.version as number };
			if (header && !ifMatchHolds(header, resource))
				throw preconditionFailed(etagOf(resource));
		},

		/**
		 * Child resources take their parent from the path
		 * (existence is checked with the other refs).
		 */
		withParent(ctx: RestContext, body: unknown): unknown {
			const parent = entity.parentField;
			const fromPath = parent ? ctx.params.params?.[parent] : undefined;
			const isObject = body !== null && typeof body === "object" && !Array.isArray(body);
			if (!parent || !fromPath || !isObject) return body;

			const given = (body as Body)[parent];
			if (given !== undefined && given !== fromPath) {
				throw validationError([
					{ field: parent, message: "differs from the id in the path", value: given },
				]);
			}

			return { ...body, [parent]: fromPath };
		},

		/**
		 * Every `ref` field must name a row of the caller's
		 * organization (404 would leak nothing more).
		 */
		async checkRefs(ctx: RestContext, doc: Body): Promise<void> {
			const missing: ErrorDetail[] = [];
			for (const [name, field] of Object.entries(entity.fields)) {
				const value = doc[name];
				if (field.type !== "ref" || typeof value !== "string") continue;
				const service = (field as RefField).service;
				const found: Output[] = await ctx.call(`${service}.findMany`, {
					field: "id",
					values: [value],
				});
				if (found.length === 0)
					missing.push({ field: name, message: singularOf(service), value });
			}
			if (missing.length) throw notFound(missing.map((d) => d.message).join(", "));
		},

		/** Inserts under the organization's unique-field locks, so two creates cannot both win. */
		async insertUnique(ctx: RestContext, body: Body, at?: string): Promise<StoredDoc> {
			const org = this.orgOf(ctx);

			return locks.run(lockKeys(org, body, uniqueFields), async () => {
				await this.assertUnique(org, body);
				const now = at ?? new Date().toISOString();

				return this.storeInsert({
					...body,
					_id: crypto.randomUUID(),
					organization_id: org,
					version: 1,
					created_at: now,
					updated_at: now,
				});
			});
		},

		async assertUnique(org: string, body: Body, exceptId?: string): Promise<void> {
			for (const field of uniqueFields) {
				if (body[field] == null) continue;
				const query: StoreQuery = { ...uniqueScope(org, field), [field]: body[field] };
				if (exceptId) query._id = { $ne: exceptId };
				if (await this.storeFindOne(query)) {
					throw new ApiError("CONFLICT", `Another ${entity.name} has this ${field}`, {
						details: [{ field, message: "is already taken", value: body[field] }],
					});
				}
			}
		},

		/**
		 * Stores an update as a compare-and-set on the version, so two writers cannot silently
		 * overwrite each other, then records `<entity>.updated` with the old values of the changed
		 * fields (and `<entity>.status_changed` when the status moved).
		 */
		async applyChanges(ctx: RestContext, current: StoredDoc, changes: Body): Promise<Output> {
			const changed = Object.keys(changes).filter((k) => differs(current[k], changes[k]));
			if (changed.length === 0) return this.toOutput(current);

			const updated: StoredDoc = await this.storeChanges(current, changes, changed);

			return this.announceChanges(ctx, current, updated, changed);
		},

		/** Records `<entity>.updated` (and `status_changed`) for a stored change, then the hook. */
		async announceChanges(
			ctx: RestContext,
			current: StoredDoc,
			updated: StoredDoc,
			changed: string[],
		): Promise<Output> {
			const out: Output = this.toOutput(updated);
			const previous: Output = this.toOutput(current);
			const previousAttributes = Object.fromEntries(
				changed.map((k) => [k, previous[k] ?? null]),
			);
			await this.publishEvent(ctx, `${entity.name}.updated`, out, previousAttributes);
			if (changed.includes("status")) {
				await this.publishEvent(ctx, `${entity.name}.status_changed`, out, {
					status: previous.status,
				});
			}
			await this.afterUpdate(ctx, current, out);

			return out;
		},

		/**
		 * A change that creates records elsewhere (a quote's order, a lead's customer), made once
		 * however many callers race: `claim` is stored first by compare-and-set with a claim
		 * token, so every loser is refused before `make` creates anything. `make`'s fields are
		 * then stored where the token still stands (a `PUT` in between does not orphan what was
		 * made) and the whole change is announced as one update. When `make` fails, the claim is
		 * undone so the caller may retry.
		 */
		async applyOnce(
			ctx: RestContext,
			current: StoredDoc,
			claim: Body,
			make: () => Promise<Body>,
		): Promise<Output> {
			const token = crypto.randomUUID();
			const claimed = { ...claim, [CLAIM_FIELD]: token };
			await this.storeChanges(current, claimed, Object.keys(claimed));
			const mine = { _id: current._id, organization_id: current.organization_id };
			const settle = async (set: Body) => {
				const at = new Date().toISOString();
				await this.storeUpdate(
					{ ...mine, [CLAIM_FIELD]: token },
					{ ...set, updated_at: at },
					{ inc: { version: 1 }, unset: [CLAIM_FIELD] },
				);
			};
			let made: Body;
			try {
				made = await make();
			} catch (err) {
				await settle(
					Object.fromEntries(Object.keys(claim).map((k) => [k, current[k] ?? null])),
				);
				throw err;
			}
			await settle(made);
			const updated: StoredDoc | undefined = await this.storeFindOne(mine);
			// Removed while its records were made (a lead may be deleted at any time).
			if (!updated) throw notFound(entity.name);
			const changes = { ...claim, ...made };
			const changed = Object.keys(changes).filter((k) => differs(current[k], changes[k]));

			return this.announceChanges(ctx, current, updated, changed);
		},

		/** Whether a claim of `applyOnce` stands on the record (its maker is still running). */
		isClaimed(current: StoredDoc): boolean {
			return current[CLAIM_FIELD] != null;
		},

		/** The compare-and-set itself, under the locks of the unique fields it changes. */
		async storeChanges(
			current: StoredDoc,
			changes: Body,
			changed: string[],
		): Promise<StoredDoc> {
			const org = current.organization_id as string;
			const uniqueChanged = uniqueFields.filter((f) => changed.includes(f));

			return locks.run(lockKeys(org, changes, uniqueChanged), async () => {
				await this.assertUnique(org, changes, current._id);
				const set = {
					...Object.fromEntries(changed.map((k) => [k, changes[k]])),
					version: (current.version as number) + 1,
					updated_at: new Date().toISOString(),
				};
				const count = await this.storeUpdate(
					{ _id: current._id, organization_id: org, version: current.version },
					set,
				);
				if (count === 0) {
					throw new ApiError(
						"CONFLICT",
						`The ${entity.name} was changed by another request; fetch it and retry`,
					);
				}

				return { ...current, ...set } as StoredDoc;
			});
		},
	};
}
