// Commands that need the heavier packages register themselves here, so `validate` stays light.
import { registerCommand } from './main.js';
import { demoCommand } from './demo-command.js';
import { hubCommand } from './hub-command.js';
import { startCommand } from './start-command.js';
import { otaCommand, subdevicesCommand } from './subdevices-command.js';

for (const command of [startCommand, demoCommand, hubCommand, subdevicesCommand, otaCommand]) registerCommand(command);
