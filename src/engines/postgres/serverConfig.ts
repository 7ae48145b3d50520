/** The config of a PostgreSQL server (`kind: postgres`): only the shared fields. */
import { z } from 'zod';
import { serverBaseFor } from '../serverConnection';

// strict: a typo in a server's config (maxConcurency) is refused, naming it.
export const postgresServerSchema = serverBaseFor(['postgres', 'postgresql'], 'postgres://migrator@db1:5432/postgres').extend({ kind: z.literal('postgres') }).strict();
export type PostgresServerConfig = z.infer<typeof postgresServerSchema>;
