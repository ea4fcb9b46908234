// A TCP proxy on loopback that can cut the line (a network outage between agent and hub) and
// restore it, without the hub restarting.
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export class CuttableProxy {
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private cut = false;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      if (this.cut) {
        client.destroy();
        return;
      }
      const up = createConnection(target);
      this.sockets.add(client).add(up);
      const drop = (): void => {
        client.destroy();
        up.destroy();
        this.sockets.delete(client);
        this.sockets.delete(up);
      };
      client.on('error', drop).on('close', drop);
      up.on('error', drop).on('close', drop);
      client.pipe(up);
      up.pipe(client);
    });
  }

  static async start(target: { host: string; port: number }): Promise<CuttableProxy> {
    const p = new CuttableProxy(target);
    await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r));
    return p;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Drops every connection and refuses new ones until restore(). */
  outage(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.cut = false;
  }

  close(): Promise<void> {
    this.outage();
    return new Promise((r) => this.server.close(() => r()));
  }
}
