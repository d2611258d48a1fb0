#!/usr/bin/env node
// The installed command. It lives outside dist/ so that it exists at install time, before a build:
// npm links a bin only to a file that is there (a fresh clone's "npm ci" would otherwise leave
// "iotgw-subdevice: command not found" until a second install).
import('../dist/src/bin/iotgw-subdevice.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/src/bin/iotgw-subdevice.js')) {
    console.error('iotgw-subdevice: not built yet: run "npm run build" at the repository root first');
    process.exit(1);
  }
  throw error;
});
