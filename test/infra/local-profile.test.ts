import { availableParallelism } from 'node:os';
import { describe, expect, inject, it } from 'vitest';
import { PARCOURS_LOCAL_PROFILE, RUN_STEP_ENVIRONMENTS } from '../../infra/local-app/profile.js';
import { loadAssembly } from '../../infra/local/assembly.js';
import { describeTemplate } from '../../infra/local/template.js';

/** The ARNs of the functions a state machine's Distributed Maps invoke for their batches. */
function mapBatchFunctions(definition: unknown): string[] {
  type Task = { Resource?: string; Parameters?: { FunctionName?: string } };
  const states = (definition as { States?: Record<string, { Type?: string; ItemProcessor?: { ProcessorConfig?: { Mode?: string }; States?: Record<string, Task> } }> }).States ?? {};
  return Object.values(states)
    .filter((state) => state.Type === 'Map' && state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED')
    // A task that returns the payload only names the function as its resource; `lambda:invoke` in its parameters.
    .flatMap((state) => Object.values(state.ItemProcessor!.States ?? {}).map((inner) => inner.Parameters?.FunctionName ?? inner.Resource))
    .filter((arn): arn is string => typeof arn === 'string' && arn.includes(':function:'));
}

describe("the app's local cloud profile", () => {
  it("gives the monthly run's batch function one environment per core (2 to 4), every other function the runtime's default", () => {
    expect(RUN_STEP_ENVIRONMENTS).toBe(Math.min(4, Math.max(2, availableParallelism())));
    const assembly = loadAssembly(inject('assemblyDir'));
    const app = describeTemplate(assembly.template, assembly.assemblyDir, { region: 'eu-west-3', accountId: '000000000000', stackName: assembly.stackName });
    const invoicing = app.stateMachines.find((machine) => /^MonthlyInvoicingStateMachine/.test(machine.logicalId));
    const batchArns = new Set(mapBatchFunctions(invoicing?.definition));
    expect(batchArns.size).toBe(1);

    const environments = app.functions.map((fn) => ({ arn: fn.arn, environments: PARCOURS_LOCAL_PROFILE.functionConcurrency(fn) }));
    expect(environments.filter((fn) => fn.environments !== undefined)).toEqual([{ arn: [...batchArns][0], environments: RUN_STEP_ENVIRONMENTS }]);
    expect(environments.length).toBeGreaterThan(10);
  });
});
