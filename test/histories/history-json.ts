/**
 * Histories as Temporal's JSON, the format of the CLI's and the Web UI's exports.
 *
 * @temporalio/common's historyToJSON and historyFromJSON would do this, but they take ProtoJSON
 * from their own copy of protobufjs, and where npm installs another copy for @temporalio/proto
 * (here: a protobufjs 7 at the top of node_modules keeps the SDK's protobufjs 8 from being shared)
 * they throw "type must be a Type". The ProtoJSON of the copy that built the History type works.
 */
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

interface ProtoJson {
  toJson(type: unknown, message: History): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History;
}

const protoDir = path.dirname(require.resolve('@temporalio/proto/package.json'));
const protojson: ProtoJson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] }));
// The generated module's types leave out the reflection the root has at run time (the SDK casts the same way).
const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
const historyType = root.lookupType('temporal.api.history.v1.History');

export function historyToJSON(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, history), null, 2);
}

export function historyFromJSON(json: string): History {
  return protojson.fromJson(historyType, JSON.parse(json), { ignoreUnknownFields: true });
}
