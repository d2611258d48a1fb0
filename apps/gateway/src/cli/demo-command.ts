import { InvalidArgumentError, Option } from 'commander';
import type { CommandDefinition } from './main.js';

const DESCRIPTION = `Starts the hub emulator, a gateway and two simulated subdevices (over socat ptys when socat is installed, else in memory) and walks every flow in 25 checked steps: bind, list bound, online, data up and down, an RRPC call, a shadow change, the console unbinding and binding a subdevice, a Modbus TCP energy meter (reading, a register written from the hub), remote configuration (one applied live, one refused), firmware update of one subdevice while the other keeps sending, offline, unbind, and the gateway updating itself (then rolling back a version that never becomes healthy). Exits 0 when every step succeeded, 1 when one failed; Ctrl-C stops it within 2 s.`;

export const demoCommand: CommandDefinition = {
  name: 'demo',
  // SIGINT must end the demo within 2 s, whatever it is doing.
  stopGraceMs: 1_500,
  define(program, host) {
    program
      .command('demo')
      .summary('hub emulator + gateway + two simulated subdevices, walking every flow')
      .description(DESCRIPTION)
      .option('--keep-running', 'leave the emulator and its web console running (Ctrl-C to stop)')
      .option('--memory', 'use in-memory links even when socat is installed')
      .addOption(
        new Option(
          '--broker <url>',
          "run the emulator and the gateway on this MQTT broker (e.g. mosquitto with allow_anonymous) instead of the emulator's embedded one",
        ).argParser((value) => {
          if (!/^mqtt:\/\/[^/]+:\d+\/?$/.test(value)) throw new InvalidArgumentError('must be mqtt://host:port');
          return value;
        }),
      )
      .action(
        host.action(async (options: { keepRunning?: boolean; memory?: boolean; broker?: string }) => {
          const { runDemo } = await import('../demo/run-demo.js');
          const report = await runDemo({
            io: host.io,
            signal: host.signal,
            keepRunning: options.keepRunning === true,
            memory: options.memory === true,
            ...(options.broker ? { broker: options.broker } : {}),
          });
          return report.code;
        }),
      );
  },
};
