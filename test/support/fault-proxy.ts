/**
 * A TCP proxy in front of a real service, for fault tests: `cut()` drops every
 * connection and refuses new ones, as a crashed or restarting server does;
 * `heal()` accepts again. The service behind it is never faked.
 */
import net from 'node:net';
import { freePort } from '../../tools/lib/ports';

export class FaultProxy {
  private readonly sockets = new Set<net.Socket>();
  private server?: net.Server;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const port = await freePort();
    const proxy = new FaultProxy(port, target);
    await proxy.heal();
    return proxy;
  }

  /** Accepts connections again. */
  async heal(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => this.pipe(client));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Drops every open connection and refuses new ones until healed. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  async stop(): Promise<void> {
    await this.cut();
  }

  private pipe(client: net.Socket): void {
    const upstream = net.connect(this.target);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  }
}
