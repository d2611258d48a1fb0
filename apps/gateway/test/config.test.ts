import test from 'ava';
import { ConfigError } from '@iotgw/domain';
import { defaultGatewayConfig, linkSubdevices, parseDeviceInfo, parseGatewayConfig } from '../src/index.js';

const vendorKeyFile = {
  auth_mode: 'KEY',
  productId: 'GW00000001',
  productSecret: 'YOUR_PRODUCT_SECRET',
  deviceName: 'gw1',
  key_deviceinfo: { deviceSecret: 'c2VjcmV0S2V5MTIzNDU2Nw==' },
  subDev: {
    subdev_num: 2,
    subdev_list: [
      { sub_productId: 'SB00000001', sub_devName: 'test1' },
      { sub_productId: 'SB00000001', sub_devName: 'test2' },
    ],
  },
  region: 'china',
};

test('the vendor device_info.json is accepted as-is (KEY mode)', (t) => {
  const info = parseDeviceInfo(JSON.stringify(vendorKeyFile));
  t.deepEqual(info.gateway, { productId: 'GW00000001', deviceName: 'gw1' });
  t.deepEqual(info.auth, { mode: 'key', deviceSecret: 'c2VjcmV0S2V5MTIzNDU2Nw==' });
  t.deepEqual(info.subdevices.map((s) => `${s.productId}/${s.deviceName}`), ['SB00000001/test1', 'SB00000001/test2']);
  t.is(info.region, 'china');
});

test('CERT mode takes the certificate paths', (t) => {
  const info = parseDeviceInfo(
    JSON.stringify({
      auth_mode: 'CERT',
      productId: 'GW00000001',
      deviceName: 'gw1',
      cert_deviceinfo: { devCaFile: 'ca.crt', devCertFile: 'gw1.crt', devPrivateKeyFile: 'gw1.key' },
    }),
  );
  t.deepEqual(info.auth, { mode: 'cert', caFile: 'ca.crt', certFile: 'gw1.crt', keyFile: 'gw1.key' });
  t.deepEqual(info.subdevices, []);
});

test('a missing device secret names the field and the fix', (t) => {
  const error = t.throws(() => parseDeviceInfo(JSON.stringify({ ...vendorKeyFile, key_deviceinfo: { deviceSecret: 'YOUR_IOT_PSK' } })), {
    instanceOf: ConfigError,
  });
  t.is(error?.code, 'config.invalid');
  t.regex(error?.message ?? '', /key_deviceinfo\.deviceSecret: is required for auth_mode "KEY"/);
});

test('a bad product id and a bad subdevice name are reported together', (t) => {
  const error = t.throws(
    () =>
      parseDeviceInfo(
        JSON.stringify({ ...vendorKeyFile, productId: 'gw', subDev: { subdev_list: [{ sub_productId: 'SB00000001', sub_devName: 'bad name' }] } }),
      ),
    { instanceOf: ConfigError },
  );
  t.regex(error?.message ?? '', /2 problems/);
  t.regex(error?.message ?? '', /productId: must be 10 upper-case letters or digits/);
  t.regex(error?.message ?? '', /subDev\.subdev_list\.0\.sub_devName/);
});

test('invalid JSON says so, with the file name', (t) => {
  const error = t.throws(() => parseDeviceInfo('{ "auth_mode": ', 'my_device_info.json'), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /^my_device_info\.json: is not valid JSON/);
});

test('broken JSON is placed by line and column and never quotes the text (it may be a secret)', (t) => {
  const text = '{\n  "auth_mode": "KEY",\n  "key_deviceinfo": { "deviceSecret": U1VQRVJTRUNSRVQxMjM= }\n}';
  const error = t.throws(() => parseDeviceInfo(text, 'device_info.json'), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /^device_info\.json: is not valid JSON \(Unexpected token at line 3, column 39\)$/);
  t.notRegex(error?.message ?? '', /U1VQ|SRU|'U'/);
  const truncated = t.throws(() => parseDeviceInfo('{\n  "auth_mode": "KEY"\n  "productId": 1', 'd.json'), { instanceOf: ConfigError });
  t.regex(truncated?.message ?? '', /at line 3, column 3\)$/);
});

