/** Serves a generated image in its own process, so the server does not share a CPU with the client. */
import { startFirmwareServer } from '../test/helpers/firmware-server.js';

const size = Number(process.argv[2]);
const md5 = process.argv[3];
const server = await startFirmwareServer(size, md5);
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
