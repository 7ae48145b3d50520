import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/**
 * Non-ASCII characters as `\uXXXX` escapes. V8 keeps the workflow thread's copy of the bundle
 * (3.3 MB, two thirds its inline source map) as a two-byte string when any character is beyond
 * Latin-1: ~70 arrows and dashes in comments and messages doubled it to 6.7 MB of heap. The
 * escapes read the same in strings, template literals and comments (none is in `String.raw`).
 */
function asciiOnly(code: string): string {
  return code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Child-process entry: bundles src/workflows into the given file (atomically). */
async function main(out: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') });
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, asciiOnly(code));
  renameSync(tmp, out);
}

main(process.argv[2]).catch((err) => {
  console.error(`workflow bundle: ${(err as Error).message}`);
  process.exit(1);
});
