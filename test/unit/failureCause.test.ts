/** The innermost cause and its type, through Temporal's wrappers; cancellation reads "cancelled by operator". */
import { describe, expect, it } from 'vitest';
import { ApplicationFailure, CancelledFailure, ChildWorkflowFailure, RetryState } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { causeChainText, failureCause, oneLineCause } from '../../src/contract/failureCause';

describe('failureCause', () => {
  it('finds the innermost message and the most specific type under a client and child wrapper', () => {
    const inner = ApplicationFailure.create({ type: 'SourceMissing', message: 'source database "x" does not exist on server "local"', nonRetryable: true });
    const child = new ChildWorkflowFailure('default', { workflowId: 'tenant-a@w', runId: 'r' }, 'tenantMigration', RetryState.NON_RETRYABLE_FAILURE, inner);
    const err = new WorkflowFailedError('Workflow execution failed', child, RetryState.NON_RETRYABLE_FAILURE);
    expect(failureCause(err)).toMatchObject({ type: 'SourceMissing', message: 'source database "x" does not exist on server "local"', cancelled: false });
    expect(oneLineCause(err)).toBe('source database "x" does not exist on server "local" [SourceMissing]');
    expect(causeChainText(err).split('\n')).toHaveLength(3);
    expect(causeChainText(err)).toContain('caused by ChildWorkflowFailure: Child Workflow execution failed');
  });

  it('a cancelled child reads "cancelled by operator", not "Child Workflow execution failed"', () => {
    const child = new ChildWorkflowFailure('default', { workflowId: 'tenant-a@w', runId: 'r' }, 'tenantMigration', RetryState.NON_RETRYABLE_FAILURE, new CancelledFailure(''));
    expect(failureCause(child)).toMatchObject({ type: 'Cancelled', message: 'cancelled by operator', cancelled: true });
  });

  it('a transport error keeps its code; an AggregateError follows its first error', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const agg = new AggregateError([refused], '');
    const wrapped = new Error('cannot list databases', { cause: agg });
    expect(failureCause(wrapped)).toMatchObject({ type: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(oneLineCause('plain')).toBe('plain');
  });
});
