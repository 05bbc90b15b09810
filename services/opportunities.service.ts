/**
 * Opportunities: deals in the pipeline. The stage moves only by `POST …/{id}/stage` along the
 * contract's table, recording `opportunity.stage_changed` and, on closing, `opportunity.won`
 * or `opportunity.lost`.
 */
import type { ServiceSchema } from "moleculer";
import { actionBody } from "../mixins/resource/action-body";
import type { Output } from "../mixins/resource/view";
import { workflowMixin } from "../mixins/workflow.mixin";
import type { RestContext } from "../models/context";
import { Opportunity, OPPORTUNITY_MACHINE, OPPORTUNITY_STAGES } from "../models/sales";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { OPPORTUNITY_GRAPHQL } from "./graphql/sales";

const stageBody = actionBody<{ stage: string; lost_reason?: string }>({
	stage: { type: "enum", values: [...OPPORTUNITY_STAGES] },
	lost_reason: { type: "string", min: 1, max: 1000, optional: true },
});

const OpportunitiesService: ServiceSchema = {
	name: "opportunities",
	mixins: [
		workflowMixin({ entity: Opportunity, machine: OPPORTUNITY_MACHINE }),
		graphqlMixin(Opportunity, OPPORTUNITY_GRAPHQL),
	],

	actions: {
		stage: {
			scope: "opportunities:write",
			handler(ctx: RestContext): Promise<Output> {
				const { stage, lost_reason: reason } = stageBody(ctx.params.body);
				const closed = stage === "closed_won" || stage === "closed_lost";
				const extra: Record<string, unknown> = {};
				if (closed) extra.closed_at = new Date().toISOString();
				if (stage === "closed_won") extra.probability = 100;
				if (stage === "closed_lost")
					Object.assign(extra, { probability: 0, lost_reason: reason ?? null });

				return this.transition(ctx, ctx.params.params?.id, stage, extra);
			},
		},
	},
};

export default OpportunitiesService;
