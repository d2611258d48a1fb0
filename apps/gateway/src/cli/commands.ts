// Commands that need the heavier packages register themselves here, so `validate` stays light.
import { registerCommand } from './main.js';
import { hubCommand } from './hub-command.js';

registerCommand('hub', 'run the Tencent IoT Hub emulator (broker, firmware HTTP, web console)', hubCommand);
