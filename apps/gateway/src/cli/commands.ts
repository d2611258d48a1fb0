// The commands beyond validate. Each definition is light: a command imports what it runs (the
// adapters, the emulator, the demo) in its action, so --help, --version and the commands that only
// talk to a running gateway start in a fraction of the time.
import { registerCommand } from './main.js';
import { demoCommand } from './demo-command.js';
import { hubCommand } from './hub-command.js';
import { startCommand } from './start-command.js';
import { otaCommand, subdevicesCommand } from './subdevices-command.js';

for (const command of [startCommand, demoCommand, hubCommand, subdevicesCommand, otaCommand]) registerCommand(command);
