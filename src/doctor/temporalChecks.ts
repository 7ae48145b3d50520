/**
 * Doctor: Temporal is reachable with the resolved settings (TLS, API key, profile), the namespace
 * exists, tmig's search attributes are registered as Keyword, and workers poll both task queues.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { connectTemporalClient } from '../temporal/connect';
import { resolveTemporalConnection, type TemporalOverrides } from '../temporal/connectionSettings';
import { ALL_SEARCH_ATTRIBUTES } from '../contract/searchAttributes';
import { HEAVY_TASK_QUEUE, TASK_QUEUE } from '../contract/names';
import { fail, ok, reason, skip, warn, type CheckResult } from './checkResult';

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const PERMISSION_DENIED = 7;

export async function checkTemporal(overrides: TemporalOverrides, opts: { workers?: boolean } = {}): Promise<CheckResult[]> {
  let settings: ReturnType<typeof resolveTemporalConnection>;
  try {
    settings = resolveTemporalConnection(overrides);
  } catch (err) {
    return [fail('temporal', 'settings', reason(err))];
  }
  const subject = settings.description;
  let client: Client;
  try {
    client = await connectTemporalClient(settings);
  } catch (err) {
    return [fail('temporal', subject, `cannot connect: ${reason(err)}`),
      skip('search-attributes', settings.namespace, 'Temporal unreachable')];
  }
  const results: CheckResult[] = [];
  try {
    try {
      const info = await client.workflowService.getSystemInfo({});
      await client.workflowService.describeNamespace({ namespace: settings.namespace });
      results.push(ok('temporal', subject, `reachable${info.serverVersion ? `: server ${info.serverVersion}` : ''}, namespace ${settings.namespace} exists`));
    } catch (err) {
      results.push(fail('temporal', subject, /not.?found/i.test(reason(err))
        ? `namespace ${settings.namespace} does not exist` : `cannot talk to Temporal: ${reason(err)}`));
      results.push(skip('search-attributes', settings.namespace, 'Temporal unreachable'));
      return results;
    }
    results.push(...await checkSearchAttributes(client, settings.namespace));
    if (opts.workers !== false) results.push(...await checkPollers(client, settings.namespace));
    return results;
  } finally {
    await client.connection.close().catch(() => undefined);
  }
}

async function checkSearchAttributes(client: Client, namespace: string): Promise<CheckResult[]> {
  let custom: Record<string, number>;
  try {
    custom = (await client.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch (err) {
    const code = (err as { code?: number }).code;
    return [warn('search-attributes', namespace, code === PERMISSION_DENIED
      ? 'not allowed to list search attributes with these credentials (Temporal Cloud: check them in the namespace settings)'
      : `cannot list search attributes: ${reason(err)}`)];
  }
  return ALL_SEARCH_ATTRIBUTES.map(({ name }) => {
    const type = custom[name];
    if (type === undefined) {
      return fail('search-attributes', name, `not registered on namespace ${namespace}: temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword`);
    }
    if (type !== KEYWORD) return fail('search-attributes', name, `registered with type ${temporal.api.enums.v1.IndexedValueType[type]}, tmig needs Keyword`);
    return ok('search-attributes', name, 'registered (Keyword)');
  });
}

async function checkPollers(client: Client, namespace: string): Promise<CheckResult[]> {
  return Promise.all([TASK_QUEUE, HEAVY_TASK_QUEUE].map(async (queue) => {
    try {
      const r = await client.workflowService.describeTaskQueue({
        namespace, taskQueue: { name: queue }, taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      const n = r.pollers?.length ?? 0;
      return n > 0 ? ok('workers', queue, `${n} worker(s) polling`) : warn('workers', queue, 'no worker polls this task queue (start one: npm run worker, WORKER_ROLE=all|light|heavy)');
    } catch (err) {
      return warn('workers', queue, `cannot describe the task queue: ${reason(err)}`);
    }
  }));
}
