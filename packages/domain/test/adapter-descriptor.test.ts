import test from 'ava';
import { defineAdapter, type AnyAdapterDescriptor, type OptionsSchema, type SubdeviceLink } from '../src/index.js';

/** A hand-written Standard Schema validator: what zod 4 schemas provide under '~standard'. */
function portSchema(): OptionsSchema<{ port: number }> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value) => {
        const port = (value as { port?: unknown } | null)?.port;
        return typeof port === 'number' ? { value: { port } } : { issues: [{ message: 'port must be a number', path: ['port'] }] };
      },
    },
  };
}

test('a descriptor with typed options is held as any descriptor, and its schema validates', async (t) => {
  const descriptor = defineAdapter({
    kind: 'link',
    name: 'tcp-json',
    summary: 'a link over TCP',
    options: portSchema(),
    create: (options) => ({ name: `tcp:${options.port}` }) as unknown as SubdeviceLink,
    subdevicesOf: () => [{ productId: 'ABCDEFGHIJ', deviceName: 'd1' }],
  });
  const held: readonly AnyAdapterDescriptor[] = [descriptor];
  const [first] = held;
  const ok = await first!.options['~standard'].validate({ port: 7 });
  t.deepEqual(ok, { value: { port: 7 } });
  const bad = await first!.options['~standard'].validate({ port: 'x' });
  t.is(bad.issues?.[0]?.message, 'port must be a number');
  t.deepEqual(first!.subdevicesOf?.({ port: 7 }), [{ productId: 'ABCDEFGHIJ', deviceName: 'd1' }]);
});
