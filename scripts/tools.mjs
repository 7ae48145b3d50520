// Pinned external tools, built from source with `go install` into a cache outside the checkout.
import { homedir } from 'node:os';
import { join } from 'node:path';

export const toolCache = process.env.TMIG_TOOL_CACHE ?? join(homedir(), '.cache', 'tmig', 'bin');

export const goTools = {
  temporal: { module: 'github.com/temporalio/cli/cmd/temporal', versions: ['v1.5.1', 'v1.4.1'] },
  minio: { module: 'github.com/minio/minio', versions: ['v0.0.0-20260212201848-7aac2a2c5b7c'] },
};

export function toolPath(name) {
  const tool = goTools[name];
  return join(toolCache, tool?.binary ?? name);
}

/** FerretDB is built by setup.mjs (not `go install`, see there); the file name carries the version. */
export const ferretdbBinary = {
  module: 'github.com/FerretDB/FerretDB',
  version: 'v1.24.2',
  path: join(toolCache, 'ferretdb-v1.24.2'),
};
