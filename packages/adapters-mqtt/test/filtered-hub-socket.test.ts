import test from 'ava';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { FilteredHubSocket } from '../src/filtered-hub-socket.js';
import { OversizePublishFilter } from '../src/oversize-publish-filter.js';

test('the hub socket is opened with Nagle off (a reading written behind a small PUBACK must not wait for the hub’s delayed ACK)', async (t) => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  // Record calls on Node's own sockets; the socket still does what it is asked.
  const calls: Array<{ socket: Socket; enable: boolean | undefined }> = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the socket as `this`, and put back below
  const setNoDelay = Socket.prototype.setNoDelay;
  Socket.prototype.setNoDelay = function (this: Socket, enable?: boolean) {
    calls.push({ socket: this, enable });
    return setNoDelay.call(this, enable);
  };
  const accepted = once(server, 'connection');
  let hub: FilteredHubSocket | undefined;
  try {
    hub = new FilteredHubSocket({ host: '127.0.0.1', port, tls: false, rejectUnauthorized: true }, new OversizePublishFilter(1024 * 1024, () => undefined), () => undefined);
    const [peer] = (await accepted) as [Socket];
    const ours = calls.filter((c) => c.socket.localPort === peer.remotePort);
    t.true(ours.length > 0, 'setNoDelay was not called on the hub socket');
    t.is(ours.at(-1)?.enable, true);
    peer.destroy();
  } finally {
    Socket.prototype.setNoDelay = setNoDelay;
    hub?.destroy();
    server.close();
  }
});
