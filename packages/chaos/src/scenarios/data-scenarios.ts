import { sleep } from '../rig/processes.js';
import type { Scenario } from './scenario.js';

/** The hub process dies (kill -9) and comes back after `downMs` on new ports, registry intact. */
function hubKill(name: string, downMs: number, profiles: Scenario['profiles']): Scenario {
  return {
    name,
    profiles,
    description: `kill -9 the hub, bring it back after ${downMs / 1000} s: every reading the gateway took reaches the hub, in order`,
    async run({ rig, healed }) {
      await rig.hub.kill('SIGKILL');
      await sleep(downMs);
      await rig.hub.start();
      healed();
      await rig.waitOnline(120_000);
    },
  };
}

export const dataScenarios: readonly Scenario[] = [
  {
    name: 'baseline',
    profiles: ['full'],
    description: 'no fault for 5 s: the reference numbers (latency, duplicates) every other scenario is read against',
    async run({ rig }) {
      await rig.flow(5_000);
    },
  },
  hubKill('hub-kill-5s', 5_000, ['short', 'full']),
  hubKill('hub-kill-5min', 300_000, ['full']),
  {
    name: 'gateway-kill-hub-up',
    profiles: ['short', 'full'],
    description: 'kill -9 the gateway and start it again at once: what it acknowledged before dying still reaches the hub',
    async run({ rig, healed }) {
      await rig.gateway.kill('SIGKILL');
      rig.gateway.spawnOnly();
      healed();
      await rig.gateway.waitRunning();
      await rig.waitOnline(60_000);
    },
  },
  {
    name: 'gateway-kill-hub-down',
    profiles: ['full'],
    description: 'kill -9 the hub, then the gateway holding a backlog; start the gateway while the hub is down, the hub 10 s later: the backlog survives both',
    async run({ rig, healed }) {
      await rig.hub.kill('SIGKILL');
      await sleep(2_000);
      await rig.gateway.kill('SIGKILL');
      rig.gateway.spawnOnly();
      await sleep(10_000);
      await rig.hub.start();
      healed();
      await rig.gateway.waitRunning(60_000);
      await rig.waitOnline(60_000);
    },
  },
  {
    name: 'gateway-start-without-hub',
    profiles: ['full'],
    description: 'kill -9 the gateway and the hub; the gateway starts alone and must keep serving its subdevices for 60 s until the hub is back',
    async run({ rig, healed }) {
      await rig.hub.kill('SIGKILL');
      await rig.gateway.kill('SIGKILL');
      rig.gateway.spawnOnly();
      await sleep(60_000);
      await rig.hub.start();
      healed();
      await rig.gateway.waitRunning(60_000);
      await rig.waitOnline(60_000);
    },
  },
  {
    name: 'gateway-sigstop-20s',
    profiles: ['full'],
    description: 'SIGSTOP the gateway for 20 s (a frozen process: no keepalives, no acks), then SIGCONT',
    async run({ rig, healed }) {
      rig.gateway.freeze();
      await sleep(20_000);
      rig.gateway.resume();
      healed();
      await rig.waitOnline(120_000);
    },
  },
  {
    name: 'link-cut-socat',
    profiles: ['short', 'full'],
    description: "pull sensor1's cable (kill -9 its socat) for 3 s and plug it back: its readings resume, sensor2's never stop",
    async run({ rig, healed }) {
      const sensor1 = rig.subdevice('sensor1');
      await sensor1.link.cut();
      await sleep(3_000);
      await sensor1.link.start();
      healed();
      await rig.waitOnline(60_000);
    },
  },
  {
    name: 'link-cut-simulator',
    profiles: ['full'],
    description: 'kill -9 the sensor1 simulator (a subdevice losing power) for 3 s and power it on again',
    async run({ rig, healed }) {
      const sensor1 = rig.subdevice('sensor1');
      await sensor1.kill('SIGKILL');
      await sleep(3_000);
      sensor1.start();
      healed();
      await rig.waitOnline(60_000);
    },
  },
  {
    name: 'network-partition-10s',
    profiles: ['short', 'full'],
    description: 'black-hole the gateway↔hub traffic for 10 s (no byte passes, nothing is closed), then heal',
    async run({ rig, healed }) {
      rig.proxy.partition();
      await sleep(10_000);
      rig.proxy.heal();
      healed();
      await rig.waitOnline(120_000);
    },
  },
  {
    name: 'network-partition-120s',
    profiles: ['full'],
    description: 'black-hole the gateway↔hub traffic for 120 s, longer than the MQTT keepalive, then heal',
    async run({ rig, healed }) {
      rig.proxy.partition();
      await sleep(120_000);
      rig.proxy.heal();
      healed();
      await rig.waitOnline(180_000);
    },
  },
  {
    name: 'connection-reset',
    profiles: ['short', 'full'],
    description: 'reset the gateway↔hub TCP connection (RST, as a NAT or modem dropping it)',
    async run({ rig, healed }) {
      rig.proxy.cut();
      healed();
      await rig.waitOnline(60_000);
    },
  },
  {
    name: 'unbind-while-sending',
    profiles: ['short', 'full'],
    description:
      'unbind sensor1 through the control API while it sends 50 readings/s, bind it again, 9 times: the hub never disconnects the gateway, the API answers 200, held readings arrive after the rebind',
    setup: () => Promise.resolve({ rig: { subdevices: [{ deviceName: 'sensor1', ratePerSec: 50 }, { deviceName: 'sensor2' }] } }),
    async run({ rig, check, note, healed }) {
      const key = rig.subdevice('sensor1').key;
      const answers: string[] = [];
      const denialsBefore = (await rig.hub.state()).denials.length;
      for (let i = 0; i < 9; i++) {
        const unbind = await rig.gateway.operate('unbind', [key]);
        answers.push(`unbind ${unbind.status}${resultOk(unbind.body) ? '' : ` ${JSON.stringify(unbind.body)}`}`);
        await sleep(300);
        // As an operator would: a bind that failed is tried again (the failure is still counted).
        for (let attempt = 1; attempt <= 5; attempt++) {
          const bind = await rig.gateway.operate('bind', [key]);
          answers.push(`bind ${bind.status}${resultOk(bind.body) ? '' : ` ${JSON.stringify(bind.body)}`}`);
          if (bind.status === 200 && resultOk(bind.body)) break;
          await sleep(1_000);
        }
        await rig.waitOnline(60_000);
      }
      healed();
      const denials = (await rig.hub.state()).denials.slice(denialsBefore);
      note('answers', answers);
      const bad = answers.filter((a) => !/^(unbind|bind) 200$/.test(a));
      check(
        'unbind-clean',
        denials.length === 0 && bad.length === 0,
        [
          denials.length === 0 ? 'the hub denied nothing' : `${denials.length} ACL denials (each disconnects the gateway): ${denials.slice(0, 2).map((d) => `${d.action} ${d.topic}: ${d.reason}`).join('; ')}`,
          bad.length === 0 ? 'every call answered 200 with ok results' : `${bad.length} of ${answers.length} calls failed: ${bad.slice(0, 3).join('; ')}`,
        ].join('; '),
      );
    },
  },
];

function resultOk(body: unknown): boolean {
  const results = (body as { results?: Array<{ ok?: unknown }> } | undefined)?.results;
  return Array.isArray(results) && results.length > 0 && results.every((r) => r.ok === true);
}
