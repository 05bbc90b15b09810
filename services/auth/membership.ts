/**
 * Whether a user id belongs to the caller's organization. `members.findMany` is scoped to the
 * caller's organization, so another organization's user is simply not found.
 */
import type { Context } from "moleculer";

export async function isMember(ctx: Context, userId: string): Promise<boolean> {
	const found: unknown[] = await ctx.call("members.findMany", {
		field: "user_id",
		values: [userId],
	});

	return found.length > 0;
}
