/**
 * Storage for one collection over moleculer-db: NeDB files under DATA_DIR by default, MongoDB
 * when MONGO_URI is set. Services use the `store*` methods below, which speak the query
 * language both stores share, and never the adapter's own actions (turned off here).
 */
import fs from "node:fs";
import path from "node:path";
import NedbCursor from "@seald-io/nedb/lib/cursor";
import { deepCopy } from "@seald-io/nedb/lib/model";
import DbService from "moleculer-db";
import MongoAdapter from "moleculer-db-adapter-mongo";
import type { ServiceSchema } from "moleculer";
import { config } from "../models/config";
import { ApiError } from "../models/errors";
import { readCache } from "./resource/cache";
import type { SortSpec, StoreQuery } from "./resource/query";

export interface StoreOptions {
	/** Collection (MongoDB) or file name (NeDB, `<DATA_DIR>/<collection>.db`). */
	collection: string;
	/**
	 * Fields to index; a sparse index leaves out documents without the field. Every collection is
	 * also indexed by `organization_id` unless `scopeIndex` is false.
	 */
	indexes?: IndexSpec[];
	/**
	 * Index `organization_id` on NeDB (default true; MongoDB always does). NeDB updates an index in
	 * time linear in the rows sharing the updated row's key, so a collection rewritten many times
	 * a second with few organizations turns it off and finds its rows by more selective fields.
	 */
	scopeIndex?: boolean;
	/** Fields unique within an organization (enforced by a unique index on MongoDB). */
	unique?: string[];
}

export type IndexSpec = string | { field: string; sparse: true };

export interface FindOptions {
	sort?: SortSpec;
	skip?: number;
	limit?: number;
}

export type StoredDoc = Record<string, unknown> & { _id: string };

/** NeDB rewrites its append-only file this often, so a long-running node's files stay small. */
const COMPACTION_INTERVAL_MS = 10 * 60 * 1000;

/** Locks this process holds; two brokers in one process (tests) may not share a DATA_DIR either. */
const heldLocks = new Set<string>();

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);

		return true;
	} catch (err) {
		return (err as NodeJS.ErrnoException).code === "EPERM";
	}
}

/**
 * NeDB keeps the whole collection in the memory of one process, so a second process writing
 * the same file would silently lose writes: the contract says it must refuse to start instead.
 */
function acquireLock(file: string, serviceName: string): void {
	if (heldLocks.has(file)) {
		throw new Error(`The ${serviceName} service already runs on this DATA_DIR in this process`);
	}
	fs.mkdirSync(path.dirname(file), { recursive: true });
	try {
		const owner = Number(fs.readFileSync(file, "utf8"));
		if (owner && owner !== process.pid && processAlive(owner)) {
			throw new Error(
				`The ${serviceName} service already runs on DATA_DIR ${path.dirname(file)} (pid ` +
					`${owner}); ` +
					"on NeDB each data service runs as exactly one copy (use MONGO_URI to scale " +
					"it out)",
			);
		}
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
	}
	fs.writeFileSync(file, String(process.pid));
	heldLocks.add(file);
}

function releaseLock(file: string): void {
	if (!heldLocks.delete(file)) return;
	try {
		if (Number(fs.readFileSync(file, "utf8")) === process.pid) fs.unlinkSync(file);
	} catch {
		// already gone: nothing to release
	}
}

/**
 * NeDB's order of scalar values (its `compareThings`): undefined, null, numbers, strings, booleans.
 */
function scalarRank(value: unknown): number {
	if (value === undefined) return 0;
	if (value === null) return 1;
	switch (typeof value) {
		case "number":
			return 2;
		case "string":
			return 3;
		case "boolean":
			return 4;
		default:
			return 5;
	}
}

/**
 * Sorts NeDB results in place, as NeDB would, when every sort value is a scalar; false when one
 * is not (NeDB then sorts itself). NeDB's own sort re-parses each field path on every comparison,
 * which was most of the CPU of listing a page.
 */
function sortScalars(docs: StoredDoc[], sort: SortSpec): boolean {
	for (const doc of docs)
		for (const [field] of sort) if (scalarRank(doc[field]) > 4) return false;
	docs.sort((a, b) => {
		for (const [field, direction] of sort) {
			const x = a[field] as number | string | boolean | null | undefined;
			const y = b[field] as typeof x;
			const rank = scalarRank(x) - scalarRank(y);
			const order =
				rank !== 0
					? rank
					: x === y || x == null
						? 0
						: (x as string) < (y as string)
							? -1
							: 1;
			if (order !== 0) return order * direction;
		}

		return 0;
	});

	return true;
}

/** moleculer-db's sort form: `["-created_at", "_id"]`. */
function sortList(sort: SortSpec | undefined): string[] | undefined {
	return sort?.map(([field, dir]) => (dir === 1 ? field : `-${field}`));
}

