/**
 * What one finished workflow execution cost the Temporal Service, read from
 * its history: events by type, workflow tasks, search-attribute upserts,
 * visibility writes and payload bytes.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Table } from './table';

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface HistoryCost {
  events: number;
  eventsByType: Record<string, number>;
  workflowTasks: number;
  searchAttributeUpserts: number;
  /**
   * Visibility tasks the history implies. The server collapses the visibility
   * tasks of one mutable-state transaction into one (START < UPSERT < CLOSE,
   * closeTransactionCollapseVisibilityTasks in server 1.29), so it is one for
   * the start, plus one per workflow task completion that upserts search
   * attributes or memo, or closes the workflow, or is the first (the server
   * then records the worker's binary checksum in a search attribute).
   */
  visibilityWrites: number;
  /** Bytes of every payload in the history (inputs, results, markers, memo, search attributes). */
  payloadBytes: number;
  /** The whole history, protobuf-encoded. */
  historyBytes: number;
}

const name = (type: HistoryEvent['eventType']) => EventType[type ?? 0].replace(/^EVENT_TYPE_/, '');

/** Events that, in the transaction of the workflow task completion before them, make a visibility task. */
const VISIBLE = new Set(['UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', 'WORKFLOW_PROPERTIES_MODIFIED']);
const CLOSING = /^WORKFLOW_EXECUTION_(COMPLETED|FAILED|TIMED_OUT|TERMINATED|CANCELED|CONTINUED_AS_NEW)$/;

function isPayload(value: object): value is temporal.api.common.v1.IPayload {
  return 'data' in value && value.data instanceof Uint8Array && 'metadata' in value;
}

/** Sums the bytes of every Payload anywhere under a protobuf message. */
function payloadBytes(value: unknown): number {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return 0;
  if (isPayload(value)) {
    const metadata = Object.entries(value.metadata ?? {}).reduce((sum, [k, v]) => sum + k.length + v.length, 0);
    return (value.data?.length ?? 0) + metadata;
  }
  return Object.values(value).reduce<number>((sum, child) => sum + payloadBytes(child), 0);
}

/** Visibility writes: the start, then each completion's batch of events that upserts or closes counts once. */
function visibilityWrites(types: string[]): number {
  let writes = 1;
  let batchVisible = false;
  let first = true;
  for (const type of types) {
    if (type === 'WORKFLOW_TASK_COMPLETED') {
      if (batchVisible) writes += 1;
      batchVisible = first;
      first = false;
    } else if (VISIBLE.has(type) || CLOSING.test(type)) {
      batchVisible = true;
    }
  }
  return writes + (batchVisible ? 1 : 0);
}

export async function historyCost(client: Client, workflowId: string): Promise<HistoryCost> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const types = events.map((event) => name(event.eventType));
  const eventsByType: Record<string, number> = {};
  for (const type of types) eventsByType[type] = (eventsByType[type] ?? 0) + 1;
  return {
    events: events.length,
    eventsByType,
    workflowTasks: eventsByType.WORKFLOW_TASK_STARTED ?? 0,
    searchAttributeUpserts: eventsByType.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES ?? 0,
    visibilityWrites: visibilityWrites(types),
    payloadBytes: payloadBytes(events),
    historyBytes: temporal.api.history.v1.History.encode(history).finish().length,
  };
}

/** One column per variant: the totals first, then events by type. */
export function historyCostTable(title: string, costs: Record<string, HistoryCost>): Table {
  const variants = Object.keys(costs);
  const all = Object.values(costs);
  const types = [...new Set(all.flatMap((cost) => Object.keys(cost.eventsByType)))];
  const row = (label: string, value: (cost: HistoryCost) => number) => [label, ...all.map((c) => String(value(c)))];
  return {
    title,
    header: ['per execution', ...variants],
    rows: [
      row('history events', (c) => c.events),
      row('workflow tasks', (c) => c.workflowTasks),
      row('search-attribute upserts', (c) => c.searchAttributeUpserts),
      row('visibility writes', (c) => c.visibilityWrites),
      row('payload bytes', (c) => c.payloadBytes),
      row('history bytes', (c) => c.historyBytes),
      ...types.map((type) => row(`  ${type}`, (c) => c.eventsByType[type] ?? 0)),
    ],
  };
}
