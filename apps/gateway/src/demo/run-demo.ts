import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WinstonLogger, type Gateway } from '@iotgw/app';
import { subdeviceKey, toGatewayError, type Logger, type SubdeviceId } from '@iotgw/domain';
import { HubEmulator, type HubMessageRecord, type RegistryDocument } from '@iotgw/hub-emulator';
import type { GatewayConfig } from '../config/gateway-config.js';
import { EXIT, type CliOutput, type ExitCode } from '../cli/output.js';
import { observeBrokerData } from './broker-data-observer.js';
import { memoryBench, serialBench, type DemoBench, type DemoSubdevice } from './demo-subdevices.js';
import { tearDownDemo } from './demo-teardown.js';
import type { DemoFlowContext } from './demo-flow-context.js';
import { consoleUnbindAcked, rrpcToSubdevice, shadowDeltaToSubdevice } from './demo-hub-services.js';
import { METER, meterBindOnline, meterOfflineUnbind, meterReadings, meterWrite, startDemoMeter, type DemoMeter } from './demo-modbus-meter.js';
import { pushBadModelPath, pushLogLevel, startDemoDeviceServices, type DemoDeviceServices } from './demo-remote-config.js';
import { GATEWAY, SECRETS, SENSOR1, SENSOR2, startGateway, type DemoGatewaySetup } from './demo-gateway.js';
import { DemoSupervisor, GATEWAY_VERSIONS, selfUpdateGood, selfUpdateRolledBack, writeDemoInstaller, type SelfUpdateDemo } from './demo-self-update.js';
import { LevelledLogger } from './levelled-logger.js';
import { progressDisplay } from './progress-display.js';
import { findSocat } from './socat-pair.js';
import { summaryTable, summaryVerdict, type StepResult } from './summary-table.js';
import { waitFor } from './wait-for.js';

export interface DemoOptions {
  readonly io: CliOutput;
  readonly signal?: AbortSignal;
  /** Leave the emulator and its console running until the signal aborts. */
  readonly keepRunning?: boolean;
  /** Use in-memory links even when socat is installed. */
  readonly memory?: boolean;
  /** Live progress bar (default: when stdout is a terminal). */
  readonly tty?: boolean;
  /** `mqtt://host:port` of an external broker (e.g. mosquitto) to run the emulator and gateway on. */
  readonly broker?: string;
  /** Gateway log lines; default winston at warn level. */
  readonly logger?: Logger;
}

export interface DemoReport {
  readonly code: ExitCode;
  readonly transport: string;
  readonly results: readonly StepResult[];
}

const OLD_VERSION = '1.0.0';
const NEW_VERSION = '1.1.0';
const STEP_TIMEOUT_MS = 15_000;
const OTA_TIMEOUT_MS = 40_000;

const sameBytes = (a: Uint8Array, text: string): boolean => Buffer.from(a).toString('utf8') === text;
const sortedKeys = (ids: readonly SubdeviceId[]): string[] => ids.map(subdeviceKey).sort();

