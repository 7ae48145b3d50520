/**
 * Opens Temporal connections from the resolved settings (connectionSettings.ts): a client
 * connection for the CLI and activities, a native connection for workers.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { connectionOptions, resolveTemporalConnection, type TemporalConnectionSettings, type TemporalOverrides } from './connectionSettings';

export async function connectTemporalClient(settings: TemporalConnectionSettings | TemporalOverrides = {}): Promise<Client> {
  const s = 'description' in settings ? settings : resolveTemporalConnection(settings);
  const connection = await Connection.connect({ ...connectionOptions(s), connectTimeout: '10s' });
  return new Client({ connection, namespace: s.namespace });
}

export async function connectTemporalWorker(settings: TemporalConnectionSettings): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(settings));
}
