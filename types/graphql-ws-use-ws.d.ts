/**
 * graphql-ws publishes `graphql-ws/use/ws` through package `exports`, which this project's
 * `moduleResolution: node` does not read; its declarations are at the file path below.
 */
declare module "graphql-ws/use/ws" {
	export * from "graphql-ws/dist/use/ws";
}
