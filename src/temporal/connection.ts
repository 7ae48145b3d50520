/** The Temporal client connection used by the CLI, workers, intake and the governor activity (address from the environment). */
import { Client, Connection } from '@temporalio/client';


export interface TemporalTarget {
  address: string;
  namespace: string;
}

export function temporalTargetFromEnv(): TemporalTarget {
  return {
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  };
}

export async function connectClient(target: TemporalTarget = temporalTargetFromEnv()): Promise<Client> {
  const connection = await Connection.connect({ address: target.address });
  return new Client({ connection, namespace: target.namespace });
}
