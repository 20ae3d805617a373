export { LocalStepFunctions } from './engine.js';
export type {
  ExecutionDescription,
  ExecutionListItem,
  ExecutionRedriveStatus,
  ExecutionStatus,
  ExecutionsQuery,
  HistoryEvent,
  HistoryQuery,
  InvokeResult,
  LambdaInvoker,
  LocalStepFunctionsOptions,
  LoggingConfiguration,
  MapRunCountsDescription,
  MapRunDescription,
  MapRunListItem,
  MapRunStatus,
  ObjectStore,
  StateMachineDescription,
  StateMachineForExecution,
  StateMachineListItem,
  StateMachineRegistration,
  StepFunctionsApi,
} from './types.js';
export { SfnError, type SfnErrorType } from './errors.js';
export { engineTableDefinition } from './store.js';
export { handleSfnJson } from './json-protocol.js';
