import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PULSE_MS, type PulseStats } from '../rig/broker-pulse-process.js';
import type { FloodRequest, FloodStats } from '../rig/flood-process.js';
import { IpcClient } from '../rig/ipc.js';
import { MOSQUITTO_BIN, MosquittoBroker } from '@iotgw/testkit/mosquitto';
import { sleep, terminate } from '../rig/processes.js';
import { GATEWAY_KEY, SUBDEVICE_PRODUCT } from '../rig/rig.js';
import type { Scenario } from './scenario.js';

const floodEntry = fileURLToPath(new URL('../rig/flood-process.js', import.meta.url));
const pulseEntry = fileURLToPath(new URL('../rig/broker-pulse-process.js', import.meta.url));

/** What the gateway may spend on a flood of garbage, whatever its size. */
export const HOSTILE_BOUNDS = {
  /** Peak RSS above the RSS before the flood. */
  rssGrowthMb: 100,
  /** Log lines written while the flood lasts (a summary of repeated warnings, not a line per message). */
  logLines: 1_000,
  logBytes: 1024 * 1024,
  /**
   * Longest silence in a subdevice's readings at the hub while the flood lasts, beyond the
   * broker's own stall (what a bystander client of the same broker waited, see broker-pulse-process).
   */
  readingGapMs: 2_000,
  /** 99th percentile of measured-to-hub latency of readings made during the flood, beyond the broker's own stall. */
  readingP99Ms: 2_000,
} as const;

const FLOOD_COUNT = Number(process.env['IOTGW_CHAOS_FLOOD'] ?? 100_000);
const SEED = 0x11;
/**
 * The subdevices keep as many readings in flight as iotgw's own link engines (the protocol's
 * window, 32), not one: a gateway starved of CPU by the flood answers in bursts, and a
 * stop-and-wait subdevice turns each late answer into a backlog it then drains one round trip
 * per reading. That would measure the rig's subdevice, not the gateway. Other scenarios keep
 * stop-and-wait (see RigSubdevice.dataWindow).
 */
const HOSTILE_DATA_WINDOW = 32;

let broker: MosquittoBroker | undefined;

