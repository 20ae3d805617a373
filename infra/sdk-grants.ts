/**
 * From the AWS SDK commands a function's bundle holds (infra/bundles.ts, `SdkUsage`) to the IAM actions it
 * is granted (decision 17). An operation missing from these maps fails the synthesis: a new kind of call is
 * mapped once, here, and never forgotten in a grant.
 *
 * This module imports nothing from aws-cdk-lib, so the tests can read it without the CDK.
 */

/**
 * IAM actions on the table (and its indexes) per DynamoDB operation. A transaction is checked by IAM element
 * by element against PutItem, UpdateItem, DeleteItem or ConditionCheckItem, and the bundle shows the
 * transaction, not its elements: a function that writes transactions holds the four.
 * Scan is mapped so that a Scan is reported as such, and then refused (`dynamoDbGrant`).
 */
const DYNAMODB_ACTIONS: Record<string, readonly string[]> = {
  GetItem: ['dynamodb:GetItem'],
  BatchGetItem: ['dynamodb:BatchGetItem'],
  TransactGetItems: ['dynamodb:GetItem'],
  Query: ['dynamodb:Query'],
  Scan: ['dynamodb:Scan'],
  PutItem: ['dynamodb:PutItem'],
  UpdateItem: ['dynamodb:UpdateItem'],
  DeleteItem: ['dynamodb:DeleteItem'],
  BatchWriteItem: ['dynamodb:BatchWriteItem'],
  TransactWriteItems: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
  // Kept in every bundle by the client's endpoint discovery, which DynamoDB only uses when it is turned on.
  DescribeEndpoints: [],
};

