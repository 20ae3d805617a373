import { MachineModel } from './definition.js';
import { SfnError } from './errors.js';
import { machineKey, type EngineStore, type MachineItem } from './store.js';
import type { LoggingConfiguration, StateMachineRegistration } from './types.js';
import { requireArn } from './validation.js';

const DEFAULT_LOGGING: LoggingConfiguration = { level: 'OFF', includeExecutionData: false };

export interface RegisteredMachine {
  model: MachineModel;
  /** The definition as registered (JSON text), as DescribeStateMachine shows it. */
  definition: string;
  roleArn: string;
  loggingConfiguration: LoggingConfiguration;
}

export interface MachineDates {
  creationDate: number;
  updateDate: number;
}

/** The registered state machines, the region and account of their ARNs, and their dates kept in the store. */
export class MachineRegistry {
  private readonly machines = new Map<string, RegisteredMachine>();
  /** Read from (or first written to) the store once per process. */
  private readonly dates = new Map<string, Promise<MachineDates>>();

  constructor(
    private readonly store: EngineStore,
    private readonly now: () => number,
    private readonly defaults: { region?: string; accountId?: string },
    private readonly s3: { getObject: boolean; putObject: boolean },
  ) {}

  /** Throws on what the local engine cannot run. */
  register(machine: StateMachineRegistration): void {
    const definition = typeof machine.definition === 'string' ? machine.definition : JSON.stringify(machine.definition);
    this.machines.set(machine.arn, {
      model: new MachineModel(machine.arn, machine.name, JSON.parse(definition) as object, this.s3),
      definition,
      roleArn: machine.roleArn ?? `arn:aws:iam::${this.arnParts(machine.arn).account}:role/local-stepfunctions`,
      loggingConfiguration: machine.loggingConfiguration ?? DEFAULT_LOGGING,
    });
    this.dates.delete(machine.arn);
  }

  get(stateMachineArn: string): RegisteredMachine | undefined {
    return this.machines.get(stateMachineArn);
  }

  model(stateMachineArn: string): MachineModel | undefined {
    return this.machines.get(stateMachineArn)?.model;
  }

  all(): RegisteredMachine[] {
    return [...this.machines.values()];
  }

  /** The machine of an API request: InvalidArn or StateMachineDoesNotExist as AWS answers. */
  require(stateMachineArn: unknown): RegisteredMachine {
    const arn = requireArn(stateMachineArn, 'stateMachine');
    const machine = this.machines.get(arn);
    if (!machine) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  /** Creation and update dates: stored once, and the update date moves when the definition changes. */
  datesOf(stateMachineArn: string): Promise<MachineDates> {
    let dates = this.dates.get(stateMachineArn);
    if (!dates) {
      dates = this.sync(stateMachineArn);
      this.dates.set(stateMachineArn, dates);
      dates.catch(() => this.dates.delete(stateMachineArn));
    }
    return dates;
  }

  region(stateMachineArn: string): string {
    return this.arnParts(stateMachineArn).region;
  }

  roleArn(stateMachineArn: string): string {
    return this.machines.get(stateMachineArn)?.roleArn ?? `arn:aws:iam::${this.arnParts(stateMachineArn).account}:role/local-stepfunctions`;
  }

  executionArn(stateMachineArn: string, machineName: string, name: string): string {
    return this.resourceArn(stateMachineArn, 'execution', `${machineName}:${name}`);
  }

  /** An ARN in the machine's region and account: map runs (`mapRun:<machine>/<label>:<id>`), their children, their processor. */
  resourceArn(stateMachineArn: string, type: 'execution' | 'express' | 'mapRun' | 'stateMachine', path: string): string {
    const { region, account } = this.arnParts(stateMachineArn);
    return `arn:aws:states:${region}:${account}:${type}:${path}`;
  }

  private arnParts(stateMachineArn: string): { region: string; account: string } {
    const [, , , region, account] = stateMachineArn.split(':');
    return { region: this.defaults.region ?? region ?? 'us-east-1', account: this.defaults.accountId ?? account ?? '000000000000' };
  }

  private async sync(stateMachineArn: string): Promise<MachineDates> {
    const definition = this.machines.get(stateMachineArn)!.definition;
    for (;;) {
      const stored = await this.store.getMachine(stateMachineArn);
      if (stored?.definition === definition) return stored;
      const now = this.now();
      const item: MachineItem = { ...machineKey(stateMachineArn), kind: 'machine', stateMachineArn, definition, creationDate: stored?.creationDate ?? now, updateDate: now };
      if (await this.store.putMachine(item, stored)) return item;
    }
  }
}
