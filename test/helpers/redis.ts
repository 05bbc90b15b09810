/** `describe` for suites that need Redis: skipped (by name) when global setup found none. */
export const describeWithRedis: jest.Describe =
	process.env.MANTIS_TEST_REDIS === "1" ? describe : describe.skip;