test('several problems are headed by the file, and wrong or missing types are said plainly', (t) => {
  const error = t.throws(
    () => parseDeviceInfo(JSON.stringify({ ...vendorKeyFile, productId: 5, deviceName: undefined, subDev: { subdev_list: 'x' } }), 'di.json'),
    { instanceOf: ConfigError },
  );
  const message = error?.message ?? '';
  t.regex(message, /^di\.json: 3 problems:\n/);
  t.regex(message, /  productId: must be a string, not a number/);
  t.regex(message, /  deviceName: missing: a string is required/);
  t.regex(message, /  subDev\.subdev_list: must be an array, not a string/);
});

test('CERT mode without certificate files is refused', (t) => {
  const error = t.throws(() => parseDeviceInfo(JSON.stringify({ auth_mode: 'CERT', productId: 'GW00000001', deviceName: 'gw1' })), {
    instanceOf: ConfigError,
  });
  t.regex(error?.message ?? '', /cert_deviceinfo\.devCertFile/);
});

test('the iotgw config has sensible defaults', (t) => {
  const config = defaultGatewayConfig();
  t.is(config.hub.adapter, 'mqtt');
  t.true(config.hub.tls);
  t.false(config.hub.insecureSkipVerify);
  t.is(config.hub.operationTimeoutMs, 10_000);
  t.is(config.dataDir, './.iotgw');
  t.deepEqual(config.dataChannels, ['data']);
  t.is(config.ota.concurrencyPerLink, 1);
  t.false(config.ota.allowLoopback, 'firmware from this machine only when asked for');
  t.false(config.ota.allowLinkLocal);
  t.deepEqual(config.ota.allowedHosts, []);
  t.is(config.ota.maxImageBytes, 512 * 1024 * 1024);
});

test('the OTA source settings: an allow-list of hosts, loopback, size; a bad host pattern is named', (t) => {
  const config = parseGatewayConfig(JSON.stringify({ ota: { allowedHosts: ['*.cos.example.com', 'fw.example.com'], allowLoopback: true, maxImageBytes: 1024 } }));
  t.deepEqual(config.ota.allowedHosts, ['*.cos.example.com', 'fw.example.com']);
  t.true(config.ota.allowLoopback);
  t.is(config.ota.maxImageBytes, 1024);
  const error = t.throws(() => parseGatewayConfig(JSON.stringify({ ota: { allowedHosts: ['https://fw.example.com/'] } })));
  t.regex(error?.message ?? '', /ota\.allowedHosts\.0/);
  t.regex(error?.message ?? '', /host name like/);
  t.throws(() => parseGatewayConfig(JSON.stringify({ ota: { maxImageBytes: 0 } })), { message: /ota\.maxImageBytes/ });
});

test('links declare their subdevices; serial defaults to 115200 baud', (t) => {
  const config = parseGatewayConfig(
    JSON.stringify({
      links: [
        { adapter: 'serial', path: '/dev/ttyUSB0', subdevices: ['SB00000001/test1'] },
        { adapter: 'ble', central: 'simulated', subdevices: [{ id: 'SB00000001/test2', localName: 'iotgw-test2' }] },
      ],
      secrets: { 'SB00000001/test1': { env: 'TEST1_SECRET' } },
    }),
  );
  const [serial, ble] = config.links;
  t.is(serial?.adapter === 'serial' ? serial.baudRate : 0, 115200);
  t.deepEqual(linkSubdevices(ble!).map((s) => s.deviceName), ['test2']);
});

test('serial links take the CRC kind and bus addresses; crc32c is the default', (t) => {
  const config = parseGatewayConfig(
    JSON.stringify({
      links: [{ adapter: 'serial', path: '/dev/ttyUSB0', crc: 'crc16', subdevices: [{ id: 'SB00000001/a', address: 3 }, 'SB00000001/b'] }],
    }),
  );
  const [serial] = config.links;
  t.like(serial, { crc: 'crc16', subdevices: [{ id: 'SB00000001/a', address: 3 }, 'SB00000001/b'] });
  t.is(parseGatewayConfig(JSON.stringify({ links: [{ adapter: 'serial', path: 'p' }] })).links[0]?.crc, 'crc32c');
  const crc = t.throws(() => parseGatewayConfig(JSON.stringify({ links: [{ adapter: 'serial', path: 'p', crc: 'crc8' }] })), { instanceOf: ConfigError });
  t.regex(crc?.message ?? '', /links\.0\.crc: must be "crc32c" \(the default\) or "crc16"/);
  const range = t.throws(
    () => parseGatewayConfig(JSON.stringify({ links: [{ adapter: 'serial', path: 'p', subdevices: [{ id: 'SB00000001/a', address: 255 }] }] })),
    { instanceOf: ConfigError },
  );
  t.regex(range?.message ?? '', /links\.0\.subdevices\.0/);
});

