import { SfnError } from './errors.js';

/** Characters AWS refuses in execution names: whitespace, brackets, wildcards, specials, control characters. */
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControl = (character: string) => {
  const code = character.charCodeAt(0);
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
};
export const isValidName = (name: string) => name.length >= 1 && name.length <= 80 && !INVALID_NAME_CHARACTER.test(name) && ![...name].some(isControl);

export function parseJson(text: string, type: 'InvalidExecutionInput' | 'InvalidOutput', what: string): void {
  try {
    JSON.parse(text);
  } catch {
    throw new SfnError(type, `Invalid ${what}: not valid JSON`);
  }
}

/**
 * A Step Functions ARN of the given resource type (`arn:<partition>:states:<region>:<account>:<type>:...`), else InvalidArn
 * as AWS. Map run ARNs (`mapRun:<machine>/<label>:<id>`) may have 2,000 characters, the others 256.
 */
export function requireArn(value: unknown, type: 'stateMachine' | 'execution' | 'mapRun'): string {
  const maxLength = type === 'mapRun' ? 2000 : 256;
  if (typeof value !== 'string' || value.length < 1 || value.length > maxLength) throw new SfnError('InvalidArn', `Invalid Arn: '${String(value)}'`);
  const parts = value.split(':');
  if (parts[0] !== 'arn' || parts[2] !== 'states' || parts.length < 7 || parts.some((part, i) => i !== 3 && i !== 4 && part === '')) {
    throw new SfnError('InvalidArn', `Invalid Arn: '${value}'`);
  }
  if (parts[5] !== type) throw new SfnError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${parts[5]}'`);
  return value;
}
