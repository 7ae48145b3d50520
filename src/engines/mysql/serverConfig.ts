/** The config of a MySQL / MariaDB server (`kind: mysql`, e.g. url mysql://migrator@db:3306): only the shared fields. */
import { z } from 'zod';
import { serverBaseSchema } from '../serverConnection';

export const mysqlServerSchema = serverBaseSchema.extend({ kind: z.literal('mysql') });
export type MysqlServerConfig = z.infer<typeof mysqlServerSchema>;
