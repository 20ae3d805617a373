import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const RULE = 'local-cloud/boundary';

/** The project's own ESLint configuration, as `npm run lint` runs it. */
const eslint = new ESLint({ cwd: process.cwd() });

const boundaryErrors = (results: ESLint.LintResult[]) =>
  results.flatMap((result) => result.messages.filter((message) => message.ruleId === RULE).map((message) => `${result.filePath}:${message.line} ${message.message}`));

describe('the local cloud is generic (infra/local/ imports no app code)', () => {
  it('has no import that leaves infra/local/', async () => {
    const results = await eslint.lintFiles(['infra/local/**/*.ts']);
    expect(results.length).toBeGreaterThan(10);
    expect(boundaryErrors(results)).toEqual([]);
  });

  it.each([
    ["import { smsSegments } from '../../shared/domain/messages/sms-text.js';", 'shared/'],
    ["import { handler } from '../../functions/referrals/submit.js';", 'functions/'],
    ["import { referralWorkflow } from '../../workflows/referral.js';", 'workflows/'],

    ["import { createParcoursApp } from '../stack.js';", 'the stack'],
    ["export { ENV } from '../config.js';", 're-exported app configuration'],
    ["const stack = await import('../stack.js');", 'a dynamic import of the stack'],
  ])('fails lint for %s (%s)', async (code) => {
    const [result] = await eslint.lintText(`${code}\nexport const used = 1;\n`, { filePath: 'infra/local/probe.ts' });
    expect(boundaryErrors([result!])).toHaveLength(1);
  });

  it('allows imports inside infra/local/ and of packages', async () => {
    const code = "import { freePort } from '../net.js';\nimport { StateMachine } from 'aws-local-stepfunctions';\nexport const used = [freePort, StateMachine];\n";
    const [result] = await eslint.lintText(code, { filePath: 'infra/local/stepfunctions/probe.ts' });
    expect(boundaryErrors([result!])).toEqual([]);
  });

  it('does not apply to the app entry point (infra/local-app/), which wires the app in', async () => {
    const code = "import { smsSegments } from '../../shared/domain/messages/sms-text.js';\nexport const used = smsSegments;\n";
    const [result] = await eslint.lintText(code, { filePath: 'infra/local-app/probe.ts' });
    expect(boundaryErrors([result!])).toEqual([]);
  });
});
