/** Workflows for the intake tests: the real intakeScan, and a stand-in tenantMigration that only echoes its input. */
import type { TenantMigrationInput } from '../../src/contract/migration';

export { intakeScan } from '../../src/workflows/intakeScan';

export async function tenantMigration(input: TenantMigrationInput): Promise<TenantMigrationInput> {
  return input;
}
