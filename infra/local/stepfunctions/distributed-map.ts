import './polyfill.js';
import { createHash } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/** The library's run input type (not exported by it). */
export type JSONValue = Parameters<StateMachine['run']>[0];
import { MAX_LIBRARY_TIMEOUT_SECONDS, compilePath, type StateDefinition } from './asl.js';

/** A Distributed Map's processor, as the library runs each child. */
export interface ProcessorDefinition {
  StartAt: string;
  States: Record<string, StateDefinition>;
}

type InputType = 'JSON' | 'JSONL' | 'CSV';
export type Transformation = 'NONE' | 'COMPACT' | 'FLATTEN';

/** What the engine keeps of a top-level Distributed Map state (checked at registration). */
export interface DistributedMapSpec {
  name: string;
  /** Label, else the state name: it names the map run and the child executions. */
  label: string;
  executionType: 'STANDARD' | 'EXPRESS';
  reader?: { inputType: InputType; headers?: string[]; delimiter: string; maxItems?: number };
  itemSelector?: unknown;
  batcher?: { maxItems?: number; maxBytes?: number };
  maxConcurrency?: number;
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
  /** `s3`: the results go to S3 and the output is the manifest's location. */
  writer: { s3: boolean; transformation: Transformation };
  processor: StateMachine;
}

/**
 * The map's settings the library evaluates against the state's effective input (the `.$` fields, paths and
 * intrinsics), handed to the engine's task handler of the rewritten state. `input` is the effective input.
 */
export interface MapParameters {
  input?: unknown;
  items?: unknown;
  reader?: { Bucket?: unknown; Key?: unknown };
  writer?: { Bucket?: unknown; Prefix?: unknown };
  batchInput?: unknown;
  maxItems?: unknown;
  maxItemsPerBatch?: unknown;
  maxInputBytesPerBatch?: unknown;
  maxConcurrency?: unknown;
  toleratedFailureCount?: unknown;
  toleratedFailurePercentage?: unknown;
}

const DELIMITERS: Record<string, string> = { COMMA: ',', PIPE: '|', SEMICOLON: ';', SPACE: ' ', TAB: '\t' };
const S3_GET_OBJECT = /^arn:[^:]+:states:::s3:getObject$/;
const S3_PUT_OBJECT = /^arn:[^:]+:states:::s3:putObject$/;
/** A placeholder resource: the rewritten state's task handler is the engine's (taskResourceLocalHandlers, by name). */
const MAP_TASK_RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:local-distributed-map';

