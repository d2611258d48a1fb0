import test from 'ava';
import {
  offersChannelDeclaration,
  CLOCK,
  FIRMWARE_STORE,
  GATEWAY_SETTINGS,
  HUB_TRANSPORT,
  isValidStateKey,
  LOGGER,
  SECRET_STORE,
  silentLogger,
  STATE_STORE,
  SUBDEVICE_LINKS,
} from '../src/index.js';

test('state keys are [a-z0-9._/-]+ without ".."', (t) => {
  for (const ok of ['a', 'ota/abcdefghij/sub1.json', 'outbox/0001', 'link-state_x.y']) t.true(isValidStateKey(ok), ok);
  for (const bad of ['', 'A', 'a b', '../x', 'a/../b', 'x..y', 'a\\b', 'é']) t.false(isValidStateKey(bad), bad);
});

test('DI tokens are distinct global symbols', (t) => {
  const tokens: symbol[] = [HUB_TRANSPORT, FIRMWARE_STORE, SUBDEVICE_LINKS, STATE_STORE, SECRET_STORE, CLOCK, LOGGER, GATEWAY_SETTINGS];
  t.is(new Set(tokens).size, tokens.length);
  t.true(HUB_TRANSPORT === (Symbol.for('iotgw.HubTransport') as typeof HUB_TRANSPORT));
});

test('silentLogger drops everything and its child is silent too', (t) => {
  t.notThrows(() => {
    silentLogger.debug('x', { a: 1 });
    silentLogger.info('x');
    silentLogger.warn('x');
    silentLogger.error('x');
  });
  t.is(silentLogger.child({ subdevice: 'P/d' }), silentLogger);
});

test('offersChannelDeclaration: only a transport with declareChannels takes channels live (a core-only hub keeps them until a restart)', (t) => {
  t.true(offersChannelDeclaration({ declareChannels: () => Promise.resolve() }));
  t.false(offersChannelDeclaration({}));
  t.false(offersChannelDeclaration(undefined));
});
