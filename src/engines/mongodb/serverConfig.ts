/** The config of a MongoDB server (`kind: mongodb`, e.g. url mongodb://host:27017/): only the shared fields. */
import { z } from 'zod';
import { serverBaseFor } from '../serverConnection';

export const mongodbServerSchema = serverBaseFor(['mongodb', 'mongodb+srv'], 'mongodb://migrator@mongo1:27017/').extend({ kind: z.literal('mongodb') });
export type MongodbServerConfig = z.infer<typeof mongodbServerSchema>;
