/** `tmig lazy plan`: samples every collection of a MongoDB database and proposes a plan with its findings. */
import { connectMongo } from '../engines/mongodb/connection';
import { listCollectionNames, sampleDocuments } from '../engines/mongodb/collectionReader';
import { inferPlan, type InferOptions, type PlanFinding } from './plan/inferPlan';
import type { LazyPlan } from '../contract/lazyPlan';

export interface ProposePlanOptions extends InferOptions {
  /** mongodb://host:port/<database> */
  source: string;
  sampleSize: number;
  collections?: string[];
}

export async function proposePlan(opts: ProposePlanOptions): Promise<{ plan: LazyPlan; findings: PlanFinding[]; sampled: Record<string, number> }> {
  const u = new URL(opts.source);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new Error(`--source ${u.protocol}//${u.host}/: name the database, e.g. mongodb://host:27017/shipments`);
  u.pathname = '/';
  const client = await connectMongo({ url: u.toString() });
  try {
    const db = client.db(database);
    const names = opts.collections ?? await listCollectionNames(db);
    if (names.length === 0) throw new Error(`database ${database} has no collections`);
    const samples = [];
    const sampled: Record<string, number> = {};
    for (const name of names) {
      const documents = await sampleDocuments(db.collection(name), opts.sampleSize);
      sampled[name] = documents.length;
      samples.push({ collection: name, documents });
    }
    return { ...(await inferPlan(samples, opts)), sampled };
  } finally {
    await client.close();
  }
}
