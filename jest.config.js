/** Type checking is `tsc --noEmit` in `npm test`; jest only transpiles. */
module.exports = {
	testEnvironment: "node",
	roots: ["<rootDir>/test"],
	testMatch: ["**/*.spec.ts"],
	transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: false }] },
	globalSetup: "<rootDir>/test/global-setup.ts",
	testTimeout: 60000,
	verbose: true,
};
