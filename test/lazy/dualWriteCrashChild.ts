// A separate application process that dual-writes one document and is SIGKILLed between the MongoDB write and the MySQL write.
import { MongoClient, ObjectId } from 'mongodb';
import { createMysqlPool } from '../../src/engines/mysql/connection';
import { createLazyStore } from '../../src/lazy/lazyStore';
import { parseLazyPlan } from '../../src/contract/lazyPlan';

async function run(): Promise<void> {
  const [mongoUrl, mongoDb, mysqlUrl, mysqlDb, service, op, id, planJson] = process.argv.slice(2) as string[];
  const client = await MongoClient.connect(mongoUrl!);
  const store = createLazyStore({
    mongo: client.db(mongoDb), mysql: createMysqlPool({ url: mysqlUrl!, database: mysqlDb }), plan: parseLazyPlan(JSON.parse(planJson!)),
    collection: 'shipments', service, stageTtlMs: 0,
    afterMongoWrite: () => { process.kill(process.pid, 'SIGKILL'); },
  });
  if (op === 'update') await store.update(new ObjectId(id), { status: 'written-before-crash' });
  else await store.delete(new ObjectId(id));
  console.log('not killed');
}
void run();
