import { classified, config } from './activityContext';
import { withHeartbeat } from './auditTenantSource';
import type { SplitWaveAccounting, SplitWaveAccountingRequest } from '../contract/splitAccounting';
import { accountSplitWave as account } from '../split/waveAccounting';

/** Activity: the split wave's accounting of every source row (see split/waveAccounting). Idempotent: it only reads and rewrites its report file. */
export async function accountSplitWave(req: SplitWaveAccountingRequest): Promise<SplitWaveAccounting> {
  return classified(`wave ${req.waveId}: split accounting of ${req.source.server}/${req.source.database}`,
    () => withHeartbeat({ phase: 'split-accounting' }, () => account(config(), req)));
}
