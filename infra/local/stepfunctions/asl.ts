/** What the engine's modules share of ASL: state fields, reference paths, the library's timer bounds. */

/** Largest delay setTimeout accepts (2^31 - 1 ms, ~24.8 days); longer values fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;
/** A Task TimeoutSeconds the library can arm without overflow; also replaces its 60 s default (AWS has none). */
export const MAX_LIBRARY_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

export interface StateDefinition {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  InputPath?: string | null;
  Parameters?: unknown;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Iterator?: NestedDefinition;
  ItemProcessor?: NestedDefinition;
  Branches?: NestedDefinition[];
  [key: string]: unknown;
}

export interface NestedDefinition {
  StartAt: string;
  States: Record<string, StateDefinition>;
}

/** A JSONPath reference path (`$`, `$.a.b`, `$['a']`, `$.a[0]`, `$$.` for the context object), as ASL allows in *Path fields. */
export function readPath(path: string, input: unknown, context?: unknown): unknown {
  return compilePath(path)(input, context);
}

/** A reference path parsed once, for paths read many times (a Distributed Map's ItemSelector, per item). */
export function compilePath(path: string): (input: unknown, context?: unknown) => unknown {
  const fromContext = path.startsWith('$$');
  if (!path.startsWith('$')) throw new Error(`Invalid reference path ${path}`);
  let rest = path.slice(fromContext ? 2 : 1);
  const keys: Array<string | number> = [];
  const segment = /^(?:\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;
  while (rest.length > 0) {
    const match = segment.exec(rest);
    if (!match) throw new Error(`Invalid reference path ${path}`);
    keys.push(match[1] ?? (match[2] !== undefined ? Number(match[2]) : (match[3] ?? match[4]!)));
    rest = rest.slice(match[0].length);
  }
  return (input, context) => {
    let target = fromContext ? context : input;
    for (const key of keys) {
      if (target === null || typeof target !== 'object' || !(key in target)) throw new Error(`Path ${path} does not point to a value`);
      target = (target as Record<string | number, unknown>)[key];
    }
    return target;
  };
}

/** The effective input of a state after its InputPath (null means `{}`, as in ASL). */
export function applyInputPath(state: StateDefinition, input: unknown): unknown {
  if (state.InputPath === null) return {};
  if (state.InputPath === undefined) return input;
  return readPath(state.InputPath, input);
}
