// Commands that need the heavier packages register themselves here, so `validate` stays light.
import { registerCommand } from './main.js';
import { demoCommand } from './demo-command.js';
import { hubCommand } from './hub-command.js';
import { startCommand } from './start-command.js';
import { otaCommand, subdevicesCommand } from './subdevices-command.js';

registerCommand('hub', 'run the Tencent IoT Hub emulator (broker, firmware HTTP, web console)', hubCommand);
registerCommand('demo', 'hub emulator + gateway + two simulated subdevices, walking every flow', (args, ctx) => demoCommand(args, ctx));
registerCommand('start', 'run a gateway from device_info.json and an iotgw config until SIGINT/SIGTERM', (args, ctx) => startCommand(args, ctx));
registerCommand('subdevices', 'list|bind|unbind|online|offline subdevices of a running gateway', (args, ctx) => subdevicesCommand(args, ctx));
registerCommand('ota', 'status: firmware jobs of a running gateway', (args, ctx) => otaCommand(args, ctx));
