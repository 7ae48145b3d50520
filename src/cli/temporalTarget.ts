import type { Command } from 'commander';
import type { TemporalTarget } from '../temporal/connection';
import { resolveTemporalConnection } from '../temporal/connectionSettings';

/**
 * The Temporal address and namespace for any subcommand: --address/--namespace when given on the
 * command line, else TEMPORAL_ADDRESS/TEMPORAL_NAMESPACE, else the Temporal profile, else defaults.
 */
export function globalTarget(cmd: Command): Required<TemporalTarget> {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const o = root.opts<{ address?: string; namespace?: string }>();
  const fromCli = (name: string) => root.getOptionValueSource(name) === 'cli';
  const s = resolveTemporalConnection({
    address: fromCli('address') ? o.address : undefined,
    namespace: fromCli('namespace') ? o.namespace : undefined,
  });
  return { address: s.address, namespace: s.namespace };
}
