import test from 'ava';
import { describeSubdeviceLinkContract } from '@iotgw/testkit';
import { makeBleHarness } from './ble-harness.js';

// The shared SubdeviceLink contract, over the simulated central at the smallest and a large MTU.
describeSubdeviceLinkContract(test, () => Promise.resolve(makeBleHarness(23)), { name: 'BleSubdeviceLink @MTU 23' });
describeSubdeviceLinkContract(test, () => Promise.resolve(makeBleHarness(247, 1)), { name: 'BleSubdeviceLink @MTU 247 +1ms' });
// The same contract with the real central: NobleBleCentral and noble's own code on a simulated radio.
describeSubdeviceLinkContract(test, () => Promise.resolve(makeBleHarness(23, 0, 'noble-on-simulated-radio')), { name: 'BleSubdeviceLink on NobleBleCentral @MTU 23' });
