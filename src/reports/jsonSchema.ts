import { z } from 'zod';
import { tenantReportSchema, waveReportSchema } from './reportSchema';

/** JSON Schema (draft 2020-12) of the report files, for consumers outside TypeScript. */
export function reportJsonSchema(kind: 'tenant' | 'wave'): Record<string, unknown> {
  const schema = z.toJSONSchema(kind === 'tenant' ? tenantReportSchema : waveReportSchema) as Record<string, unknown>;
  return { $id: `urn:tmig:${kind}-report:v1`, title: `tmig ${kind} report, schema version 1`, ...schema };
}
