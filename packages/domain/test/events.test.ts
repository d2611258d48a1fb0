import test from 'ava';
import { TypedEmitter } from '../src/index.js';

type Events = {
  [event: string]: (payload: never) => void;
  tick: (n: number) => void;
  name: (s: string) => void;
};

test('listeners receive the payload of their event only', (t) => {
  const emitter = new TypedEmitter<Events>();
  const ticks: number[] = [];
  const names: string[] = [];
  emitter.on('tick', (n) => ticks.push(n));
  emitter.on('name', (s) => names.push(s));
  emitter.emit('tick', 1);
  emitter.emit('name', 'a');
  emitter.emit('tick', 2);
  t.deepEqual(ticks, [1, 2]);
  t.deepEqual(names, ['a']);
});

test('emitting an event nobody listens to is harmless', (t) => {
  const emitter = new TypedEmitter<Events>();
  t.notThrows(() => emitter.emit('tick', 1));
  t.is(emitter.listenerCount('tick'), 0);
});

test('close removes only its own subscription, even for the same function, and twice is harmless', (t) => {
  const emitter = new TypedEmitter<Events>();
  const seen: number[] = [];
  const listener = (n: number): void => void seen.push(n);
  const first = emitter.on('tick', listener);
  emitter.on('tick', listener);
  t.is(emitter.listenerCount('tick'), 2);
  first.close();
  first.close();
  t.is(emitter.listenerCount('tick'), 1);
  emitter.emit('tick', 7);
  t.deepEqual(seen, [7]);
});

test('a throwing listener does not stop the others; its error goes to onListenerError', (t) => {
  const errors: Array<[unknown, string]> = [];
  const emitter = new TypedEmitter<Events>((error, event) => errors.push([error, event]));
  const seen: number[] = [];
  const boom = new Error('boom');
  emitter.on('tick', () => {
    throw boom;
  });
  emitter.on('tick', (n) => seen.push(n));
  emitter.emit('tick', 3);
  t.deepEqual(seen, [3]);
  t.deepEqual(errors, [[boom, 'tick']]);
});

test('the default onListenerError swallows the error', (t) => {
  const emitter = new TypedEmitter<Events>();
  emitter.on('tick', () => {
    throw new Error('ignored');
  });
  t.notThrows(() => emitter.emit('tick', 1));
});

test('a listener added during emit does not run for that emit; one removed during emit still does', (t) => {
  const emitter = new TypedEmitter<Events>();
  const calls: string[] = [];
  const handles: { second?: { close(): void } } = {};
  emitter.on('tick', () => {
    calls.push('first');
    emitter.on('tick', () => calls.push('late'));
    handles.second?.close();
  });
  handles.second = emitter.on('tick', () => calls.push('second'));
  emitter.emit('tick', 1);
  t.deepEqual(calls, ['first', 'second']);
});

test('clear removes every listener', (t) => {
  const emitter = new TypedEmitter<Events>();
  let count = 0;
  emitter.on('tick', () => count++);
  emitter.on('name', () => count++);
  emitter.clear();
  emitter.emit('tick', 1);
  emitter.emit('name', 'x');
  t.is(count, 0);
  t.is(emitter.listenerCount('name'), 0);
});
