/**
 * Journal entries: double-entry postings whose debits equal their credits (else 400). Entries
 * are made by hand (`POST …/journal-entries`) or posted by the invoices and payments services
 * when an invoice is sent and a payment completes; they are never changed or deleted.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../mixins/db.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import type { Body } from "../mixins/resource/body";
import { type Output, project, toOutput } from "../mixins/resource/view";
import type { Meta, RestContext } from "../models/context";
import { isoDay } from "../models/dates";
import { type ErrorDetail, validationError } from "../models/errors";
import { JournalEntry } from "../models/finance";
import { minorDigits, toMajor, toMinor } from "../models/money";

interface LineInput {
	account_id: string;
	debit?: number;
	credit?: number;
	description?: string;
}

interface StoredLine {
	account_id: string;
	debit: number;
	credit: number;
	description: string | null;
}

/** A posting of the system: accounts by code, amounts already in minor units. */
export interface Posting {
	reference: string;
	source_type: "invoice" | "payment";
	source_id: string;
	description: string;
	currency: string;
	lines: Array<{ account_code: string; debit?: number; credit?: number }>;
}

const JournalEntriesService: ServiceSchema = {
	name: "journal-entries",
	mixins: [resourceMixin({ entity: JournalEntry })],

	actions: {
		update: false,
		remove: false,

		/** Posts a system entry once per `reference`; a repeat returns the first. */
		post: {
			visibility: "public",
			async handler(ctx: Context<Posting, Meta>): Promise<Output> {
				const { lines, ...entry } = ctx.params;
				const existing: StoredDoc | undefined = await this.storeFindOne({
					organization_id: this.orgOf(ctx),
					reference: entry.reference,
				});
				if (existing) return this.toOutput(existing);
				const accounts: Record<string, string> = await ctx.call("accounts.ensureDefaults");
				const stored = lines
					.filter((l) => (l.debit ?? 0) > 0 || (l.credit ?? 0) > 0)
					.map((l) => ({
						account_id: accounts[l.account_code],
						debit: l.debit ?? 0,
						credit: l.credit ?? 0,
						description: null,
					}));
				const doc = {
					entry_date: isoDay(),
					...entry,
					lines: stored,
					total: this.balanced(stored),
				};
				const saved = await this.insertUnique(ctx, doc);
				const out = this.toOutput(saved);
				await this.publishEvent(ctx, "journal_entry.created", out);

				return out;
			},
		},
	},

	methods: {
		async beforeCreate(ctx: RestContext, doc: Body): Promise<Body> {
			const currency = doc.currency as string;
			const details: ErrorDetail[] = [];
			const lines = (doc.lines as LineInput[]).map((line, i) =>
				this.storedLine(line, i, currency, details),
			);
			if (lines.length < 2)
				details.push({ field: "lines", message: "must hold at least two lines" });
			const ids = [...new Set(lines.map((l) => l.account_id))];
			const found: Output[] = await ctx.call("accounts.findMany", {
				field: "id",
				values: ids,
			});
			const known = new Set(found.map((a) => a.id));
			lines.forEach((l, i) => {
				if (!known.has(l.account_id))
					details.push({
						field: `lines[${i}].account_id`,
						message: "no such account",
						value: l.account_id,
					});
			});
			if (details.length) throw validationError(details);

			return {
				...doc,
				entry_date: doc.entry_date ?? isoDay(),
				lines,
				total: this.balanced(lines),
			};
		},

		/** One line in minor units; exactly one of debit and credit is a positive amount. */
		storedLine(
			line: LineInput,
			i: number,
			currency: string,
			details: ErrorDetail[],
		): StoredLine {
			const minor = (field: "debit" | "credit") => {
				const value = line[field] ?? 0;
				const amount = toMinor(value, currency);
				if (amount === undefined)
					details.push({
						field: `lines[${i}].${field}`,
						message: `has more than ${minorDigits(currency)} decimals for ${currency}`,
						value,
					});

				return amount ?? 0;
			};
			const debit = minor("debit");
			const credit = minor("credit");
			if (debit > 0 === credit > 0)
				details.push({
					field: `lines[${i}]`,
					message: "needs a debit or a credit, not both",
				});

			return {
				account_id: line.account_id,
				debit,
				credit,
				description: line.description ?? null,
			};
		},

		/** The entry's total; 400 unless the debits equal the credits (double entry). */
		balanced(lines: StoredLine[]): number {
			const debits = lines.reduce((s, l) => s + l.debit, 0);
			const credits = lines.reduce((s, l) => s + l.credit, 0);
			if (debits !== credits)
				throw validationError(
					[
						{
							field: "lines",
							message: `debits (${debits}) must equal credits (${credits}) in minor units`,
						},
					],
					"The entry does not balance",
				);

			return debits;
		},

		toOutput(doc: StoredDoc, fields?: string[]): Output {
			const out = toOutput(JournalEntry, doc);
			const currency = (doc.currency as string) ?? "USD";
			if (Array.isArray(doc.lines))
				out.lines = (doc.lines as StoredLine[]).map((l) => ({
					...l,
					debit: toMajor(l.debit, currency),
					credit: toMajor(l.credit, currency),
				}));

			return project(out, fields);
		},
	},
};

export default JournalEntriesService;
