import { describe, expect, it } from 'vitest';
import { governorWorkflowId, poolOfGovernorWorkflowId } from '../../src/contract/governorProtocol';

describe('governor workflow ids', () => {
  it('name their pool, and the pool is read back from the id (also one that itself starts with governor-)', () => {
    for (const pool of ['pg-main', 'lock-target/tenant_db', 'governor-x', '']) {
      expect(poolOfGovernorWorkflowId(governorWorkflowId(pool))).toBe(pool);
    }
    expect(poolOfGovernorWorkflowId('tenant-hotel01@w1')).toBeUndefined();
  });
});
