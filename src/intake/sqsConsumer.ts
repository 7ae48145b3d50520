import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyKey, compileTenantPattern } from './backupKeys';
import { parseS3EventMessage } from './s3Event';
import type { BackupObject, StartOutcome } from '../contract/backupIntake';

/** Where malformed messages go: another SQS queue, or JSON files in a directory. */
export type DeadLetter = { queueUrl: string } | { dir: string };

export interface SqsConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  deadLetter: DeadLetter;
  tenantPattern: string;
  /** Starts (or finds already started) the migration of one upload; throws when the start was not accepted. */
  start: (obj: BackupObject) => Promise<StartOutcome>;
  /** Long-poll wait (SQS maximum 20 s). */
  waitTimeSeconds?: number;
  maxMessages?: number;
  /** How long a received message stays hidden; a message whose start failed comes back after it. */
  visibilityTimeoutSeconds?: number;
  log?: (line: string) => void;
}

export interface PollStats {
  received: number;
  started: number;
  alreadyStarted: number;
  ignored: number;
  deadLettered: number;
  /** Messages left on the queue because a start failed (they are redelivered). */
  failed: number;
}

/**
 * Consumes S3 object-created notifications from SQS and starts a tenantMigration per upload, with the same
 * workflow ids as the scan (so both paths together still start an upload once). A message is deleted only
 * after every start it asks for was accepted (or found already started); malformed messages go to the
 * dead-letter path with a log line and are then deleted.
 */
export class SqsIntakeConsumer {
  private readonly pattern: RegExp;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: SqsConsumerOptions) {
    this.pattern = compileTenantPattern(opts.tenantPattern);
    this.log = opts.log ?? ((line) => console.log(line));
  }

  /** One long poll and the handling of what it returned. */
  async pollOnce(signal?: AbortSignal): Promise<PollStats> {
    const stats: PollStats = { received: 0, started: 0, alreadyStarted: 0, ignored: 0, deadLettered: 0, failed: 0 };
    const res = await this.opts.sqs.send(new ReceiveMessageCommand({
      QueueUrl: this.opts.queueUrl,
      MaxNumberOfMessages: this.opts.maxMessages ?? 10,
      WaitTimeSeconds: this.opts.waitTimeSeconds ?? 20,
      VisibilityTimeout: this.opts.visibilityTimeoutSeconds,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }), { abortSignal: signal });
    for (const m of res.Messages ?? []) {
      stats.received += 1;
      await this.handle(m, stats);
    }
    return stats;
  }

  /** Polls until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.pollOnce(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.log(`sqs intake: receive failed, retrying in 5s: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
  }

  private async handle(m: Message, stats: PollStats): Promise<void> {
    const id = m.MessageId ?? '(no id)';
    const parsed = parseS3EventMessage(m.Body);
    if (parsed.kind === 'malformed') {
      await this.deadLetter(m, parsed.reason);
      stats.deadLettered += 1;
      return;
    }
    if (parsed.kind === 'test') {
      this.log(`sqs intake: message ${id}: S3 test event, deleted`);
      await this.delete(m);
      return;
    }
    try {
      for (const rec of parsed.created) {
        const verdict = classifyKey(rec.key, this.pattern);
        if ('ignored' in verdict) {
          stats.ignored += 1;
          this.log(`sqs intake: message ${id}: s3://${rec.bucket}/${rec.key} ignored (${verdict.ignored})`);
          continue;
        }
        const outcome = await this.opts.start({ tenant: verdict.tenant, bucket: rec.bucket, key: rec.key, etag: rec.etag, size: rec.size });
        if (outcome.status === 'started') stats.started += 1;
        else stats.alreadyStarted += 1;
        this.log(`sqs intake: message ${id}: tenant ${verdict.tenant} s3://${rec.bucket}/${rec.key} -> ${outcome.workflowId} (${outcome.status})`);
      }
    } catch (err) {
      // Not deleted: SQS redelivers it after the visibility timeout (and a redrive policy ends endless failures).
      stats.failed += 1;
      this.log(`sqs intake: message ${id}: start failed, left on the queue for redelivery: ${(err as Error).message}`);
      return;
    }
    await this.delete(m);
  }

  private async delete(m: Message): Promise<void> {
    await this.opts.sqs.send(new DeleteMessageCommand({ QueueUrl: this.opts.queueUrl, ReceiptHandle: m.ReceiptHandle }));
  }

  private async deadLetter(m: Message, reason: string): Promise<void> {
    const id = m.MessageId ?? 'unknown';
    const dl = this.opts.deadLetter;
    if ('queueUrl' in dl) {
      await this.opts.sqs.send(new SendMessageCommand({
        QueueUrl: dl.queueUrl, MessageBody: m.Body ?? '',
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: reason },
          sourceMessageId: { DataType: 'String', StringValue: id },
        },
      }));
    } else {
      await mkdir(dl.dir, { recursive: true });
      await writeFile(join(dl.dir, `${id.replace(/[^A-Za-z0-9_-]/g, '_')}.json`),
        JSON.stringify({ messageId: id, reason, queueUrl: this.opts.queueUrl, body: m.Body, at: new Date().toISOString() }, null, 2));
    }
    this.log(`sqs intake: message ${id} is malformed (${reason}); moved to dead-letter ${'queueUrl' in dl ? dl.queueUrl : dl.dir}`);
    await this.delete(m);
  }
}