const WRITE_ACTIONS = new Set(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem']);

/** Where a Step Functions action applies: the state machine, or its executions. */
export type StateMachineResource = 'stateMachine' | 'execution';

const STATES_ACTIONS: Record<string, StateMachineResource> = {
  StartExecution: 'stateMachine',
  StartSyncExecution: 'stateMachine',
  ListExecutions: 'stateMachine',
  SendTaskSuccess: 'stateMachine',
  SendTaskFailure: 'stateMachine',
  SendTaskHeartbeat: 'stateMachine',
  DescribeExecution: 'execution',
  GetExecutionHistory: 'execution',
  StopExecution: 'execution',
  RedriveExecution: 'execution',
};

/** The SDK command each messaging channel sends with. */
export const CHANNEL_COMMANDS = { email: 'sesv2:SendEmail', sms: 'pinpoint-sms-voice-v2:SendTextMessage' } as const;

/**
 * The S3 calls of the shared sender (an e-mail's attachments, read from the documents bucket), and the client's
 * S3 Express session kept with them: `bindMessaging` grants them on the attachment prefixes only.
 */
export const SENDER_S3_COMMANDS: readonly string[] = ['s3:CreateSession', 's3:GetObject'];

/**
 * The commands of a bundle that are its own code's rather than the shared sender's: a bundle that sends and whose
 * S3 calls are only the sender's reads has no S3 call of its own (it gets the attachment prefixes with messaging,
 * not the whole bucket); one that also writes, copies or deletes documents keeps all its S3 calls.
 */
export function ownCommands(commands: readonly string[]): string[] {
  const s3 = commands.filter((command) => command.startsWith('s3:'));
  const sends = commands.includes(CHANNEL_COMMANDS.email);
  if (!sends || !s3.every((command) => SENDER_S3_COMMANDS.includes(command))) return [...commands];
  return commands.filter((command) => !command.startsWith('s3:'));
}

/** Commands of a client (`dynamodb`, `sfn`, ...) among `commands`, without the client prefix. */
export const operationsOf = (client: string, commands: readonly string[]): string[] =>
  commands.filter((command) => command.startsWith(`${client}:`)).map((command) => command.slice(client.length + 1));

export interface DynamoDbGrant {
  /** Sorted IAM actions on the table. */
  actions: string[];
  /** True when some action writes (the table's key must then encrypt too). */
  writes: boolean;
  /** True when the indexes' ARNs are granted as well: the function names an index in a Query. */
  indexes: boolean;
}

/**
 * The table grant of a function whose bundle holds these commands; undefined when it makes no DynamoDB call.
 * @example dynamoDbGrant('functions/referrals/get.ts', { commands: ['dynamodb:GetItem'], queriesIndex: false })
 * // { actions: ['dynamodb:GetItem'], writes: false, indexes: false }
 */
export function dynamoDbGrant(entry: string, usage: { commands: readonly string[]; queriesIndex: boolean }): DynamoDbGrant | undefined {
  const operations = operationsOf('dynamodb', usage.commands);
  if (operations.length === 0) return undefined;
  const actions = new Set<string>();
  for (const operation of operations) {
    const mapped = DYNAMODB_ACTIONS[operation];
    if (!mapped) throw new Error(`${entry} calls DynamoDB ${operation}, which infra/sdk-grants.ts does not map to IAM actions: add it there`);
    for (const action of mapped) actions.add(action);
  }
  if (actions.has('dynamodb:Scan')) throw new Error(`${entry} scans the table: no function may Scan (decision 17); query a partition or an index instead`);
  const sorted = [...actions].sort();
  const queries = actions.has('dynamodb:Query');
  return { actions: sorted, writes: sorted.some((action) => WRITE_ACTIONS.has(action)), indexes: queries && usage.queriesIndex };
}

/**
 * The Step Functions actions of a function whose bundle holds these commands, each with the resource it applies to.
 * @example statesActions('functions/referrals/submit.ts', ['sfn:StartExecution']) // [['states:StartExecution', 'stateMachine']]
 */
export function statesActions(entry: string, commands: readonly string[]): Array<[string, StateMachineResource]> {
  return operationsOf('sfn', commands).map((operation) => {
    const resource = STATES_ACTIONS[operation];
    if (!resource) throw new Error(`${entry} calls Step Functions ${operation}, which infra/sdk-grants.ts does not map to IAM actions: add it there`);
    return [`states:${operation}`, resource];
  });
}

/** IAM actions on the documents bucket's objects, per S3 operation; a HEAD is a read (s3:GetObject). */
const S3_OBJECT_ACTIONS: Record<string, readonly string[]> = {
  PutObject: ['s3:PutObject'],
  GetObject: ['s3:GetObject'],
  HeadObject: ['s3:GetObject'],
  DeleteObject: ['s3:DeleteObject'],
  CopyObject: ['s3:GetObject', 's3:PutObject'],
  ListObjectsV2: [],
  // Kept in every bundle by the client's S3 Express identity provider, used only with directory buckets (none here).
  CreateSession: [],
};

/** IAM actions on the bucket itself, per S3 operation. */
const S3_BUCKET_ACTIONS: Record<string, readonly string[]> = { ListObjectsV2: ['s3:ListBucket'] };

export interface S3Grant {
  /** Sorted actions on the bucket's objects (`<bucket ARN>/*`). */
  objectActions: string[];
  /** Sorted actions on the bucket (listing). */
  bucketActions: string[];
  /** Sorted actions on the bucket's KMS key: decrypt to read an object, generate a data key to write one. */
  keyActions: string[];
}

/**
 * The bucket grant of a function whose bundle holds these commands; undefined when it makes no S3 call. A presigned
 * URL is signed with the function's credentials: presigning a PutObject needs s3:PutObject as much as sending one.
 * @example s3Grant('functions/documents/upload.ts', ['s3:PutObject']) // { objectActions: ['s3:PutObject'], bucketActions: [], keyActions: ['kms:GenerateDataKey'] }
 */
export function s3Grant(entry: string, commands: readonly string[]): S3Grant | undefined {
  const operations = operationsOf('s3', commands);
  if (operations.length === 0) return undefined;
  const objectActions = new Set<string>();
  const bucketActions = new Set<string>();
  for (const operation of operations) {
    const mapped = S3_OBJECT_ACTIONS[operation];
    if (!mapped) throw new Error(`${entry} calls S3 ${operation}, which infra/sdk-grants.ts does not map to IAM actions: add it there`);
    for (const action of mapped) objectActions.add(action);
    for (const action of S3_BUCKET_ACTIONS[operation] ?? []) bucketActions.add(action);
  }
  const keyActions = new Set<string>();
  if (objectActions.has('s3:GetObject')) keyActions.add('kms:Decrypt');
  if (objectActions.has('s3:PutObject')) keyActions.add('kms:GenerateDataKey');
  return { objectActions: [...objectActions].sort(), bucketActions: [...bucketActions].sort(), keyActions: [...keyActions].sort() };
}
