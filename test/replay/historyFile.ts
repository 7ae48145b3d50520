/**
 * Reads a history file in Temporal's JSON format (what `temporal workflow show --output json` writes).
 * Parsed with the protobufjs copy that @temporalio/proto was built with: the copy nested under
 * @temporalio/common is a different module instance, and its `historyFromJSON` rejects this root's types.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as proto from '@temporalio/proto';

const protoRequire = createRequire(require.resolve('@temporalio/proto'));
const { fromJson } = protoRequire('protobufjs/ext/protojson') as { fromJson: (type: unknown, json: unknown, opts: object) => unknown };
const { patchProtobufRoot } = protoRequire('@temporalio/proto/lib/patch-protobuf-root');
const historyType = patchProtobufRoot(protoRequire('@temporalio/proto')).lookupType('temporal.api.history.v1.History');

export function readHistoryFile(path: string): proto.temporal.api.history.v1.IHistory {
  return fromJson(historyType, JSON.parse(readFileSync(path, 'utf8')), { ignoreUnknownFields: true }) as proto.temporal.api.history.v1.IHistory;
}
