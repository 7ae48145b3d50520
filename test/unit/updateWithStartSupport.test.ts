import { describe, expect, it } from 'vitest';
import { isUpdateWithStartUnavailable } from '../../src/activities/governorPermits';

/** Which errors make a permit acquire fall back from update-with-start to signal-with-start. */
describe('update-with-start unavailable', () => {
  it('is an UNIMPLEMENTED call, or updates / multi-operations turned off, also as a cause', () => {
    expect(isUpdateWithStartUnavailable(Object.assign(new Error('unknown method ExecuteMultiOperation'), { code: 12 }))).toBe(true);
    expect(isUpdateWithStartUnavailable(new Error('ExecuteMultiOperation API is disabled on this namespace'))).toBe(true);
    expect(isUpdateWithStartUnavailable(new Error('wrapped', { cause: new Error('UpdateWorkflowExecution operation is disabled') }))).toBe(true);
  });

  it('is not any other failure (those are retried or fail the acquire as before)', () => {
    expect(isUpdateWithStartUnavailable(Object.assign(new Error('connection refused'), { code: 14 }))).toBe(false);
    expect(isUpdateWithStartUnavailable(new Error('workflow execution already completed'))).toBe(false);
    expect(isUpdateWithStartUnavailable(undefined)).toBe(false);
  });
});
