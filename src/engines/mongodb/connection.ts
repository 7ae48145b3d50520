/** MongoDB connections through the official driver only (FerretDB here, any MongoDB elsewhere). */
import { MongoClient } from 'mongodb';

export interface MongoConnectOptions {
  /** mongodb://host:port/ (database picked by name, not by URL path). */
  url: string;
  password?: string;
}

export async function connectMongo(opts: MongoConnectOptions): Promise<MongoClient> {
  const u = new URL(opts.url);
  if (opts.password) u.password = encodeURIComponent(opts.password);
  // Short server selection: an unreachable server fails fast and the activity retries.
  return MongoClient.connect(u.toString(), { serverSelectionTimeoutMS: 10_000, maxPoolSize: 16 });
}
