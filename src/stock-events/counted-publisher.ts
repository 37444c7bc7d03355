import type { EventPublisher } from './coalescing-publisher';

/** The broker's answer to a publish with publisher confirms: it has the message, or it refused or was lost. */
export type PublishOutcome = 'confirmed' | 'failed';

/** A publisher that reports each publish's outcome to `count` (a metric), then answers as `publisher` does. */
export function countedPublisher(publisher: EventPublisher, count: (outcome: PublishOutcome) => void): EventPublisher {
  return {
    async publish(event) {
      try {
        await publisher.publish(event);
      } catch (err) {
        count('failed');
        throw err;
      }
      count('confirmed');
    },
  };
}
