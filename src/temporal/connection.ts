/**
 * The Temporal client connection used by the CLI, workers, intake and the governor activity.
 * Address, namespace, TLS, API key and profile come from connectionSettings.ts; `target` fields win.
 */
import type { Client } from '@temporalio/client';
import { connectTemporalClient } from './connect';
import { resolveTemporalConnection } from './connectionSettings';

/** Address and namespace; a field left out comes from the environment or the Temporal profile. */
export interface TemporalTarget {
  address?: string;
  namespace?: string;
}

export function temporalTargetFromEnv(): Required<TemporalTarget> {
  const s = resolveTemporalConnection();
  return { address: s.address, namespace: s.namespace };
}

export async function connectClient(target: TemporalTarget = {}): Promise<Client> {
  return connectTemporalClient(target);
}
