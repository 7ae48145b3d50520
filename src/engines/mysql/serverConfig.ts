/** The config of a MySQL / MariaDB server (`kind: mysql`, e.g. url mysql://migrator@db:3306): only the shared fields. */
import { z } from 'zod';
import { serverBaseFor } from '../serverConnection';

export const mysqlServerSchema = serverBaseFor(['mysql'], 'mysql://migrator@db1:3306/').extend({ kind: z.literal('mysql') });
export type MysqlServerConfig = z.infer<typeof mysqlServerSchema>;
