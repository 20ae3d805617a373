import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const LOCAL_CLOUD = path.resolve(import.meta.dirname, 'infra/local');

/**
 * The local cloud (infra/local/) is generic: it runs any CDK app's template. A relative import that leaves its
 * folder reaches app code (shared/, functions/, workflows/, the stack): what it needs of the app is passed in by
 * the app's entry point (infra/local-app/).
 */
const localCloudBoundary = {
  meta: {
    type: 'problem',
    docs: { description: 'The local cloud imports nothing outside infra/local/ but packages' },
    messages: {
      outside: "The local cloud is generic: '{{source}}' is outside infra/local/. Pass what it needs as an option from infra/local-app/.",
    },
    schema: [],
  },
  create(context) {
    const check = (node) => {
      const source = node.source?.type === 'Literal' ? node.source.value : undefined;
      if (typeof source !== 'string' || !(source.startsWith('.') || path.isAbsolute(source))) return;
      const target = path.resolve(path.dirname(context.filename), source);
      if (target !== LOCAL_CLOUD && !target.startsWith(LOCAL_CLOUD + path.sep)) {
        context.report({ node: node.source, messageId: 'outside', data: { source } });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.local/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', globalThis: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // The local cloud, scripts, benchmarks and tests talk to a person on the terminal.
    files: ['infra/local/**', 'infra/local-app/**', 'scripts/**', 'bench/**', 'test/**', 'infra/app.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // The pages' browser modules take only types from the server's code: a value import would bundle server code
    // (and its dependencies) into what every visitor downloads.
    files: ['browser/**/*.ts'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', location: 'readonly', sessionStorage: 'readonly', crypto: 'readonly' } },
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          // The IBAN rule has no dependency: the bank details form checks an IBAN with the API's own code. The
          // invoice amounts and their euros neither: the declaration form computes its totals as the invoice will. Nor
          // the shapes of a link's token: the pages keep a token of the shapes the API checks. Nor the months' French
          // names: the pages name a month as the API's messages do.
          { group: ['**/shared/**/*.js', '!**/shared/domain/iban.js', '!**/shared/domain/invoicing/amounts.js', '!**/shared/domain/invoicing/month-names.js', '!**/shared/domain/money.js', '!**/shared/domain/link-token.js', '**/functions/**', '**/workflows/**', '**/infra/**'], allowTypeImports: true, message: 'Browser modules import only types from the server code (import type).' },
          { group: ['node:*', '@aws-sdk/*', '@middy/*', '@aws-lambda-powertools/*'], message: 'Not for the browser.' },
        ],
      }],
    },
  },
  {
    files: ['infra/local/**/*.ts', 'infra/local/**/*.js'],
    plugins: { 'local-cloud': { rules: { boundary: localCloudBoundary } } },
    rules: { 'local-cloud/boundary': 'error' },
  },
);
