/** The TypeScript client of the Mantis integration gateway. */
export { Mantis, type MantisOptions, VERSION } from "./client";
export * from "./errors";
export type { GraphqlHandlers, GraphqlSubscriptions } from "./graphql";
export type { RetryInfo } from "./http";
export { ListRequest, type Page } from "./pagination";
export type { RealtimeClient, RealtimeSubscription, SubscribeOptions } from "./realtime";
export {
	ResourceClient,
	type CreateOptions,
	type GetOptions,
	type UpdateOptions,
} from "./resource";
export type { BulkResult, Resources } from "./resources";
export * from "./types";
export * from "./webhooks";