export const isDistributedMap = (state: StateDefinition) =>
  state.Type === 'Map' && (state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig?.Mode === 'DISTRIBUTED';

interface MapFields {
  Label?: string;
  ItemsPath?: string;
  ItemSelector?: unknown;
  Parameters?: unknown;
  ItemReader?: { Resource?: string; Parameters?: unknown; ReaderConfig?: Record<string, unknown> };
  ItemBatcher?: Record<string, unknown>;
  ResultWriter?: { Resource?: string; Parameters?: unknown; WriterConfig?: { Transformation?: string; OutputType?: string } };
  MaxConcurrency?: number;
  MaxConcurrencyPath?: string;
  ToleratedFailureCount?: number;
  ToleratedFailureCountPath?: string;
  ToleratedFailurePercentage?: number;
  ToleratedFailurePercentagePath?: string;
  ItemProcessor: ProcessorDefinition & { ProcessorConfig?: { ExecutionType?: string } };
}

/**
 * Checks a top-level Distributed Map state and returns its spec, and the Task state that replaces it in the
 * library's definition: the library evaluates its InputPath and the map's dynamic fields (Parameters), then calls
 * the engine, which runs the map run and parks the execution; ResultSelector/ResultPath/OutputPath/Retry/Catch apply
 * to the map's result as to a task's.
 */
export function distributedMapOf(
  name: string,
  state: StateDefinition,
  processor: ProcessorDefinition,
  s3: { getObject: boolean; putObject: boolean },
  where: string,
): { spec: DistributedMapSpec; task: StateDefinition } {
  const map = state as unknown as MapFields;
  const fail = (message: string): never => {
    throw new Error(`${where}, Distributed Map ${name}: ${message}`);
  };
  const parameters: Record<string, unknown> = { 'input.$': '$' };
  const path = (key: keyof MapParameters, value: unknown) => {
    if (value === undefined) return;
    if (typeof value !== 'string') fail(`${key} path must be a string`);
    parameters[`${key}.$`] = value;
  };

  const executionType = map.ItemProcessor.ProcessorConfig?.ExecutionType ?? 'STANDARD';
  if (executionType !== 'STANDARD' && executionType !== 'EXPRESS') throw new Error(`${where}, Distributed Map ${name}: unknown ExecutionType ${executionType}`);

  let reader: DistributedMapSpec['reader'];
  if (map.ItemReader) {
    if (!S3_GET_OBJECT.test(map.ItemReader.Resource ?? '')) fail(`ItemReader resource ${map.ItemReader.Resource ?? '(none)'} is not supported (the local engine reads arn:aws:states:::s3:getObject)`);
    if (!s3.getObject) fail('an ItemReader needs the engine option s3 (getObject)');
    const config = map.ItemReader.ReaderConfig ?? {};
    const inputType = (config.InputType ?? 'JSON') as InputType;
    if (!['JSON', 'JSONL', 'CSV'].includes(inputType)) fail(`ReaderConfig.InputType ${String(inputType)} is not supported (JSON, JSONL, CSV)`);
    const delimiter = DELIMITERS[String(config.CSVDelimiter ?? 'COMMA')] ?? fail(`unknown CSVDelimiter ${String(config.CSVDelimiter)}`);
    let headers: string[] | undefined;
    if (inputType === 'CSV') {
      const location = config.CSVHeaderLocation ?? 'FIRST_ROW';
      if (location === 'GIVEN') {
        if (!Array.isArray(config.CSVHeaders) || !config.CSVHeaders.every((header) => typeof header === 'string')) fail('CSVHeaders must list the column names');
        headers = config.CSVHeaders as string[];
      } else if (location !== 'FIRST_ROW') fail(`unknown CSVHeaderLocation ${String(location)}`);
    }
    reader = { inputType, headers, delimiter, maxItems: config.MaxItems as number | undefined };
    parameters.reader = map.ItemReader.Parameters ?? {};
    path('maxItems', config.MaxItemsPath);
  } else {
    parameters['items.$'] = map.ItemsPath ?? '$';
  }

  let batcher: DistributedMapSpec['batcher'];
  if (map.ItemBatcher) {
    const b = map.ItemBatcher;
    batcher = { maxItems: b.MaxItemsPerBatch as number | undefined, maxBytes: b.MaxInputBytesPerBatch as number | undefined };
    if (b.BatchInput !== undefined) parameters.batchInput = b.BatchInput;
    path('maxItemsPerBatch', b.MaxItemsPerBatchPath);
    path('maxInputBytesPerBatch', b.MaxInputBytesPerBatchPath);
    if (batcher.maxItems === undefined && batcher.maxBytes === undefined && b.MaxItemsPerBatchPath === undefined && b.MaxInputBytesPerBatchPath === undefined) {
      fail('ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path)');
    }
  }
  path('maxConcurrency', map.MaxConcurrencyPath);
  path('toleratedFailureCount', map.ToleratedFailureCountPath);
  path('toleratedFailurePercentage', map.ToleratedFailurePercentagePath);

  let writer: DistributedMapSpec['writer'] = { s3: false, transformation: 'COMPACT' };
  if (map.ResultWriter) {
    const { Resource, WriterConfig } = map.ResultWriter;
    const toS3 = Resource !== undefined;
    if (toS3 && !S3_PUT_OBJECT.test(Resource)) fail(`ResultWriter resource ${Resource} is not supported (arn:aws:states:::s3:putObject)`);
    if (toS3 && !s3.putObject) fail('a ResultWriter needs the engine option s3 with putObject');
    if (WriterConfig?.OutputType !== undefined && WriterConfig.OutputType !== 'JSON') fail('ResultWriter OutputType JSONL is not supported by the local engine');
    const transformation = (WriterConfig?.Transformation ?? (toS3 ? 'NONE' : 'COMPACT')) as Transformation;
    if (!['NONE', 'COMPACT', 'FLATTEN'].includes(transformation)) fail(`unknown Transformation ${transformation}`);
    writer = { s3: toS3, transformation };
    if (toS3) parameters.writer = map.ResultWriter.Parameters ?? {};
  }

  const spec: DistributedMapSpec = {
    name,
    label: map.Label ?? name,
    executionType,
    reader,
    itemSelector: map.ItemSelector ?? map.Parameters,
    batcher,
    maxConcurrency: map.MaxConcurrency,
    toleratedFailureCount: map.ToleratedFailureCount,
    toleratedFailurePercentage: map.ToleratedFailurePercentage,
    writer,
    // Validated here, once: a bad processor is refused at registration.
    processor: new StateMachine({ StartAt: processor.StartAt, States: processor.States } as unknown as StateMachineDefinition),
  };

  const task: StateDefinition = {
    Type: 'Task',
    Resource: MAP_TASK_RESOURCE,
    Parameters: parameters,
    // The map run may last long: the engine parks the execution, no library timer should fire.
    TimeoutSeconds: MAX_LIBRARY_TIMEOUT_SECONDS,
  };
  for (const key of ['Comment', 'InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Catch', 'Next', 'End']) {
    if (state[key] !== undefined) task[key] = state[key];
  }
  return { spec, task };
}

/** The settings of one map run: the static ones of the spec, or their Path forms evaluated for this run. */
export interface MapRunSettings {
  maxItemsPerBatch?: number;
  maxInputBytesPerBatch?: number;
  maxConcurrency: number;
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
  maxItems?: number;
}

export function runSettings(spec: DistributedMapSpec, parameters: MapParameters): MapRunSettings {
  const integer = (value: unknown, field: string, min = 0): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new Error(`${field} must be an integer >= ${min}`);
    return value;
  };
  const percentage = parameters.toleratedFailurePercentage ?? spec.toleratedFailurePercentage;
  if (percentage !== undefined && (typeof percentage !== 'number' || percentage < 0 || percentage > 100)) throw new Error('ToleratedFailurePercentage must be a number between 0 and 100');
  return {
    maxItemsPerBatch: integer(parameters.maxItemsPerBatch ?? spec.batcher?.maxItems, 'MaxItemsPerBatch', 1),
    maxInputBytesPerBatch: integer(parameters.maxInputBytesPerBatch ?? spec.batcher?.maxBytes, 'MaxInputBytesPerBatch', 1),
    maxConcurrency: integer(parameters.maxConcurrency ?? spec.maxConcurrency, 'MaxConcurrency') ?? 0,
    toleratedFailureCount: integer(parameters.toleratedFailureCount ?? spec.toleratedFailureCount, 'ToleratedFailureCount'),
    toleratedFailurePercentage: percentage as number | undefined,
    maxItems: integer(parameters.maxItems ?? spec.reader?.maxItems, 'MaxItems'),
  };
}

