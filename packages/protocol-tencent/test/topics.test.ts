import test from 'ava';
import {
  dataTopic,
  gatewayOperationResultTopic,
  gatewayOperationTopic,
  otaReportTopic,
  otaUpdateTopic,
  parseTopic,
  shadowOperationResultTopic,
  shadowOperationTopic,
  broadcastTopic,
  systemOperationTopic,
  systemOperationResultTopic,
  rrpcRequestTopic,
  rrpcReplyTopic,
  rrpcRequestFilter,
  parseRrpcRequestFilter,
} from '../src/index.js';

const D = { productId: 'ABCDEFGHIJ', deviceName: 'dev-1' };

const builders = [
  [gatewayOperationTopic(D), '$gateway/operation/ABCDEFGHIJ/dev-1', 'gateway-operation'],
  [gatewayOperationResultTopic(D), '$gateway/operation/result/ABCDEFGHIJ/dev-1', 'gateway-operation-result'],
  [otaUpdateTopic(D), '$ota/update/ABCDEFGHIJ/dev-1', 'ota-update'],
  [otaReportTopic(D), '$ota/report/ABCDEFGHIJ/dev-1', 'ota-report'],
  [shadowOperationTopic(D), '$shadow/operation/ABCDEFGHIJ/dev-1', 'shadow-operation'],
  [shadowOperationResultTopic(D), '$shadow/operation/result/ABCDEFGHIJ/dev-1', 'shadow-operation-result'],
  [broadcastTopic(D), '$broadcast/rxd/ABCDEFGHIJ/dev-1', 'broadcast'],
  [systemOperationTopic(D), '$sys/operation/ABCDEFGHIJ/dev-1', 'system-operation'],
  [systemOperationResultTopic(D), '$sys/operation/result/ABCDEFGHIJ/dev-1', 'system-operation-result'],
] as const;

test('RRPC topics: request on rxd, reply on txd, the process id is the last level (C SDK strrchr)', (t) => {
  t.is(rrpcRequestTopic(D, '469'), '$rrpc/rxd/ABCDEFGHIJ/dev-1/469');
  t.is(rrpcReplyTopic(D, '469'), '$rrpc/txd/ABCDEFGHIJ/dev-1/469');
  t.deepEqual(parseTopic('$rrpc/rxd/ABCDEFGHIJ/dev-1/469'), { kind: 'rrpc-request', device: D, processId: '469' });
  t.deepEqual(parseTopic('$rrpc/txd/ABCDEFGHIJ/dev-1/74'), { kind: 'rrpc-reply', device: D, processId: '74' });
  t.is(rrpcRequestFilter(D), '$rrpc/rxd/ABCDEFGHIJ/dev-1/+');
  t.deepEqual(parseRrpcRequestFilter(rrpcRequestFilter(D)), D);
  for (const bad of ['$rrpc/rxd/ABCDEFGHIJ/dev-1', '$rrpc/rxd/ABCDEFGHIJ/dev-1/+', '$rrpc/rxd/ABCDEFGHIJ/dev-1/1/2', `$rrpc/rxd/ABCDEFGHIJ/dev-1/${'9'.repeat(33)}`, '$rrpc/rxd/ABCDEFGHIJ/dev-1/a b']) {
    t.is(parseTopic(bad), undefined, bad);
  }
  t.is(parseRrpcRequestFilter('$rrpc/rxd/ABCDEFGHIJ/+/+'), undefined);
  t.is(parseRrpcRequestFilter('$rrpc/rxd/ABCDEFGHIJ/dev-1/#'), undefined);
});

for (const [built, expected, kind] of builders) {
  test(`${kind} topic builds and parses`, (t) => {
    t.is(built, expected);
    t.deepEqual(parseTopic(built), { kind, device: D });
  });
}

test('data topics carry their channel', (t) => {
  t.is(dataTopic(D), 'ABCDEFGHIJ/dev-1/data');
  t.deepEqual(parseTopic('ABCDEFGHIJ/dev-1/data'), { kind: 'data', device: D, channel: 'data' });
  t.deepEqual(parseTopic(dataTopic(D, 'event')), { kind: 'data', device: D, channel: 'event' });
  t.deepEqual(parseTopic('ABCDEFGHIJ/dev-1/user/custom'), { kind: 'data', device: D, channel: 'user/custom' });
});

const rejected = [
  '',
  'ABCDEFGHIJ/dev-1',
  'ABCDEFGHIJ/dev-1/',
  'ABCDEFGHIJ/dev-1/+',
  'ABCDEFGHIJ/dev-1/#',
  'abcdefghij/dev-1/data',
  'ABCDEFGHIJ//data',
  '$gateway/operation/ABCDEFGHIJ',
  '$gateway/operation/ABCDEFGHIJ/dev/extra',
  '$ota/update/SHORT/dev',
  '$sys/broker/uptime',
  'ABCDEFGHIJ/dev 1/data',
];
for (const topic of rejected) {
  test(`parseTopic rejects ${JSON.stringify(topic)}`, (t) => {
    t.is(parseTopic(topic), undefined);
  });
}
