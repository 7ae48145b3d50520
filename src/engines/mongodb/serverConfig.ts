/** The config of a MongoDB server (`kind: mongodb`, e.g. url mongodb://host:27017/): only the shared fields. */
import { z } from 'zod';
import { serverBaseSchema } from '../serverConnection';

export const mongodbServerSchema = serverBaseSchema.extend({ kind: z.literal('mongodb') });
export type MongodbServerConfig = z.infer<typeof mongodbServerSchema>;
