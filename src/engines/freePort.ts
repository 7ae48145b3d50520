import { createServer } from 'node:net';

/**
 * A TCP port free on 127.0.0.1 right now, for the local servers the demo, tests and bench start
 * (FerretDB, Babelfish, MinIO, Temporal dev servers). Another process may take it before the
 * server binds, so starters retry on a bind failure.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
