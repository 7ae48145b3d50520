import type { Command } from 'commander';
import { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import type { TenantProgress } from '../../contract/migration';
import { loadConfig } from '../../config/loadConfig';
import { connectionUrl } from '../../engines/serverConnection';
import { dropReplication, listSlots, type SlotInfo } from '../../cdc/replicationSetup';
import { replicationNames } from '../../cdc/replicationNames';
import { cdcSummary } from './statusCommand';
import { CliError, EXIT_CODES_HELP, ExitCode, out, outJson, usageExitCodes, withClient } from '../operator';

/** `tmig cdc list` (every streaming tenant and its lag) and `tmig cdc cleanup` (drop orphaned tmig slots). */

const ONLINE_PHASES = ['cdc', 'cutover', 'rollback-window', 'rollback'];

async function runningTenants(client: Client): Promise<{ workflowId: string; tenantId: string }[]> {
  const out: { workflowId: string; tenantId: string }[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = "tenantMigration" AND ExecutionStatus = "Running"` })) {
    // `tenant-<id>@<wave>` (wave runs) or `tenant-<id>`: the slot names derive from the tenant id alone.
    out.push({ workflowId: wf.workflowId, tenantId: wf.workflowId.replace(/^tenant-/, '').replace(/@[^@]*$/, '') });
  }
  return out;
}

async function streamingTenants(client: Client): Promise<TenantProgress[]> {
  const list: TenantProgress[] = [];
  for (const t of await runningTenants(client)) {
    const p = await client.workflow.getHandle(t.workflowId).query<TenantProgress>('progress').catch(() => undefined);
    if (p?.cdc && ONLINE_PHASES.includes(p.phase)) list.push(p);
  }
  return list;
}

interface Orphan extends SlotInfo {
  server: string;
}

async function findOrphans(client: Client): Promise<Orphan[]> {
  if (!process.env.MIGRATOR_CONFIG) throw new CliError('tmig cdc cleanup reads the servers from the worker config: set MIGRATOR_CONFIG', ExitCode.Usage);
  const cfg = loadConfig();
  const owned = new Set<string>();
  for (const t of await runningTenants(client)) {
    owned.add(replicationNames(t.tenantId, 'forward').slot);
    owned.add(replicationNames(t.tenantId, 'reverse').slot);
  }
  const orphans: Orphan[] = [];
  for (const [name, server] of Object.entries(cfg.servers)) {
    if (server.kind !== 'postgres') continue;
    const db = new PgClient({ connectionString: connectionUrl(server, name, new URL(server.url).pathname.slice(1) || 'postgres'), application_name: 'tmig-cdc-cleanup' });
    await db.connect();
    try {
      for (const s of await listSlots(db)) if (!owned.has(s.slot)) orphans.push({ ...s, server: name });
    } finally {
      await db.end();
    }
  }
  return orphans;
}

export function registerCdc(program: Command): void {
  const cdc = program.command('cdc').description('Online migration streams: list them, clean up orphaned slots');
  usageExitCodes(cdc.command('list'))
    .description('Every streaming tenant: state, lag (bytes, seconds), changes/s, last applied commit, WAL held')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => withClient(cmd, async (client) => {
      const list = await streamingTenants(client);
      if (opts.json) return outJson(list.map((p) => ({ tenantId: p.tenantId, phase: p.phase, ...p.cdc })));
      if (!list.length) return out('no tenant is streaming');
      for (const p of list) out(`${p.tenantId.padEnd(24)} ${cdcSummary(p.cdc!)}`);
    }));
  usageExitCodes(cdc.command('cleanup'))
    .description('Find tmig replication slots that no running tenant owns (they hold WAL) and drop them with their publications')
    .option('--yes', 'drop them (without it, only list)')
    .addHelpText('after', `
Reads the servers from MIGRATOR_CONFIG. Only slots named tmig_* are ever touched.
${EXIT_CODES_HELP}`)
    .action(async (opts: { yes?: boolean }, cmd: Command) => withClient(cmd, async (client) => {
      const orphans = await findOrphans(client);
      if (!orphans.length) return out('no orphaned tmig slot');
      const cfg = loadConfig();
      for (const o of orphans) {
        const line = `${o.server}/${o.database} ${o.slot} holds ${(o.retainedBytes / 1024 / 1024).toFixed(1)} MB of WAL${o.active ? ' (active)' : ''}`;
        if (!opts.yes) { out(`orphan: ${line}`); continue; }
        const server = cfg.servers[o.server];
        const db = new PgClient({ connectionString: connectionUrl(server, o.server, o.database), application_name: 'tmig-cdc-cleanup' });
        await db.connect();
        try {
          await dropReplication(db, { slot: o.slot, publication: o.slot });
        } finally {
          await db.end();
        }
        out(`dropped: ${line}`);
      }
      if (!opts.yes) out('run again with --yes to drop them');
    }));
}