/** Items of an S3 object in the reader's format (JSON array, JSON Lines, CSV with a header row or given headers). */
export function parseItems(spec: NonNullable<DistributedMapSpec['reader']>, body: Uint8Array | string): unknown[] {
  const text = (typeof body === 'string' ? body : new TextDecoder().decode(body)).replace(/^\uFEFF/, '');
  if (spec.inputType === 'JSON') {
    const items: unknown = JSON.parse(text);
    if (!Array.isArray(items)) throw new Error('the JSON object is not an array');
    return items;
  }
  if (spec.inputType === 'JSONL') {
    return text
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          throw new Error(`line ${i + 1} is not JSON`);
        }
      });
  }
  const rows = csvRows(text, spec.delimiter);
  const headers = spec.headers ?? rows.shift() ?? [];
  return rows.map((row, i) => {
    if (row.length !== headers.length) throw new Error(`CSV row ${i + 1} has ${row.length} fields, the header ${headers.length}`);
    return Object.fromEntries(headers.map((header, column) => [header, row[column]!]));
  });
}

/** RFC 4180 rows (quoted fields, doubled quotes, CRLF or LF); blank lines are skipped. */
function csvRows(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  const endRow = () => {
    row.push(field);
    if (row.length > 1 || row[0] !== '' || wasQuoted) rows.push(row);
    row = [];
    field = '';
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (c === '"' && field === '') {
      quoted = wasQuoted = true;
    } else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0 || wasQuoted) endRow();
  return rows;
}

/** Identifies a map run's items, so that a run resumed after a restart can tell its items have not changed. */
export const itemsDigest = (items: unknown[]) => createHash('sha256').update(JSON.stringify(items)).digest('base64url');

