import { randomUUID } from 'node:crypto';
import type { EngineCore } from './core.js';
import { CommitConflictError, FencedError, SfnError } from './errors.js';
import { dueAttributes, tokenKey, type Cursor, type ExecutionItem, type NewEvent, type Outcome, type TokenItem } from './store.js';
import { CALLBACK_RESOURCE } from './tasks.js';
import { parseJson } from './validation.js';

/** DynamoDB's largest partition key value, in UTF-8 bytes. */
const MAX_PARTITION_KEY_BYTES = 2048;

/** SendTaskSuccess/Failure/Heartbeat and callback deadlines: a token's outcome is recorded once, then its execution resumes. */
export class Callbacks {
  constructor(private readonly core: EngineCore) {}

  async sendTaskSuccess(input: { taskToken: string; output: string }): Promise<void> {
    if (typeof input.output !== 'string') throw new SfnError('ValidationException', 'output must be a string');
    parseJson(input.output, 'InvalidOutput', 'Output');
    await this.complete(input.taskToken, { kind: 'success', output: input.output });
  }

  async sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Promise<void> {
    await this.complete(input.taskToken, { kind: 'failure', error: input.error ?? '', cause: input.cause ?? '' });
  }

  async sendTaskHeartbeat(input: { taskToken: string }): Promise<void> {
    this.core.requireStarted();
    const token = await this.requireToken(input.taskToken);
    await this.core.locks.run(token.executionArn, async () => {
      const stored = await this.core.store.getToken(token.token);
      const execution = await this.core.store.getExecution(token.executionArn);
      if (stored?.status !== 'PARKED' || !this.isLive(execution, token.token)) throw new SfnError('TaskTimedOut', 'Task Timed Out');
      if (stored.heartbeatSeconds === undefined) return;
      const heartbeatDeadline = this.core.now() + stored.heartbeatSeconds * 1000;
      const due = Math.min(heartbeatDeadline, stored.deadline ?? Infinity);
      const updated = await this.core.store.updateToken(token.token, {
        set: { heartbeatDeadline, ...dueAttributes(due) },
        condition: '#status = :parked',
        values: { ':parked': 'PARKED' },
      });
      if (!updated) throw new SfnError('TaskTimedOut', 'Task Timed Out');
    });
  }

  /** Records the outcome of a parked (or still running) callback task and resumes its execution. */
  async complete(taskToken: string, outcome: Outcome, options: { deadline?: boolean } = {}): Promise<void> {
    this.core.requireStarted();
    const token = await this.requireToken(taskToken);
    let resume: ExecutionItem | undefined;
    await this.core.locks.run(token.executionArn, async () => {
      const stored = await this.core.store.getToken(token.token);
      if (stored?.status !== 'PARKED') throw new SfnError('TaskTimedOut', 'Task Timed Out');
      if (options.deadline && Math.min(stored.deadline ?? Infinity, stored.heartbeatDeadline ?? Infinity) > this.core.now()) return;
      const execution = await this.core.store.getExecution(stored.executionArn);
      if (!execution || !this.isLive(execution, stored.token)) {
        // The execution ended or moved on (a re-run after a crash hands out a new token).
        await this.core.store.updateToken(stored.token, { set: { status: 'DONE' }, remove: ['duePk', 'dueSk'] });
        throw new SfnError('TaskTimedOut', 'Task Timed Out');
      }
      // A run of this process still inside the task takes the outcome itself; otherwise start one.
      const takeOver = execution.cursor?.mode === 'parked' || !this.core.runs.has(execution.executionArn);
      const runId = takeOver ? randomUUID() : execution.runId;
      const event: NewEvent =
        outcome.kind === 'success'
          ? { type: 'TaskSucceeded', details: { taskSucceededEventDetails: { ...CALLBACK_RESOURCE, output: outcome.output } } }
          : outcome.kind === 'failure'
            ? { type: 'TaskFailed', details: { taskFailedEventDetails: { ...CALLBACK_RESOURCE, error: outcome.error, cause: outcome.cause } } }
            : { type: 'TaskTimedOut', details: { taskTimedOutEventDetails: { ...CALLBACK_RESOURCE, error: 'States.Timeout' } } };
      const cursor: Cursor = { mode: 'resume', stateName: stored.stateName, input: stored.input, outcome };
      try {
        const updated = await this.core.store.commit(execution.executionArn, {
          runId: execution.runId,
          events: [event],
          set: { runId, cursor },
          extra: this.core.store.completeTokenItems(stored.token, stored.executionArn, outcome),
        });
        if (takeOver) resume = updated;
      } catch (error) {
        if (error instanceof CommitConflictError || error instanceof FencedError) throw new SfnError('TaskTimedOut', 'Task Timed Out');
        // Applied with its answer lost, the token is done: no callback or deadline would resume the execution again.
        if (takeOver) this.core.relaunch(execution.executionArn, [runId], error);
        throw error;
      }
    });
    if (resume) this.core.launch(resume);
  }

  private isLive(execution: ExecutionItem | undefined, token: string): boolean {
    const cursor = execution?.cursor;
    return execution?.status === 'RUNNING' && (cursor?.mode === 'enter' || cursor?.mode === 'parked') && cursor.token === token;
  }

  private async requireToken(taskToken: unknown): Promise<TokenItem> {
    if (typeof taskToken !== 'string' || taskToken.length < 1 || taskToken.length > 2048) throw new SfnError('InvalidToken', 'Invalid Token');
    // No token the engine hands out is this long: the key would be past DynamoDB's 2048 bytes, which refuses the read.
    if (Buffer.byteLength(tokenKey(taskToken).pk) > MAX_PARTITION_KEY_BYTES) throw new SfnError('InvalidToken', 'Invalid Token');
    const token = await this.core.store.getToken(taskToken);
    if (!token) throw new SfnError('InvalidToken', 'Invalid Token');
    return token;
  }
}
