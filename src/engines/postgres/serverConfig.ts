/** The config of a PostgreSQL server (`kind: postgres`): only the shared fields. */
import { z } from 'zod';
import { serverBaseSchema } from '../serverConnection';

export const postgresServerSchema = serverBaseSchema.extend({ kind: z.literal('postgres') });
export type PostgresServerConfig = z.infer<typeof postgresServerSchema>;
