import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ExecutionStatus, MapRunCounts, MapRunStatus } from './store.js';

export type { ExecutionStatus, MapRunStatus } from './store.js';

export type InvokeResult = { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string };

/** Runs a Lambda function of the local cloud; a function error is a result, not an exception. */
export interface LambdaInvoker {
  invoke(functionArn: string, payload: unknown): Promise<InvokeResult>;
}

/**
 * The object storage of Distributed Map states: ItemReader (s3:getObject) reads with getObject, ResultWriter
 * (s3:putObject) writes with putObject. A missing object or bucket is a thrown error.
 */
export interface ObjectStore {
  getObject(bucket: string, key: string): Promise<Uint8Array | string>;
  putObject?(bucket: string, key: string, body: string, contentType: string): Promise<void>;
}

export interface LocalStepFunctionsOptions {
  documentClient: DynamoDBDocumentClient;
  /** The engine's own table (created by start() if missing); not the app table. */
  tableName: string;
  invoker: LambdaInvoker;
  /** Region and account of execution ARNs; default: those of the state machine ARN. */
  region?: string;
  accountId?: string;
  /** Clock of deadlines, waits and timestamps (epoch ms); injectable for tests. */
  now?: () => number;
  /** How often the deadline loop polls the store, in ms (default 1000). */
  tickMs?: number;
  /** S3 for Distributed Map item readers and result writers; without it, a definition that has one is refused at registration. */
  s3?: ObjectStore;
  /** Most children of one Distributed Map run in flight at once, whatever its MaxConcurrency (default 40). */
  mapConcurrencyLimit?: number;
}

export type ExecutionRedriveStatus = 'REDRIVABLE' | 'NOT_REDRIVABLE';

/** What DescribeExecution and ListExecutions both say of an execution. */
export interface ExecutionSummary {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
}

export interface ExecutionDescription extends ExecutionSummary {
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** 0 until the execution is redriven. */
  redriveCount: number;
  redriveDate?: Date;
  redriveStatus: ExecutionRedriveStatus;
  /** Why it cannot be redriven (with NOT_REDRIVABLE), in AWS's words. */
  redriveStatusReason?: string;
}

/** CloudWatch Logs settings of a state machine, as AWS describes them (`level: 'OFF'` without logging). */
export interface LoggingConfiguration {
  level: 'ALL' | 'ERROR' | 'FATAL' | 'OFF';
  includeExecutionData: boolean;
  destinations?: Array<{ cloudWatchLogsLogGroup?: { logGroupArn?: string } }>;
}

export interface StateMachineRegistration {
  arn: string;
  name: string;
  /** Plain ASL after intrinsic resolution, as an object or as the JSON text to show in DescribeStateMachine. */
  definition: object | string;
  /** Default: `arn:aws:iam::<account>:role/local-stepfunctions`. */
  roleArn?: string;
  loggingConfiguration?: LoggingConfiguration;
}

export interface StateMachineListItem {
  stateMachineArn: string;
  name: string;
  type: 'STANDARD';
  creationDate: Date;
}

export interface StateMachineDescription {
  stateMachineArn: string;
  name: string;
  status: 'ACTIVE';
  definition: string;
  roleArn: string;
  type: 'STANDARD';
  creationDate: Date;
  loggingConfiguration: LoggingConfiguration;
  tracingConfiguration: { enabled: boolean };
}

export interface StateMachineForExecution {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  /** When the engine first saw the current definition of the machine. */
  updateDate: Date;
  loggingConfiguration: LoggingConfiguration;
  tracingConfiguration: { enabled: boolean };
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [detailsKey: string]: unknown;
}

export interface ExecutionListItem extends ExecutionSummary {
  redriveCount: number;
  redriveDate?: Date;
}

export interface MapRunListItem {
  executionArn: string;
  mapRunArn: string;
  /** The state machine of the execution that started the map run. */
  stateMachineArn: string;
  startDate: Date;
  stopDate?: Date;
}

/** A map run's items, or its children (executions), by status, as AWS counts them (MapRunItemCounts, MapRunExecutionCounts). */
export interface MapRunCountsDescription extends MapRunCounts {
  /** The engine does not redrive children: always 0. */
  failuresNotRedrivable: number;
  pendingRedrive: number;
}

export interface MapRunDescription {
  mapRunArn: string;
  executionArn: string;
  status: MapRunStatus;
  startDate: Date;
  stopDate?: Date;
  /** 0: no limit but the engine's. */
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  itemCounts: MapRunCountsDescription;
  executionCounts: MapRunCountsDescription;
  /** The engine does not redrive map runs: always 0. */
  redriveCount: number;
}

/**
 * The Step Functions operations the engine serves, with AWS's names in camelCase and dates as Date
 * (json-protocol.ts turns them into the AWS JSON 1.0 wire format).
 */
export interface StepFunctionsApi {
  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): Promise<{ executionArn: string; startDate: Date }>;
  sendTaskSuccess(input: { taskToken: string; output: string }): Promise<void>;
  sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Promise<void>;
  sendTaskHeartbeat(input: { taskToken: string }): Promise<void>;
  describeExecution(input: { executionArn: string }): Promise<ExecutionDescription>;
  listStateMachines(input?: { maxResults?: number; nextToken?: string }): Promise<{ stateMachines: StateMachineListItem[]; nextToken?: string }>;
  describeStateMachine(input: { stateMachineArn: string }): Promise<StateMachineDescription>;
  describeStateMachineForExecution(input: { executionArn: string }): Promise<StateMachineForExecution>;
  getExecutionHistory(input: HistoryQuery): Promise<{ events: HistoryEvent[]; nextToken?: string }>;
  listExecutions(input: ExecutionsQuery): Promise<{ executions: ExecutionListItem[]; nextToken?: string }>;
  stopExecution(input: { executionArn: string; error?: string; cause?: string }): Promise<{ stopDate: Date }>;
  redriveExecution(input: { executionArn: string; clientToken?: string }): Promise<{ redriveDate: Date }>;
  listMapRuns(input: { executionArn: string; maxResults?: number; nextToken?: string }): Promise<{ mapRuns: MapRunListItem[]; nextToken?: string }>;
  describeMapRun(input: { mapRunArn: string }): Promise<MapRunDescription>;
}

export interface HistoryQuery {
  executionArn: string;
  maxResults?: number;
  nextToken?: string;
  reverseOrder?: boolean;
  /** false leaves out the inputs and outputs of the events. */
  includeExecutionData?: boolean;
}

export interface ExecutionsQuery {
  stateMachineArn: string;
  statusFilter?: string;
  redriveFilter?: string;
  maxResults?: number;
  nextToken?: string;
}
