// Commands that need the heavier packages register themselves here, so `validate` stays light.
import { registerCommand } from './main.js';
import { demoCommand } from './demo-command.js';
import { hubCommand } from './hub-command.js';
import { startCommand } from './start-command.js';

registerCommand('hub', 'run the Tencent IoT Hub emulator (broker, firmware HTTP, web console)', hubCommand);
registerCommand('demo', 'hub emulator + gateway + two simulated subdevices, walking every flow', (args, ctx) => demoCommand(args, ctx));
registerCommand('start', 'run a gateway from device_info.json and an iotgw config until SIGINT/SIGTERM', (args, ctx) => startCommand(args, ctx));
