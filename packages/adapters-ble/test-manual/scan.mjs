// Hardware-in-the-loop helper (not run in CI; never run so far on real hardware — see README).
// Build first (npx tsc -b packages/adapters-ble), then on a machine with a BLE adapter:
//   node packages/adapters-ble/test-manual/scan.mjs [seconds] [localName]
// Lists advertisements for a few seconds; with a localName, connects to it, opens the iotgw GATT
// profile, prints the negotiated MTU and every notification for the rest of the time.
import { BleByteStream, IOTGW_GATT_PROFILE, NobleBleCentral } from '../dist/src/index.js';

const seconds = Number(process.argv[2] ?? 10);
const wanted = process.argv[3];
const central = new NobleBleCentral({ poweredOnTimeoutMs: 5000 });
let target;
try {
  const scan = await central.scan({}, (ad) => {
    console.log(ad.id, JSON.stringify(ad.localName ?? ''), ad.rssi, ad.serviceUuids.join(','));
    if (wanted && ad.localName === wanted) target ??= ad.id;
  });
  await new Promise((r) => setTimeout(r, Math.min(seconds, 5) * 1000));
  scan.close();
  if (target) {
    const connection = await central.connect(target, { timeoutMs: 15000 });
    console.log('connected, mtu', connection.mtu);
    const stream = new BleByteStream(await connection.openChannel(IOTGW_GATT_PROFILE), connection.mtu);
    stream.onData((b) => console.log('notify', Buffer.from(b).toString('hex')));
    await new Promise((r) => setTimeout(r, seconds * 1000));
    await connection.disconnect();
  }
} catch (error) {
  console.error(`${error.code ?? 'error'}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await central.close();
}