/** One child run: the items [first, first + count) of the map, and its input. */
export interface Batch {
  index: number;
  first: number;
  count: number;
  input: unknown;
}

/** Children of the map run: one per item, or batches by MaxItemsPerBatch / MaxInputBytesPerBatch (input `{ BatchInput, Items }`). */
export function makeBatches(items: unknown[], batching: { batcher: boolean; maxItems?: number; maxBytes?: number; batchInput?: unknown }): Batch[] {
  if (!batching.batcher) return items.map((input, index) => ({ index, first: index, count: 1, input }));
  const batches: Batch[] = [];
  const base = batching.batchInput === undefined ? 2 : Buffer.byteLength(JSON.stringify({ BatchInput: batching.batchInput })) + 1;
  // `"Items":[` and the separators; an item bigger than the limit still gets a batch of its own.
  const overhead = base + 10;
  let current: unknown[] = [];
  let bytes = overhead;
  let first = 0;
  const close = () => {
    if (current.length === 0) return;
    const input = batching.batchInput === undefined ? { Items: current } : { BatchInput: batching.batchInput, Items: current };
    batches.push({ index: batches.length, first, count: current.length, input });
    first += current.length;
    current = [];
    bytes = overhead;
  };
  for (const item of items) {
    const size = batching.maxBytes === undefined ? 0 : Buffer.byteLength(JSON.stringify(item)) + 1;
    if (current.length > 0 && ((batching.maxItems !== undefined && current.length >= batching.maxItems) || (batching.maxBytes !== undefined && bytes + size > batching.maxBytes))) close();
    current.push(item);
    bytes += size;
  }
  close();
  return batches;
}

/** `.$` values the engine resolves itself: reference paths of the input or the context (no filters, no intrinsics). */
const REFERENCE_PATH = /^\$\$?(?:\.[^.[\]*?@()'",:$\s]+|\[\d+\]|\['[^']*'\]|\["[^"]*"\])*$/;

function isSimpleTemplate(template: unknown): boolean {
  if (Array.isArray(template)) return template.every(isSimpleTemplate);
  if (template === null || typeof template !== 'object') return true;
  return Object.entries(template).every(([key, value]) => (key.endsWith('.$') && typeof value === 'string' ? REFERENCE_PATH.test(value) : isSimpleTemplate(value)));
}

/** A payload template of reference paths, parsed once: `.$` keys read their path, other values are copied. */
function compileTemplate(template: unknown): (input: unknown, context: unknown) => unknown {
  if (Array.isArray(template)) {
    const parts = template.map(compileTemplate);
    return (input, context) => parts.map((part) => part(input, context));
  }
  if (template === null || typeof template !== 'object') return () => template;
  const fields = Object.entries(template).map(([key, value]): [string, (input: unknown, context: unknown) => unknown] =>
    key.endsWith('.$') && typeof value === 'string' ? [key.slice(0, -2), compilePath(value)] : [key, compileTemplate(value)],
  );
  return (input, context) => {
    const result: Record<string, unknown> = {};
    for (const [key, read] of fields) result[key] = read(input, context);
    return result;
  };
}

/**
 * Each item after ItemSelector (`$` the map's effective input, `$$.Map.Item.Value`/`Index` the item). Reference
 * paths are resolved here; a selector with intrinsic functions or JSONPath filters goes through the library's
 * own Map state, which costs about half a millisecond per item.
 */
export async function selectItems(template: unknown, items: unknown[], mapInput: unknown, context: Record<string, unknown>): Promise<unknown[]> {
  if (template === undefined) return items;
  if (isSimpleTemplate(template)) {
    const select = compileTemplate(template);
    const item = { Index: 0, Value: undefined as unknown };
    const itemContext = { ...context, Map: { Item: item } };
    return items.map((value, index) => {
      item.Index = index;
      item.Value = value;
      return select(mapInput, itemContext);
    });
  }
  const selector = new StateMachine(
    {
      StartAt: 'Select',
      States: {
        Select: { Type: 'Map', ItemsPath: '$$.LocalMapItems', ItemSelector: template, ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } }, End: true },
      },
    } as unknown as StateMachineDefinition,
    { validationOptions: { noValidate: true } },
  );
  return (await selector.run(mapInput as JSONValue, { context: { ...context, LocalMapItems: items } }).result) as unknown[];
}