export const hostileScenarios: readonly Scenario[] = [
  {
    name: 'hostile-hub',
    profiles: ['short', 'full'],
    description: `the hub publishes ${FLOOD_COUNT.toLocaleString('en')} generated payloads (invalid JSON, wrong types, huge up to 100 MB, empty, binary) on every topic the gateway subscribes: no crash, RSS +${HOSTILE_BOUNDS.rssGrowthMb} MB at most, at most ${HOSTILE_BOUNDS.logLines} log lines, readings keep flowing (gaps < ${HOSTILE_BOUNDS.readingGapMs / 1000} s, p99 latency < ${HOSTILE_BOUNDS.readingP99Ms / 1000} s, each beyond the broker's own stall measured by a bystander client)`,
    async setup() {
      if (!MOSQUITTO_BIN) return { skip: 'mosquitto is not installed (apt-get install mosquitto): the hostile hub publishes through it' };
      // Anonymous, no ACLs, no message size limit (mosquitto's default): the gateway must protect itself.
      broker = await MosquittoBroker.launch({ extraConfig: 'max_queued_messages 100000' });
      const url = broker.url;
      return {
        rig: { brokerUrl: url, subdevices: ['sensor1', 'sensor2'].map((deviceName) => ({ deviceName, dataWindow: HOSTILE_DATA_WINDOW })) },
        teardown: async () => {
          await broker?.dispose();
          broker = undefined;
        },
      };
    },
    afterMs: 5_000,
    async run({ rig, check, note }) {
      if (!broker) throw new Error('hostile-hub: no broker');
      const gw = rig.gateway;
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        samples.push(gw.rss() ?? 0);
        await sleep(200);
      }
      const rssBefore = Math.max(...samples);
      const linesBefore = gw.logLines;
      const bytesBefore = gw.logBytes;
      const levelsBefore = gw.logLevels;
      const pulseChild = fork(pulseEntry, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const pulse = new IpcClient(pulseChild, 'pulse');
      let pulseStats: PulseStats;
      const child = fork(floodEntry, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const floodStart = Date.now();
      let stats: FloodStats;
      try {
        await pulse.request('start', { url: broker.url }, 30_000);
        const names = rig.subdevices.map((s) => s.deviceName);
        const request: FloodRequest = {
          url: broker.url,
          count: FLOOD_COUNT,
          seed: SEED,
          topics: {
            'operation-result': [`$gateway/operation/result/${GATEWAY_KEY}`],
            'ota-update': names.map((n) => `$ota/update/${SUBDEVICE_PRODUCT}/${n}`),
            data: names.map((n) => `${SUBDEVICE_PRODUCT}/${n}/data`),
          },
        };
        stats = await new IpcClient(child, 'flood').request<FloodStats>('flood', request, 600_000);
      } finally {
        await terminate(child, 'SIGTERM', 2_000);
      }
      const floodEnd = Date.now();
      await sleep(3_000);
      try {
        pulseStats = await pulse.request<PulseStats>('stop', {}, 30_000);
      } finally {
        await terminate(pulseChild, 'SIGTERM', 2_000);
      }
      // The broker's own stall: what a bystander waited beyond its pulse interval.
      const brokerStallMs = Math.max(0, pulseStats.longestGapMs - PULSE_MS);
      const gapBound = HOSTILE_BOUNDS.readingGapMs + brokerStallMs;
      const p99Bound = HOSTILE_BOUNDS.readingP99Ms + brokerStallMs;
      const window = rig.flowDuring(floodStart, floodEnd + 3_000);
      const rssPeak = gw.peakRss;
      const lines = gw.logLines - linesBefore;
      const bytes = gw.logBytes - bytesBefore;
      const levels = Object.fromEntries(Object.entries(gw.logLevels).map(([k, v]) => [k, v - (levelsBefore[k] ?? 0)]));
      const mb = (n: number): number => Math.round(n / 1048576);
      note('flood', { ...stats, ratePerSec: Math.round(stats.sent / (stats.durationMs / 1000)), mb: mb(stats.bytes) });
      note('rss MB', { before: mb(rssBefore), peak: mb(rssPeak), after: mb(gw.rss() ?? 0) });
      note('log during flood', { lines, bytes, levels });
      note('readings during flood', window);
      note('broker stall (bystander)', { ...pulseStats, brokerStallMs });
      check('crash', gw.running && gw.unexpectedExits.length === 0, gw.running ? 'the gateway kept running' : 'the gateway is not running after the flood');
      check('rss', rssPeak - rssBefore <= HOSTILE_BOUNDS.rssGrowthMb * 1048576, `RSS ${mb(rssBefore)} MB before, peak ${mb(rssPeak)} MB during the flood (bound: +${HOSTILE_BOUNDS.rssGrowthMb} MB)`);
      check(
        'log-lines',
        lines <= HOSTILE_BOUNDS.logLines && bytes <= HOSTILE_BOUNDS.logBytes,
        `${lines} log lines (${mb(bytes)} MB; ${JSON.stringify(levels)}) for ${stats.sent} hostile messages (bound: ${HOSTILE_BOUNDS.logLines} lines, ${mb(HOSTILE_BOUNDS.logBytes)} MB)`,
      );
      const stalled = Object.entries(window).filter(([, w]) => w.longestGapMs > gapBound || w.readings === 0);
      const late = Object.entries(window).filter(([, w]) => w.latencyMs.p99 > p99Bound);
      const flood = `over ${((floodEnd - floodStart) / 1000).toFixed(1)} s of flood; the broker itself kept a bystander client waiting ${pulseStats.longestGapMs} ms`;
      check(
        'readings-flowing',
        stalled.length === 0,
        Object.entries(window)
          .map(([name, w]) => `${name}: ${w.readings} readings, longest gap ${w.longestGapMs} ms`)
          .join('; ') + ` ${flood} (bound: ${HOSTILE_BOUNDS.readingGapMs} + ${brokerStallMs} ms)`,
      );
      check(
        'readings-latency',
        late.length === 0,
        Object.entries(window)
          .map(([name, w]) => `${name}: latency p50 ${w.latencyMs.p50} ms, p99 ${w.latencyMs.p99} ms`)
          .join('; ') + ` ${flood} (bound p99: ${HOSTILE_BOUNDS.readingP99Ms} + ${brokerStallMs} ms)`,
      );
    },
  },
];
