// ESLint over every TypeScript and JavaScript file: ESLint's and typescript-eslint's recommended
// rules. Formatting is Prettier's job (`npm run format`); no rule here is about layout.
// Not type-aware: those rules build a whole TypeScript program (with the TypeScript 6 API that
// typescript-eslint needs, not the native tsc 7) and made `eslint .` four times slower here; the
// one they would add, no-floating-promises, flags every node:test `test()`/`describe()` call.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  globalIgnores(["dist/", ".slipway/", "test/fixtures/"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // `_name` says "unused on purpose": a handler's fixed signature, a skipped tuple element.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    // The console's one browser script runs in the page, not in Node.
    files: ["src/console/static/**/*.js"],
    languageOptions: { globals: globals.browser },
  },
  {
    // Tests walk GitHub's example payloads and the simulator's records: untyped JSON of hundreds of
    // shapes, where `any` is the honest type. src/ and bench/ keep the rule.
    files: ["test/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
