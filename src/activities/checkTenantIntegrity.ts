import { classified, config } from './activityContext';
import { loadModel } from './storedModel';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';
import { openTenantSource } from '../split/sliceSource';
import type { SequenceState } from '../engines/sourceEngine';
import type { ValidationFinding } from '../contract/migration';
import { withHeartbeat } from './auditTenantSource';
import { checkTargetIntegrityByRef } from '../validation/integrityForTarget';

/**
 * Activity: structural validation of a tenant's target after post-data: keys, indexes, foreign
 * keys (validated, no orphans), column types, checks, sequences (past their columns' max and
 * past the source's positions). Returns every finding; failed ones have ok=false.
 */
export async function checkTenantIntegrity(t: TenantRef): Promise<ValidationFinding[]> {
  return classified(`${tenantLabel(t)}: check target integrity ${t.target.server}/${t.target.database}`, async () =>
    withHeartbeat({ phase: 'integrity' }, async () => {
      const cfg = config();
      const model = await loadModel(t);
      const engine = await openTenantSource(cfg, t.source, t.options);
      let sequences: SequenceState[];
      try {
        sequences = await engine.sequenceStates(model);
      } finally {
        await engine.close();
      }
      return checkTargetIntegrityByRef(cfg, t.target, model, sequences);
    }));
}
