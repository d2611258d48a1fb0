import test from 'ava';
import { ConfigError, subdeviceId, type SubdeviceLink } from '@iotgw/domain';
import { SimulatedBleCentral } from '@iotgw/simulators';
import { fakeAdapterContext } from '@iotgw/testkit';
import { bleLinkAdapter, createBleLinkAdapter } from '../src/index.js';

const context = fakeAdapterContext();

function parse(raw: unknown): unknown {
  const result = bleLinkAdapter.options['~standard'].validate(raw);
  if (result instanceof Promise || result.issues) throw new Error('invalid options in the test');
  return result.value;
}

test('options: defaults filled in, the subdevices named, a wrong central refused with the schema message', (t) => {
  const options = bleLinkAdapter.options['~standard'].validate({ subdevices: [{ id: 'SB00000001/tag1', localName: 'TAG-1' }] });
  t.false(options instanceof Promise);
  t.like(options, { value: { central: 'noble', crc: 'crc32c' } });
  t.deepEqual(bleLinkAdapter.subdevicesOf?.(parse({ subdevices: [{ id: 'SB00000001/tag1', localName: 'TAG-1' }] }) as never), [subdeviceId('SB00000001', 'tag1')]);
  const bad = bleLinkAdapter.options['~standard'].validate({ central: 'bluez' });
  t.like(bad, { issues: [{ message: 'must be "noble" (the radio) or "simulated"', path: ['central'] }] });
});

test('"simulated" needs a central from the caller; with one, the link is built on it', async (t) => {
  const options = parse({ name: 'ble:bench', central: 'simulated', subdevices: [{ id: 'SB00000001/tag1', localName: 'TAG-1' }] }) as never;
  t.throws(() => bleLinkAdapter.create(options, context), { instanceOf: ConfigError, message: /no simulated BLE central in this build/ });
  const central = new SimulatedBleCentral();
  let made = 0;
  const adapter = createBleLinkAdapter({ simulated: () => (made++, central) });
  const link: SubdeviceLink = await adapter.create(options, context);
  t.is(link.name, 'ble:bench');
  t.is(made, 1);
});
