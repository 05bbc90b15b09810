/**
 * A resource with a workflow state (orders, quotes, invoices, payments, leads, opportunities,
 * tickets). The state field moves only along its transitions table (models/state-machine.ts):
 * by a workflow route (`transition`) or, where the contract allows it, by a `PUT` of the field,
 * which `beforeUpdate` checks through `guardStateChange`. Entering a state the catalogue names
 * (`order.shipped`) records that event after `<entity>.updated` and `<entity>.status_changed`.
 */
import type { ServiceSchema } from "moleculer";
import type { RestContext } from "../models/context";
import { validationError, withArticle } from "../models/errors";
import { assertTransition, type StateMachine } from "../models/state-machine";
import type { StoredDoc } from "./db.mixin";
import { resourceMixin, type ResourceOptions } from "./resource.mixin";
import { type ActionBodyCheck, actionBody } from "./resource/action-body";
import type { Body } from "./resource/body";
import type { Output } from "./resource/view";

/** A workflow route `POST …/{id}/<step>`: the state it moves to and what it stores with it. */
export interface StepSpec<B = Body> {
	to: string;
	/** Checks the body (default: an empty one). */
	body?: ActionBodyCheck<B>;
	/** Fields stored with the new state, from the checked body (`carrier`, `cancelled_at`). */
	changes?: (body: B) => Body;
}

export interface WorkflowOptions extends ResourceOptions {
	machine: StateMachine;
	// `any` on purpose: each step checks its own body type.
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	steps?: Record<string, StepSpec<any>>;
}

const emptyBody = actionBody({});

/** The actions of the workflow routes, each `<scope>:write`. */
function stepActions(
	steps: Record<string, StepSpec<Body>>,
	scope: string,
): ServiceSchema["actions"] {
	return Object.fromEntries(
		Object.entries(steps).map(([name, spec]) => [
			name,
			{
				scope: `${scope}:write`,
				handler(this: { transition: Transition }, ctx: RestContext): Promise<Output> {
					const body = (spec.body ?? emptyBody)(ctx.params.body);

					return this.transition(
						ctx,
						ctx.params.params?.id,
						spec.to,
						spec.changes?.(body) ?? {},
					);
				},
			},
		]),
	);
}

type Transition = (ctx: RestContext, id: unknown, to: string, extra?: Body) => Promise<Output>;

export function workflowMixin(options: WorkflowOptions): Partial<ServiceSchema> {
	const { machine, entity } = options;
	const field = machine.field;

	return {
		mixins: [resourceMixin(options)],
		actions: stepActions(options.steps ?? {}, options.scope ?? entity.plural),

		methods: {
			/**
			 * Moves record `id` to state `to`, storing `extra` fields with it (carrier, reason, …).
			 * If-Match, the transition table and the version compare-and-set all apply.
			 */
			async transition(
				ctx: RestContext,
				id: unknown,
				to: string,
				extra: Body = {},
			): Promise<Output> {
				const current: StoredDoc = await this.loadScoped(ctx, id);
				this.checkIfMatch(ctx, current);
				assertTransition(machine, current[field] as string, to);
				await this.beforeTransition(ctx, current, to);

				return this.applyChanges(ctx, current, { ...extra, [field]: to });
			},

			/**
			 * Hook for a domain's own preconditions of a step (a quote must have items to be sent).
			 */
			async beforeTransition(_ctx: RestContext, _current: StoredDoc, _to: string) {
				// no extra rule by default
			},

			/**
			 * A record starts in the machine's initial state, also where `PUT` moves the state
			 * (leads, tickets): later states are reached through their transitions, which record
			 * their events (`lead.qualified`) and fields (`resolved_at`, the lead's customer).
			 */
			checkNewState(doc: Body): void {
				const state = doc[field];
				if (state === undefined || state === machine.initial) return;
				throw validationError([
					{
						field,
						message:
							`must be ${machine.initial} when ` +
							`${withArticle(machine.entity)} is created; later states are ` +
							`reached by their workflow`,
						value: state,
					},
				]);
			},

			/**
			 * For `PUT`-driven states: refuses a change of
			 * the state field the table does not allow.
			 */
			guardStateChange(changes: Body, current: StoredDoc): void {
				const to = changes[field];
				if (to === undefined || to === current[field]) return;
				assertTransition(machine, current[field] as string, to as string);
			},

			async afterUpdate(ctx: RestContext, previous: StoredDoc, out: Output): Promise<void> {
				const from = previous[field] as string;
				const to = out[field] as string;
				if (from === to) return;
				// `status` changes are announced by the resource mixin; other state fields here.
				if (field !== "status")
					await this.publishEvent(ctx, `${entity.name}.${field}_changed`, out, {
						[field]: from,
					});
				const named = machine.events?.[to];
				if (named) await this.publishEvent(ctx, named, out, { [field]: from });
				await this.afterStateChange(ctx, from, out, previous);
			},

			/** Hook for what follows a state change in the domain (rollups, postings). */
			async afterStateChange(
				_ctx: RestContext,
				_from: string,
				_out: Output,
				_previous: StoredDoc,
			): Promise<void> {
				// nothing by default
			},
		},
	};
}
