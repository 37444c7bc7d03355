import { Writable } from 'node:stream';
import { SseConnection } from '../src/api/stream/sse-connection';
import type { StockEvent } from '../src/stock-events/topology';

/** A socket whose peer reads nothing until released: writes back up as with a slow client. */
class StalledSocket extends Writable {
  readonly chunks: string[] = [];
  private reading = false;
  private held: (() => void)[] = [];

  constructor() {
    super({ highWaterMark: 256, decodeStrings: false });
  }

  override _write(chunk: string, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(String(chunk));
    if (this.reading) done();
    else this.held.push(done);
  }

  startReading(): void {
    this.reading = true;
    for (const done of this.held.splice(0)) done();
  }

  /** `data:` payloads in the order the client would read them. */
  events(): StockEvent[] {
    return this.chunks
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as StockEvent);
  }
}

const event = (version: number): StockEvent => ({ productId: 7, available: 1000 - version, version, ts: version });
const totals = () => ({ sent: { inc: jest.fn() }, dropped: { inc: jest.fn() } });

describe('one subscriber’s stream buffer', () => {
  it('when the client stops reading, then intermediate values are dropped, memory stays bounded and the newest value still arrives', async () => {
    const socket = new StalledSocket();
    const counts = totals();
    const connection = new SseConnection(7, '192.0.2.1', socket, counts);
    connection.open(2000);

    for (let version = 1; version <= 1000; version += 1) connection.send(event(version));
    expect(socket.writableLength).toBeLessThan(1024);
    expect(connection.counters.dropped).toBeGreaterThan(990);

    socket.startReading();
    await new Promise((resolve) => setImmediate(resolve));
    const seen = socket.events();
    expect(seen.at(-1)).toEqual(event(1000));
    expect(seen.length).toBe(connection.counters.sent);
    expect(connection.counters.sent + connection.counters.dropped).toBe(1000);
    expect(counts.dropped.inc).toHaveBeenCalledTimes(connection.counters.dropped);
    // Versions only grow: the client never steps back to an older value.
    expect(seen.map((e) => e.version)).toEqual([...seen.map((e) => e.version)].sort((a, b) => a - b));
  });

  it('when events arrive before the stream opens, then it starts with the newest of them after retry:', () => {
    const socket = new StalledSocket();
    socket.startReading();
    const connection = new SseConnection(7, '192.0.2.1', socket, totals());
    connection.send(event(3));
    connection.send(event(5));
    connection.send(event(4));
    connection.open(1500);
    expect(socket.chunks.join('')).toBe(`retry: 1500\n\nid: 5\ndata: ${JSON.stringify(event(5))}\n\n`);
  });

  it('when the client already has a version (Last-Event-ID), then nothing at or below it is sent', () => {
    const socket = new StalledSocket();
    socket.startReading();
    const connection = new SseConnection(7, '192.0.2.1', socket, totals());
    connection.send(event(8));
    connection.clientHas(9);
    connection.open(1000);
    connection.send(event(9));
    connection.send(event(10));
    expect(socket.events().map((e) => e.version)).toEqual([10]);
  });

  it('when the socket is backed up, then heartbeats are skipped rather than queued', () => {
    const socket = new StalledSocket();
    const connection = new SseConnection(7, '192.0.2.1', socket, totals());
    connection.open(1000);
    for (let version = 1; version <= 50; version += 1) connection.send(event(version));
    const before = socket.writableLength;
    connection.heartbeat();
    expect(socket.writableLength).toBe(before);
  });
});
