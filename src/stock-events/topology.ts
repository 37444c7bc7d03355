/**
 * RabbitMQ names and shapes both sides agree on: the worker publishes, each
 * API instance consumes. Every declaration is idempotent, so whoever starts
 * first creates the topology and the others find it as it is.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Channel } from 'amqplib';
import { z } from 'zod';

export const STOCK_EXCHANGE = 'pulsecart.stock';
/** Where an API instance's queue sends the messages its consumer rejects. */
export const STOCK_DEAD_LETTER_EXCHANGE = 'pulsecart.stock.dlx';
/** Rejected stock messages wait here for an operator. */
export const STOCK_DEAD_LETTER_QUEUE = 'pulsecart.stock.dead';
/** Bounded, so that a poisoned publisher cannot fill the broker's disk; the oldest go first. */
const DEAD_LETTER_QUEUE_MAX_LENGTH = 10_000;

export function stockRoutingKey(productId: number): string {
  return `stock.${productId}`;
}

/** Every product's stock changes. */
export const ALL_STOCK_ROUTING_KEYS = 'stock.#';

export const stockEventSchema = z
  .object({
    productId: z.number().int().positive(),
    available: z.number().int(),
    /** Grows with every change of the product's stock: a consumer keeps the highest it has seen. */
    version: z.number().int().nonnegative(),
    /** Milliseconds since the epoch when the value was read. */
    ts: z.number().nonnegative(),
  })
  .strict();

export type StockEvent = z.infer<typeof stockEventSchema>;

export async function declareStockExchange(channel: Channel): Promise<void> {
  await channel.assertExchange(STOCK_EXCHANGE, 'topic', { durable: true });
}

/** `quorum` on a cluster: replicated, so dead letters survive a node (Config's AMQP_DEAD_LETTER_QUEUE_TYPE). */
export type DeadLetterQueueType = 'classic' | 'quorum';

export async function declareDeadLetters(channel: Channel, queueType: DeadLetterQueueType): Promise<void> {
  await channel.assertExchange(STOCK_DEAD_LETTER_EXCHANGE, 'fanout', { durable: true });
  await channel.assertQueue(STOCK_DEAD_LETTER_QUEUE, {
    durable: true,
    maxLength: DEAD_LETTER_QUEUE_MAX_LENGTH,
    // Only quorum is named: brokers have held the classic queue without the argument, and a declaration must match.
    ...(queueType === 'quorum' && { arguments: { 'x-queue-type': 'quorum' } }),
  });
  await channel.bindQueue(STOCK_DEAD_LETTER_QUEUE, STOCK_DEAD_LETTER_EXCHANGE, '');
}

/**
 * One queue per API instance, bound to every product: each instance needs
 * every event for its own subscribers. Exclusive, so it lives and dies with
 * the instance's connection; named after the host so operators can tell whose
 * it is in the management UI.
 */
export async function declareInstanceQueue(
  channel: Channel,
  name: string,
  deadLetterQueueType: DeadLetterQueueType,
): Promise<void> {
  await declareStockExchange(channel);
  await declareDeadLetters(channel, deadLetterQueueType);
  await channel.assertQueue(name, {
    exclusive: true,
    autoDelete: true,
    deadLetterExchange: STOCK_DEAD_LETTER_EXCHANGE,
  });
  await channel.bindQueue(name, STOCK_EXCHANGE, ALL_STOCK_ROUTING_KEYS);
}

/** The instance keeps its queue's name across reconnects. */
export function instanceQueueName(): string {
  return `pulsecart.stock.api.${hostname()}.${randomUUID().slice(0, 8)}`;
}
