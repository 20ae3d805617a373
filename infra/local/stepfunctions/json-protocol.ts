import { SfnError } from './errors.js';
import type { HistoryEvent, StepFunctionsApi } from './types.js';

type Body = Record<string, unknown>;

/** AWS JSON 1.0 timestamps: epoch seconds as a number. */
const seconds = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);

function required(body: Body, key: string): string {
  const value = body[key];
  if (value === undefined || value === null) {
    throw new SfnError('ValidationException', `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
  }
  if (typeof value !== 'string') throw new SfnError('ValidationException', `'${key}' must be a string`);
  return value;
}

function optional(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SfnError('ValidationException', `'${key}' must be a string`);
  return value;
}

/**
 * The length constraints of the API's model, which AWS checks before the operation runs (ValidationException, the
 * value left out of the message for the sensitive members). Data members (input, output) count UTF-8 bytes.
 */
function withinLength(body: Body, key: string, min: number, max: number, options: { sensitive?: boolean; bytes?: boolean } = {}): void {
  const value = body[key];
  if (typeof value !== 'string') return;
  const length = options.bytes ? Buffer.byteLength(value) : value.length;
  if (length >= min && length <= max) return;
  const shown = options.sensitive ? 'Value' : `Value '${value.length > 100 ? `${value.slice(0, 100)}...` : value}'`;
  const rule = length < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`;
  throw new SfnError('ValidationException', `1 validation error detected: ${shown} at '${key}' failed to satisfy constraint: Member must have length ${rule}`);
}

/** The constraints of each operation's members (the Step Functions API reference), checked before the engine sees the request. */
function checkLengths(operation: string, body: Body): void {
  const data = { sensitive: true, bytes: true };
  switch (operation) {
    case 'StartExecution':
      withinLength(body, 'name', 1, 80);
      withinLength(body, 'input', 0, MAX_DATA_BYTES, data);
      break;
    case 'SendTaskSuccess':
      withinLength(body, 'taskToken', 1, 2048);
      withinLength(body, 'output', 0, MAX_DATA_BYTES, data);
      break;
    case 'SendTaskFailure':
    case 'StopExecution':
      withinLength(body, 'taskToken', 1, 2048);
      withinLength(body, 'error', 0, 256, { sensitive: true });
      withinLength(body, 'cause', 0, 32_768, { sensitive: true });
      break;
    case 'SendTaskHeartbeat':
      withinLength(body, 'taskToken', 1, 2048);
      break;
    case 'RedriveExecution':
      withinLength(body, 'clientToken', 1, 64);
      break;
    case 'DescribeMapRun':
      withinLength(body, 'mapRunArn', 1, 2000);
      break;
  }
}

/** Step Functions' largest input or output: 256 KiB of UTF-8. */
const MAX_DATA_BYTES = 262_144;

/** maxResults as sent: a number (its range is the engine's check), else the error AWS gives for a wrong type. */
function maxResults(body: Body): number | undefined {
  const value = body.maxResults;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new SfnError('ValidationException', `'maxResults' must be a number`);
  return value;
}

function flag(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new SfnError('ValidationException', `'${key}' must be a boolean`);
  return value;
}

function historyEvent(event: HistoryEvent): Body {
  const { timestamp, ...rest } = event;
  return { ...rest, timestamp: seconds(timestamp) };
}

/**
 * Serves the Step Functions operations of the AWS JSON 1.0 protocol: `operation` is the part after
 * `AWSStepFunctions.` in X-Amz-Target. API errors are 400 with `{ __type, message }`, as the SDK expects.
 */
export async function handleSfnJson(engine: StepFunctionsApi, operation: string, rawBody: unknown): Promise<{ status: number; body: unknown }> {
  try {
    const body = (rawBody ?? {}) as Body;
    if (typeof body !== 'object' || Array.isArray(body)) throw new SfnError('ValidationException', 'Request body must be a JSON object');
    checkLengths(operation, body);
    switch (operation) {
      case 'StartExecution': {
        const result = await engine.startExecution({
          stateMachineArn: required(body, 'stateMachineArn'),
          name: optional(body, 'name'),
          input: optional(body, 'input'),
        });
        return ok({ executionArn: result.executionArn, startDate: seconds(result.startDate) });
      }
      case 'SendTaskSuccess':
        await engine.sendTaskSuccess({ taskToken: required(body, 'taskToken'), output: required(body, 'output') });
        return ok({});
      case 'SendTaskFailure':
        await engine.sendTaskFailure({ taskToken: required(body, 'taskToken'), error: optional(body, 'error'), cause: optional(body, 'cause') });
        return ok({});
      case 'SendTaskHeartbeat':
        await engine.sendTaskHeartbeat({ taskToken: required(body, 'taskToken') });
        return ok({});
      case 'DescribeExecution': {
        const execution = await engine.describeExecution({ executionArn: required(body, 'executionArn') });
        return ok({
          ...execution,
          startDate: seconds(execution.startDate),
          stopDate: seconds(execution.stopDate),
          redriveDate: seconds(execution.redriveDate),
          inputDetails: { included: true },
          ...(execution.output !== undefined ? { outputDetails: { included: true } } : {}),
        });
      }
      case 'GetExecutionHistory': {
        const result = await engine.getExecutionHistory({
          executionArn: required(body, 'executionArn'),
          maxResults: maxResults(body),
          nextToken: optional(body, 'nextToken'),
          reverseOrder: flag(body, 'reverseOrder'),
          includeExecutionData: flag(body, 'includeExecutionData'),
        });
        return ok({ events: result.events.map(historyEvent), nextToken: result.nextToken });
      }
      case 'ListExecutions': {
        // A map run's child executions are not executions of their own here (no history, no description).
        if (body.mapRunArn !== undefined && body.mapRunArn !== null) {
          throw new SfnError(
            'ValidationException',
            body.stateMachineArn !== undefined && body.stateMachineArn !== null
              ? 'Specify either stateMachineArn or mapRunArn, not both'
              : "The local Step Functions does not list a map run's child executions (mapRunArn)",
          );
        }
        const result = await engine.listExecutions({
          stateMachineArn: required(body, 'stateMachineArn'),
          statusFilter: optional(body, 'statusFilter'),
          redriveFilter: optional(body, 'redriveFilter'),
          maxResults: maxResults(body),
          nextToken: optional(body, 'nextToken'),
        });
        return ok({
          executions: result.executions.map((item) => ({ ...item, startDate: seconds(item.startDate), stopDate: seconds(item.stopDate), redriveDate: seconds(item.redriveDate) })),
          nextToken: result.nextToken,
        });
      }
      case 'ListStateMachines': {
        const result = await engine.listStateMachines({ maxResults: maxResults(body), nextToken: optional(body, 'nextToken') });
        return ok({
          stateMachines: result.stateMachines.map((machine) => ({ ...machine, creationDate: seconds(machine.creationDate) })),
          nextToken: result.nextToken,
        });
      }
      case 'DescribeStateMachine': {
        const machine = await engine.describeStateMachine({ stateMachineArn: required(body, 'stateMachineArn') });
        return ok({ ...machine, creationDate: seconds(machine.creationDate) });
      }
      case 'DescribeStateMachineForExecution': {
        const machine = await engine.describeStateMachineForExecution({ executionArn: required(body, 'executionArn') });
        return ok({ ...machine, updateDate: seconds(machine.updateDate) });
      }
      case 'RedriveExecution': {
        const result = await engine.redriveExecution({ executionArn: required(body, 'executionArn'), clientToken: optional(body, 'clientToken') });
        return ok({ redriveDate: seconds(result.redriveDate) });
      }
      case 'ListMapRuns': {
        const result = await engine.listMapRuns({ executionArn: required(body, 'executionArn'), maxResults: maxResults(body), nextToken: optional(body, 'nextToken') });
        return ok({
          mapRuns: result.mapRuns.map((mapRun) => ({ ...mapRun, startDate: seconds(mapRun.startDate), stopDate: seconds(mapRun.stopDate) })),
          nextToken: result.nextToken,
        });
      }
      case 'DescribeMapRun': {
        const mapRun = await engine.describeMapRun({ mapRunArn: required(body, 'mapRunArn') });
        return ok({ ...mapRun, startDate: seconds(mapRun.startDate), stopDate: seconds(mapRun.stopDate) });
      }
      case 'StopExecution': {
        const result = await engine.stopExecution({ executionArn: required(body, 'executionArn'), error: optional(body, 'error'), cause: optional(body, 'cause') });
        return ok({ stopDate: seconds(result.stopDate) });
      }
      default:
        throw new SfnError('UnknownOperationException', `Operation ${operation} is not supported by the local Step Functions`);
    }
  } catch (error) {
    if (error instanceof SfnError) return { status: 400, body: { __type: error.type, message: error.message } };
    throw error;
  }
}

const ok = (body: unknown) => ({ status: 200, body: JSON.parse(JSON.stringify(body)) as unknown });