/**
 * `iotgw demo`: the hub emulator, a real gateway and two simulated subdevices, walking every flow
 * of the vendor's gateway sample. Every step is checked against the emulator's state.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const { io } = options;
  const signal = options.signal ?? new AbortController().signal;
  const results: StepResult[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-demo-'));
  let hub: HubEmulator | undefined;
  let bench: DemoBench | undefined;
  let gateway: Gateway | undefined;
  let meter: DemoMeter | undefined;
  let services: DemoDeviceServices | undefined;
  let supervisor: DemoSupervisor | undefined;
  let selfUpdate: SelfUpdateDemo | undefined;
  // A level the hub can change at runtime (remote configuration): winston, or the caller's logger behind one.
  const logger = options.logger ? new LevelledLogger(options.logger, 'warn') : new WinstonLogger({ level: 'warn' });
  let transport = 'not set up';
  let observer: { close(): Promise<void> } | undefined;
  let failed = false;

  /** Runs one flow; after a failure the rest are skipped (they build on each other). */
  const step = async (name: string, run: () => Promise<string>): Promise<void> => {
    if (failed) {
      results.push({ step: name, ok: false, skipped: true, detail: 'skipped after an earlier failure', ms: 0 });
      return;
    }
    const started = Date.now();
    try {
      const detail = await run();
      const ms = Date.now() - started;
      results.push({ step: name, ok: true, detail, ms });
      io.out(`✔ ${name} (${ms} ms) ${detail}`);
    } catch (error) {
      failed = true;
      const ms = Date.now() - started;
      const detail = toGatewayError(error).message;
      results.push({ step: name, ok: false, detail, ms });
      io.out(`✘ ${name} (${ms} ms) ${detail}`);
    }
  };

  try {
    const up: HubMessageRecord[] = [];
    await step('start hub emulator', async () => {
      const registry: RegistryDocument = {
        devices: [GATEWAY, SENSOR1, SENSOR2, METER].map((d, i) => ({ ...d, deviceSecret: SECRETS[subdeviceKey(d)] ?? '', ...(i === 0 ? { gateway: true } : {}) })),
        bindings: [],
      };
      const registryPath = join(dir, 'registry.json');
      await writeFile(registryPath, JSON.stringify(registry, null, 2));
      hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath, ...(options.broker ? { brokerUrl: options.broker } : {}), signal, timeoutMs: STEP_TIMEOUT_MS });
      // Collected here: the emulator keeps only a short history and OTA reports would push data out.
      if (options.broker) {
        observer = await observeBrokerData(options.broker, (m) => up.push(m));
      } else {
        hub.core.on('message', (m) => {
          if (m.direction === 'up') up.push(m);
        });
      }
      return `${options.broker ? 'on external broker ' : 'embedded broker '}${hub.urls.mqtt}, console ${hub.urls.console}`;
    });

    await step('start simulated subdevices', async () => {
      const socat = options.memory ? undefined : findSocat();
      bench = socat ? await serialBench(socat, dir, [SENSOR1, SENSOR2], OLD_VERSION) : memoryBench([SENSOR1, SENSOR2], OLD_VERSION);
      transport = bench.transport;
      return `${bench.subdevices.length} subdevices over ${transport}`;
    });

    await step('start simulated Modbus energy meter', async () => {
      meter = await startDemoMeter(dir);
      return `meter1 = unit 1 on ${meter.endpoint}, register map ./models/energy-meter.json`;
    });

    let remote: { config: GatewayConfig; meterLink: number } | undefined;
    await step('start gateway', async () => {
      if (!hub || !bench || !meter) throw new Error('no hub, bench or meter');
      const installer = await writeDemoInstaller(dir);
      const setup: DemoGatewaySetup = { hub, bench, meter, dir, logger, selfUpdate: installer.section(GATEWAY_VERSIONS.first), timeoutMs: STEP_TIMEOUT_MS };
      /** Every start after the first: the supervisor's, on the same data dir, after the running gateway is gone. */
      const relaunch = async (o: { version: string; hubPort?: number; signal: AbortSignal }): Promise<Gateway> => {
        await services?.stop();
        await gateway?.dispose({ timeoutMs: STEP_TIMEOUT_MS });
        [services, gateway] = [undefined, undefined];
        const started = await startGateway({ ...setup, selfUpdate: installer.section(o.version) }, o);
        services = startDemoDeviceServices({ ...started, gateway: started.gateway, dir, logger });
        return (gateway = started.gateway);
      };
      supervisor = new DemoSupervisor(installer, relaunch, signal);
      const started = await startGateway(setup, { signal });
      gateway = started.gateway;
      supervisor.watch(gateway);
      services = startDemoDeviceServices({ ...started, gateway, dir, logger });
      remote = { config: started.config, meterLink: started.meterLink };
      selfUpdate = { installer, supervisor, dir };
      return `${subdeviceKey(GATEWAY)} ${GATEWAY_VERSIONS.first} connected to ${hub.urls.mqtt} (key auth, tls off), ${gateway.links.length} link(s), remote configuration and self-update on`;
    });

    const h = (): HubEmulator => {
      if (!hub) throw new Error('the hub emulator is not running');
      return hub;
    };
    const g = (): Gateway => {
      if (!gateway) throw new Error('the gateway is not running');
      return gateway;
    };
    const sim = (i: number): DemoSubdevice => {
      const s = bench?.subdevices[i];
      if (!s) throw new Error(`simulated subdevice ${i} is missing`);
      return s;
    };
    const gw = subdeviceKey(GATEWAY);
    const flow: DemoFlowContext = { hub: h, gateway: g, gatewayId: GATEWAY, up, signal, timeoutMs: STEP_TIMEOUT_MS };

    await step('bind sensor1 + sensor2', async () => {
      const res = await g().service.binding.bind([SENSOR1, SENSOR2], { signal, timeoutMs: STEP_TIMEOUT_MS });
      const refused = res.filter((r) => !r.ok);
      if (refused.length > 0) throw new Error(`hub refused: ${refused.map((r) => `${subdeviceKey(r.subdevice)} ${r.hubCode} ${r.message}`).join('; ')}`);
      for (const s of [SENSOR1, SENSOR2]) {
        if (!h().registry.isBound(gw, subdeviceKey(s))) throw new Error(`the emulator does not have ${subdeviceKey(s)} bound to ${gw}`);
      }
      return 'signed with each subdevice secret; emulator registry shows both bound';
    });

    await step('list bound', async () => {
      const listed = sortedKeys(await g().service.binding.listBound({ signal, timeoutMs: STEP_TIMEOUT_MS }));
      const truth = h().registry.subdevicesOf(gw).sort();
      if (JSON.stringify(listed) !== JSON.stringify(truth) || listed.length !== 2) {
        throw new Error(`gateway listed [${listed.join(', ')}], emulator has [${truth.join(', ')}]`);
      }
      return listed.join(', ');
    });

    await step('online (subdevices power on and attach)', async () => {
      sim(0).powerOn();
      sim(1).powerOn();
      await waitFor('both subdevices online at the hub', () => h().isOnline(SENSOR1.productId, SENSOR1.deviceName) && h().isOnline(SENSOR2.productId, SENSOR2.deviceName), {
        timeoutMs: STEP_TIMEOUT_MS,
        signal,
      });
      return 'emulator shows sensor1 and sensor2 online';
    });

    await step('data up (sensor1 → hub)', async () => {
      const text = JSON.stringify({ temperature: 21.5, at: Date.now() });
      await sim(0).sendData(Buffer.from(text));
      await waitFor('the reading at the hub', () => up.some((m) => m.topic === `${SENSOR1.productId}/${SENSOR1.deviceName}/data` && m.payload === text), {
        timeoutMs: STEP_TIMEOUT_MS,
        signal,
      });
      return `hub received ${text} on ${SENSOR1.productId}/${SENSOR1.deviceName}/data`;
    });

    await step('data down (hub → sensor2)', async () => {
      const text = JSON.stringify({ setpoint: 19, at: Date.now() });
      await h().core.sendData(subdeviceKey(SENSOR2), text);
      await waitFor('the command at sensor2', () => sim(1).received().some((p) => sameBytes(p, text)), { timeoutMs: STEP_TIMEOUT_MS, signal });
      return `sensor2 received ${text}`;
    });

    await step('RRPC hub → sensor1 → reply', () => rrpcToSubdevice(flow, SENSOR1, sim(0).simulator));
    await step('shadow desired → sensor1 delta', () => shadowDeltaToSubdevice(flow, SENSOR1, sim(0).simulator));
    await step('console unbinds sensor2: change acked', () => consoleUnbindAcked(flow, SENSOR2));

    const m = (): DemoMeter => {
      if (!meter) throw new Error('the simulated meter is not running');
      return meter;
    };
    await step('Modbus meter1: bind + online', () => meterBindOnline(flow));
    await step('Modbus meter1 readings → hub', () => meterReadings(flow));
    await step('Modbus meter1 ← hub: set command writes a register', () => meterWrite(flow, m().meter));
    await step('Modbus meter1: offline + unbind', () => meterOfflineUnbind(flow));

    const rc = (): { config: GatewayConfig; logger: typeof logger; services: DemoDeviceServices } => {
      if (!remote || !services) throw new Error('the gateway is not running');
      return { config: remote.config, logger, services };
    };
    await step('remote config push: log level', () => pushLogLevel(flow, rc(), 'error'));
    await step('remote config push with a bad model path', () => pushBadModelPath(flow, rc(), remote?.meterLink ?? -1));

    let sensor2DuringOta = 0;
    await step(`firmware update sensor1 ${OLD_VERSION} → ${NEW_VERSION}`, async () => {
      const file = join(dir, 'sensor-1.1.0.bin');
      await writeFile(file, randomBytes(96 * 1024));
      const image = await h().registerFirmware({ path: file, version: NEW_VERSION });
      const sensor2Topic = `${SENSOR2.productId}/${SENSOR2.deviceName}/data`;
      const before = up.filter((m) => m.topic === sensor2Topic).length;
      // sensor2 keeps reporting while sensor1 is updated: the gateway must keep forwarding.
      let ticking = true;
      const ticker = (async () => {
        for (let n = 0; ticking; n++) {
          await sim(1)
            .sendData(Buffer.from(JSON.stringify({ humidity: 40 + (n % 10), n })))
            .catch(() => {});
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      const bar = progressDisplay(io, 'sensor1', options.tty);
      try {
        const pushed = await h().core.pushFirmware({ subdevice: subdeviceKey(SENSOR1), firmwareId: image.id });
        const job = (): typeof pushed => h().core.jobs.find((j) => j.id === pushed.id) ?? pushed;
        await waitFor(
          'the OTA job to finish at the emulator',
          () => {
            const j = job();
            const finished = j.state === 'done' || j.state === 'fail';
            // The bar shows the gateway's own view (download, then delivery over the link); the check is the emulator's.
            const local = g().service.ota.jobOf(SENSOR1);
            if (local && !finished) bar.update(local.percent, local.phase);
            else bar.update(j.state === 'done' ? 100 : j.percent, j.state);
            return finished;
          },
          { timeoutMs: OTA_TIMEOUT_MS, signal, intervalMs: 100 },
        );
        const j = job();
        if (j.state !== 'done') throw new Error(`the emulator's job says ${j.state} ${j.failCode ?? ''} ${j.failMessage ?? ''}`.trim());
        await waitFor(`sensor1 reporting ${NEW_VERSION} to the hub`, () => h().core.reportedVersions.get(subdeviceKey(SENSOR1)) === NEW_VERSION, {
          timeoutMs: STEP_TIMEOUT_MS,
          signal,
        });
        if (sim(0).version() !== NEW_VERSION) throw new Error(`sensor1 runs ${sim(0).version()}, not ${NEW_VERSION}`);
        return `${image.size} bytes downloaded over HTTP and delivered; job ${j.id} done; sensor1 reports ${NEW_VERSION}`;
      } finally {
        bar.stop();
        ticking = false;
        await ticker;
        sensor2DuringOta = up.filter((m) => m.topic === sensor2Topic).length - before;
      }
    });

    await step('sensor2 data during the update', () => {
      if (sensor2DuringOta < 1) throw new Error('no sensor2 reading reached the hub while sensor1 was updated');
      return Promise.resolve(`${sensor2DuringOta} readings reached the hub meanwhile`);
    });

    await step('offline', async () => {
      // A subdevice that rebooted into new firmware re-attaches; let presence settle first.
      await g().service.idle();
      const res = await g().service.presence.takeOffline([SENSOR1, SENSOR2], { signal, timeoutMs: STEP_TIMEOUT_MS });
      const refused = res.filter((r) => !r.ok);
      if (refused.length > 0) throw new Error(`hub refused: ${refused.map((r) => `${subdeviceKey(r.subdevice)} ${r.hubCode} ${r.message}`).join('; ')}`);
      await waitFor('both subdevices offline at the hub', () => !h().isOnline(SENSOR1.productId, SENSOR1.deviceName) && !h().isOnline(SENSOR2.productId, SENSOR2.deviceName), {
        timeoutMs: STEP_TIMEOUT_MS,
        signal,
      });
      return 'emulator shows sensor1 and sensor2 offline';
    });

    await step('unbind sensor1 + sensor2', async () => {
      const res = await g().service.binding.unbind([SENSOR1, SENSOR2], { signal, timeoutMs: STEP_TIMEOUT_MS });
      const refused = res.filter((r) => !r.ok);
      if (refused.length > 0) throw new Error(`hub refused: ${refused.map((r) => `${subdeviceKey(r.subdevice)} ${r.hubCode} ${r.message}`).join('; ')}`);
      for (const s of [SENSOR1, SENSOR2]) {
        if (h().registry.isBound(gw, subdeviceKey(s))) throw new Error(`the emulator still has ${subdeviceKey(s)} bound`);
      }
      return 'emulator registry shows no bindings';
    });

    await step('list bound (after unbind)', async () => {
      const listed = sortedKeys(await g().service.binding.listBound({ signal, timeoutMs: STEP_TIMEOUT_MS }));
      const truth = h().registry.subdevicesOf(gw);
      if (listed.length !== 0 || truth.length !== 0) throw new Error(`gateway listed [${listed.join(', ')}], emulator has [${truth.join(', ')}]`);
      return 'empty, as at the emulator';
    });

    const su = (): SelfUpdateDemo => {
      if (!selfUpdate) throw new Error('the gateway is not running');
      return selfUpdate;
    };
    const { first, good, broken } = GATEWAY_VERSIONS;
    await step(`gateway self-update ${first} → ${good}`, () => selfUpdateGood(flow, su()));
    await step(`gateway self-update to ${broken} that never becomes healthy: rolled back`, () => selfUpdateRolledBack(flow, su()));
  } finally {
    io.out('');
    io.out(summaryTable(results));
    io.out('');
    io.out(summaryVerdict(results, transport));
    if (options.keepRunning && hub && !signal.aborted) {
      io.out(`hub emulator console: ${hub.urls.console}  (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    // A restart under way ends first (aborted with the demo), so the gateway torn down is the last one.
    await supervisor?.stop();
    await tearDownDemo({ services, gateway, bench, meter, observer, hub, dir }, io, signal.aborted);
  }
  return { code: results.every((r) => r.ok) ? EXIT.ok : EXIT.failed, transport, results };
}
