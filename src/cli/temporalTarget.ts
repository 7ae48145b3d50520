import type { Command } from 'commander';
import type { TemporalTarget } from '../temporal/connection';

/** The global --address/--namespace options, from any subcommand. */
export function globalTarget(cmd: Command): TemporalTarget {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const o = root.opts<{ address: string; namespace: string }>();
  return { address: o.address, namespace: o.namespace };
}
