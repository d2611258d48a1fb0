import test from 'ava';
import { ConfigError } from '@iotgw/domain';
import { defaultGatewayConfig, parseGatewayConfig } from '../src/index.js';

test('channels: each product declares its publish and subscribe topics; none by default', (t) => {
  t.deepEqual(defaultGatewayConfig().channels, {});
  const config = parseGatewayConfig(JSON.stringify({ channels: { SB00000001: { publish: ['event', 'user/alarm'], subscribe: ['control', 'user/cmd'] } } }));
  t.deepEqual(config.channels, { SB00000001: { publish: ['event', 'user/alarm'], subscribe: ['control', 'user/cmd'] } });
  t.deepEqual(parseGatewayConfig(JSON.stringify({ channels: { SB00000001: { subscribe: ['control'] } } })).channels, { SB00000001: { publish: [], subscribe: ['control'] } });
});

test('channels: a wildcard, an empty level, a bad product id or an unknown field is refused naming the field and the fix', (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ SB00000001: { publish: ['user/#'] } }, /channels\.SB00000001\.publish\.0: must be topic levels .*no wildcard/],
    [{ SB00000001: { subscribe: ['user//cmd'] } }, /channels\.SB00000001\.subscribe\.0/],
    [{ sb1: { publish: ['event'] } }, /channels\.sb1: "sb1" is not a product id: use the 10 upper-case letters or digits/],
    [{ SB00000001: { pub: ['event'] } }, /channels\.SB00000001: Unrecognized key: "pub"/],
  ];
  for (const [channels, message] of cases) {
    const error = t.throws(() => parseGatewayConfig(JSON.stringify({ channels })), { instanceOf: ConfigError });
    t.regex(error.message, message);
  }
});