test('two subdevices at one address on a bus, or one subdevice on two links, is an error naming both', (t) => {
  const clash = t.throws(
    () =>
      parseGatewayConfig(
        JSON.stringify({
          links: [{ adapter: 'serial', path: 'p', subdevices: [{ id: 'SB00000001/a', address: 4 }, { id: 'SB00000001/b', address: 4 }] }],
        }),
      ),
    { instanceOf: ConfigError },
  );
  t.regex(clash?.message ?? '', /links\.0\.subdevices\.1\.address: address 4 is already used by SB00000001\/a on this bus/);
  const twice = t.throws(
    () =>
      parseGatewayConfig(
        JSON.stringify({
          links: [
            { adapter: 'serial', path: 'p', subdevices: ['SB00000001/a'] },
            { adapter: 'serial', path: 'q', subdevices: [{ id: 'SB00000001/a', address: 2 }] },
          ],
        }),
      ),
    { instanceOf: ConfigError },
  );
  t.regex(twice?.message ?? '', /links\.1\.subdevices\.0: SB00000001\/a is already listed by links\[0\]/);
});

test('an unknown field or adapter is an error naming it, not a silent default', (t) => {
  const unknown = t.throws(() => parseGatewayConfig(JSON.stringify({ hub: { hots: 'x' } })), { instanceOf: ConfigError });
  t.regex(unknown?.message ?? '', /hub/);
  t.regex(unknown?.message ?? '', /hots/);
  const adapter = t.throws(() => parseGatewayConfig(JSON.stringify({ links: [{ adapter: 'zigbee' }] })), { instanceOf: ConfigError });
  t.regex(adapter?.message ?? '', /links\.0\.adapter/);
});

test('a secret written inline is refused: secrets are referenced', (t) => {
  const error = t.throws(() => parseGatewayConfig(JSON.stringify({ secrets: { 'SB00000001/test1': 'c2VjcmV0' } })), {
    instanceOf: ConfigError,
  });
  t.regex(error?.message ?? '', /secrets\.SB00000001\/test1/);
  t.notRegex(error?.message ?? '', /c2VjcmV0/);
});

test('the offline store is configured under hub.offlineStore, the fields its warnings name', async (t) => {
  const defaults = defaultGatewayConfig().hub.offlineStore;
  t.deepEqual(defaults, { maxBytes: 256 * 1024 * 1024, maxAgeMs: 7 * 24 * 60 * 60 * 1000, overflow: 'drop-oldest', syncIntervalMs: 1000 });
  const config = parseGatewayConfig(JSON.stringify({ hub: { offlineStore: { maxBytes: 64 * 1024 * 1024, overflow: 'drop-newest' }, maxPacketBytes: 65536 } }));
  t.like(config.hub, { maxPacketBytes: 65536, offlineStore: { maxBytes: 64 * 1024 * 1024, overflow: 'drop-newest', syncIntervalMs: 1000 } });
  t.throws(() => parseGatewayConfig(JSON.stringify({ hub: { offlineStore: { overflow: 'drop-all' } } })), { message: /hub\.offlineStore\.overflow/ });
  // The store's own messages name these very fields (configPath given by the gateway's plugin).
  const { OfflineStore, OfflineStoreFullError } = await import('@iotgw/offline-store');
  const store = await OfflineStore.open({ maxBytes: 64 * 1024, overflow: 'reject', configPath: 'hub.offlineStore' });
  const error = t.throws(() => {
    for (let i = 0; i < 1000; i++) store.append('P/a', 'P/a/data', new Uint8Array(200));
  }, { instanceOf: OfflineStoreFullError });
  for (const field of error?.message.match(/hub\.offlineStore\.[a-zA-Z]+/g) ?? []) {
    const name = field.split('.')[2]!;
    t.true(name in defaults, `${field} is a config field`);
  }
  await store.close();
});
