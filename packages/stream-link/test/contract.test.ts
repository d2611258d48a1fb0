import test from 'ava';
import { subdeviceId } from '@iotgw/domain';
import { describeRequestCapableLinkContract, describeSubdeviceLinkContract } from '@iotgw/testkit';
import { contractHarness, requestHarness } from './memory-bus.js';

const subdevices = [subdeviceId('ABCDEFGHIJ', 'sub1'), subdeviceId('ABCDEFGHIJ', 'sub2')];

// The port contract for the one link-protocol link, on an in-memory bus with two subdevices; the
// serial (socat pty) and BLE (simulated central) adapters run the same suite over their providers.
describeSubdeviceLinkContract(test, () => Promise.resolve(contractHarness(subdevices)), { name: 'LinkProtocolSubdeviceLink (memory bus)' });
// Subdevices built against the first published spec (revision 1) get the same service.
describeSubdeviceLinkContract(test, () => Promise.resolve(contractHarness(subdevices, { revision: 1 })), {
  name: 'LinkProtocolSubdeviceLink with revision-1 subdevices',
});

// Requests (the hub's RRPC handed down, link feature REQUESTS).
describeRequestCapableLinkContract(test, () => Promise.resolve(requestHarness(subdevices)), 'LinkProtocolSubdeviceLink (memory bus)');