export function storeMixin(options: StoreOptions): Partial<ServiceSchema> {
	const settings = config();
	const mongo = Boolean(settings.mongoUri);
	const lockFile = path.join(settings.dataDir, `${options.collection}.lock`);
	const adapter = mongo
		? new MongoAdapter(settings.mongoUri as string)
		: new DbService.MemoryAdapter({
				filename: path.join(settings.dataDir, `${options.collection}.db`),
			});

	return {
		mixins: [DbService],
		adapter,
		collection: options.collection,
		settings: { idField: "_id" },

		// moleculer-db's generic actions would bypass tenancy and validation: turned off.
		actions: {
			find: false,
			count: false,
			list: false,
			create: false,
			insert: false,
			get: false,
			update: false,
			remove: false,
		},

		methods: {
			async storeFind(query: StoreQuery, opts: FindOptions = {}): Promise<StoredDoc[]> {
				if (!mongo && opts.sort?.length) {
					// The datastore's own documents, matched and sorted in place: only the page is
					// copied (its `findAsync` copies every match, hundreds for one page of 50).
					const docs = await new NedbCursor<StoredDoc>(this.adapter.db, query);
					if (sortScalars(docs, opts.sort)) {
						const skip = opts.skip ?? 0;
						const end = opts.limit === undefined ? undefined : skip + opts.limit;

						return docs.slice(skip, end).map((doc) => deepCopy(doc));
					}
				}

				return this.adapter.find({
					query,
					sort: sortList(opts.sort),
					offset: opts.skip,
					limit: opts.limit,
				});
			},

			storeCount(query: StoreQuery): Promise<number> {
				// NeDB's adapter counts by loading every matching document; the datastore need not.
				return mongo ? this.adapter.count({ query }) : this.adapter.db.countAsync(query);
			},

			async storeFindOne(query: StoreQuery): Promise<StoredDoc | undefined> {
				return (await this.adapter.findOne(query)) ?? undefined;
			},

			async storeInsert(doc: StoredDoc): Promise<StoredDoc> {
				try {
					const stored = await this.adapter.insert(doc);
					await this.invalidateReads(doc.organization_id);

					return stored;
				} catch (err) {
					// A unique index (MongoDB, or NeDB's on `_id`)
					// caught a race the service's own check could not.
					const e = err as { code?: number; errorType?: string };
					if (e.code === 11000 || e.errorType === "uniqueViolated")
						throw new ApiError("CONFLICT", "A unique field is taken");
					throw err;
				}
			},

			/**
			 * Inserts `docs` in one write; a taken `_id` or unique field fails the call (CONFLICT).
			 */
			async storeInsertMany(docs: StoredDoc[]): Promise<StoredDoc[]> {
				if (docs.length === 0) return [];
				try {
					const stored = await this.adapter.insertMany(docs);
					const orgs = new Set(docs.map((d) => d.organization_id));
					await this.invalidateReads(orgs.size === 1 ? [...orgs][0] : undefined);

					return stored;
				} catch (err) {
					const e = err as { code?: number; errorType?: string };
					if (e.code === 11000 || e.errorType === "uniqueViolated")
						throw new ApiError("CONFLICT", "A unique field is taken");
					throw err;
				}
			},

			/**
			 * Applies `$set` (with `$inc` and `$unset`) to the
			 * documents matching `query`; returns how many changed.
			 */
			async storeUpdate(
				query: StoreQuery,
				set: Record<string, unknown>,
				more: { inc?: Record<string, number>; unset?: string[] } = {},
			): Promise<number> {
				const update: Record<string, unknown> = { $set: set };
				if (more.inc) update.$inc = more.inc;
				if (more.unset)
					update.$unset = Object.fromEntries(more.unset.map((f) => [f, true]));
				const count: number = await this.adapter.updateMany(query, update);
				if (count) await this.invalidateReads(query.organization_id);

				return count;
			},

			/**
			 * Applies a raw update document (`$inc`, `$set`, `$max`) to the one document matching
			 * `query`, creating it when none does: counters and rollups, never client data.
			 */
			async storeUpsert(query: StoreQuery, update: Record<string, unknown>): Promise<void> {
				if (mongo) await this.adapter.collection.updateOne(query, update, { upsert: true });
				else await this.adapter.db.updateAsync(query, update, { upsert: true });
				await this.invalidateReads(query.organization_id);
			},

			async storeRemove(query: StoreQuery): Promise<number> {
				const count: number = await this.adapter.removeMany(query);
				if (count) await this.invalidateReads(query.organization_id);

				return count;
			},

			/**
			 * Cached reads of this service for the organization (all of
			 * them when the write named none) are unreachable once this
			 * returns, on every node: a write is acknowledged after.
			 */
			invalidateReads(org: unknown): Promise<void> {
				const cache = readCache(this.broker, settings.cacheTtlSeconds);

				return cache.invalidate(typeof org === "string" ? org : undefined, this.name);
			},
		},

		created() {
			if (!mongo) acquireLock(lockFile, this.name);
		},

		async afterConnected() {
			const scope = !mongo && options.scopeIndex === false ? [] : ["organization_id"];
			const indexed = [...scope, ...(options.indexes ?? [])].map((spec) =>
				typeof spec === "string" ? { field: spec, sparse: false } : spec,
			);
			if (mongo) {
				const collection = this.adapter.collection;
				await Promise.all(
					indexed.map(({ field, sparse }) =>
						collection.createIndex({ [field]: 1 }, sparse ? { sparse } : {}),
					),
				);
				for (const field of options.unique ?? []) {
					await collection.createIndex(
						{ organization_id: 1, [field]: 1 },
						{ unique: true, partialFilterExpression: { [field]: { $type: "string" } } },
					);
				}

				return;
			}
			await Promise.all(
				indexed.map(({ field, sparse }) =>
					this.adapter.db.ensureIndex({ fieldName: field, sparse }),
				),
			);
			this.adapter.db.setAutocompactionInterval(COMPACTION_INTERVAL_MS);
		},

		async stopped() {
			if (mongo) return;
			this.adapter.db?.stopAutocompaction?.();
			// Flush the append-only file into its compact form so a restart loads quickly.
			await this.adapter.db?.compactDatafileAsync?.();
			releaseLock(lockFile);
		},
	};
}
