import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeFirmwareStoreContract, type FirmwareStoreHarness } from '@iotgw/testkit';
import { HttpFirmwareStore } from '../src/index.js';
import { startOriginServer } from './helpers/origin-server.js';

// Run twice: MD5 on the main thread (what small images get) and on a worker thread (large images).
for (const hashing of ['main-thread', 'worker'] as const) {
  describeFirmwareStoreContract(
    test,
    async (): Promise<FirmwareStoreHarness> => {
      const origin = await startOriginServer();
      const dataDir = await mkdtemp(join(tmpdir(), 'iotgw-http-contract-'));
      // One attempt: the suite expects a single dropped connection to fail the obtain (-1).
      const store = new HttpFirmwareStore({
        dataDir,
        retry: { attempts: 1 },
        checkpointBytes: 16 * 1024,
        hashing,
        sourceGuard: { allowLoopback: true },
      });
      return {
        store,
        serve: (name, bytes, version) => Promise.resolve(origin.serve(name, bytes, version)),
        missingJob: () => Promise.resolve(origin.jobFor('missing.bin', 404)),
        forbiddenJob: () => Promise.resolve(origin.jobFor('expired.bin', 403)),
        interruptNextAt: (bytes) => Promise.resolve(origin.dropNextResponseAfter(bytes)),
        transferStarts: (job) => Promise.resolve(origin.rangeStartsFor(job.url)),
        dispose: async () => {
          await origin.close();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
    { name: hashing === 'worker' ? 'HttpFirmwareStore (MD5 on a worker thread)' : 'HttpFirmwareStore' },
  );
}
