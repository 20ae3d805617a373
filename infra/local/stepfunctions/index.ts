export {
  LocalStepFunctions,
  type ExecutionDescription,
  type ExecutionListItem,
  type ExecutionStatus,
  type HistoryEvent,
  type InvokeResult,
  type LambdaInvoker,
  type LocalStepFunctionsOptions,
} from './engine.js';
export { SfnError, type SfnErrorType } from './errors.js';
export { engineTableDefinition } from './store.js';
export { handleSfnJson } from './json-protocol.js';
