/** Type checking is `tsc --noEmit` in `npm test`; jest only transpiles. */
module.exports = {
	testEnvironment: "node",
	// The TypeScript SDK is tested against the built package (`npm run sdk:build` runs first).
	roots: ["<rootDir>/test", "<rootDir>/sdk/typescript/test"],
	testMatch: ["**/*.spec.ts"],
	transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: false }] },
	globalSetup: "<rootDir>/test/global-setup.ts",
	testTimeout: 60000,
	verbose: true,
};
