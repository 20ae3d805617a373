import './polyfill.js';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { MAX_LIBRARY_TIMEOUT_SECONDS, type NestedDefinition, type StateDefinition } from './asl.js';
import { distributedMapOf, isDistributedMap, type DistributedMapSpec, type ProcessorDefinition } from './distributed-map.js';

export type TaskKind = 'lambda-function' | 'lambda-invoke' | 'lambda-callback';

interface MachineDefinition extends NestedDefinition {
  TimeoutSeconds?: number;
  QueryLanguage?: string;
  [key: string]: unknown;
}

const LAMBDA_FUNCTION_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/;
const LAMBDA_INVOKE = /^arn:[^:]+:states:[^:]*:[^:]*:lambda:invoke$/;
const LAMBDA_CALLBACK = /^arn:[^:]+:states:[^:]*:[^:]*:lambda:invoke\.waitForTaskToken$/;

export function taskKind(resource: string | undefined, where: string): TaskKind {
  if (resource && LAMBDA_FUNCTION_ARN.test(resource)) return 'lambda-function';
  if (resource && LAMBDA_INVOKE.test(resource)) return 'lambda-invoke';
  if (resource && LAMBDA_CALLBACK.test(resource)) return 'lambda-callback';
  throw new Error(`${where}: unsupported Task resource ${resource ?? '(none)'}; the local engine runs Lambda functions, lambda:invoke and lambda:invoke.waitForTaskToken`);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * A registered state machine: its checked definition, what the engine needs to know about its states,
 * and the library machines built from it (one per start state, built once: validation costs ~80 ms).
 */
export class MachineModel {
  readonly topLevel: Record<string, StateDefinition>;
  /** Every Task state, top level or nested in Map/Parallel (names are unique in a state machine). */
  readonly tasks = new Map<string, { kind: TaskKind; state: StateDefinition; nested: boolean }>();
  /** Top-level Distributed Map states: the engine runs their map runs and parks the execution meanwhile. */
  readonly distributedMaps = new Map<string, DistributedMapSpec>();
  readonly timeoutSeconds: number | undefined;
  readonly startAt: string;
  private readonly base: MachineDefinition;
  private readonly machines = new Map<string, StateMachine>();

  constructor(
    readonly arn: string,
    readonly name: string,
    definition: object,
    /** What the engine's `s3` option offers: the definition's item readers and result writers need it. */
    s3: { getObject: boolean; putObject: boolean } = { getObject: false, putObject: false },
  ) {
    const original = clone(definition) as MachineDefinition;
    const where = `State machine ${name}`;
    if (original.QueryLanguage === 'JSONata') throw new Error(`${where}: JSONata is not supported by the local engine`);
    if (!original.States || typeof original.StartAt !== 'string') throw new Error(`${where}: definition has no StartAt/States`);
    this.topLevel = original.States;
    this.startAt = original.StartAt;
    this.timeoutSeconds = original.TimeoutSeconds;
    const seen = new Set<string>();
    this.collect(original, false, seen, where);

    // The engine keeps the execution timeout and callback deadlines itself (durable, no timer overflow).
    const base = clone(original);
    delete base.TimeoutSeconds;
    this.rewriteTasks(base);
    for (const [stateName, state] of Object.entries(base.States)) {
      if (!isDistributedMap(state)) continue;
      const { spec, task } = distributedMapOf(stateName, this.topLevel[stateName]!, state.ItemProcessor as ProcessorDefinition, s3, where);
      this.distributedMaps.set(stateName, spec);
      base.States[stateName] = task;
    }
    this.base = base;
    this.machines.set(base.StartAt, new StateMachine(base as unknown as StateMachineDefinition));
  }

  /** The library machine that starts at `stateName` (the base definition is validated once; variants reuse that check). */
  machineFor(stateName: string): StateMachine {
    let machine = this.machines.get(stateName);
    if (!machine) {
      if (!this.topLevel[stateName]) throw new Error(`State machine ${this.name} has no top-level state ${stateName}`);
      machine = new StateMachine({ ...this.base, StartAt: stateName } as unknown as StateMachineDefinition, {
        validationOptions: { noValidate: true },
      });
      this.machines.set(stateName, machine);
    }
    return machine;
  }

  /** Top-level Wait states: the engine parks on them and wakes them from a stored time. */
  get durableWaits(): string[] {
    return Object.entries(this.topLevel)
      .filter(([, state]) => state.Type === 'Wait')
      .map(([name]) => name);
  }

  private collect(definition: NestedDefinition, nested: boolean, seen: Set<string>, where: string): void {
    for (const [name, state] of Object.entries(definition.States)) {
      if (seen.has(name)) throw new Error(`${where}: state name ${name} is used twice (names must be unique in a state machine)`);
      seen.add(name);
      if (state.Type === 'Task') {
        const kind = taskKind(state.Resource, `${where}, state ${name}`);
        if (kind === 'lambda-callback' && nested) {
          throw new Error(`${where}, state ${name}: .waitForTaskToken inside a Map or Parallel state is not supported by the local engine`);
        }
        this.tasks.set(name, { kind, state, nested });
      }
      if (state.Type === 'Map' && isDistributedMap(state) && nested) {
        throw new Error(`${where}, state ${name}: a Distributed Map inside a Map or Parallel state is not supported by the local engine`);
      }
      if (state.Type === 'Map' && !isDistributedMap(state) && (state.ItemReader !== undefined || state.ItemBatcher !== undefined || state.ResultWriter !== undefined)) {
        throw new Error(`${where}, state ${name}: ItemReader, ItemBatcher and ResultWriter need ItemProcessor.ProcessorConfig.Mode DISTRIBUTED`);
      }
      for (const child of [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])]) {
        if (child) this.collect(child, true, seen, where);
      }
    }
  }

  private rewriteTasks(definition: NestedDefinition): void {
    for (const state of Object.values(definition.States)) {
      if (state.Type === 'Task') {
        if (LAMBDA_CALLBACK.test(state.Resource ?? '')) {
          delete state.TimeoutSecondsPath;
          delete state.HeartbeatSecondsPath;
          delete state.HeartbeatSeconds;
          state.TimeoutSeconds = MAX_LIBRARY_TIMEOUT_SECONDS;
        } else if (state.TimeoutSecondsPath === undefined) {
          state.TimeoutSeconds = Math.min(state.TimeoutSeconds ?? MAX_LIBRARY_TIMEOUT_SECONDS, MAX_LIBRARY_TIMEOUT_SECONDS);
          if (state.HeartbeatSeconds !== undefined && state.HeartbeatSeconds >= state.TimeoutSeconds) delete state.HeartbeatSeconds;
        }
      }
      for (const child of [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])]) {
        if (child) this.rewriteTasks(child);
      }
    }
  }
}

