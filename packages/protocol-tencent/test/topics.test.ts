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
} from '../src/index.js';

const D = { productId: 'ABCDEFGHIJ', deviceName: 'dev-1' };

const builders = [
  [gatewayOperationTopic(D), '$gateway/operation/ABCDEFGHIJ/dev-1', 'gateway-operation'],
  [gatewayOperationResultTopic(D), '$gateway/operation/result/ABCDEFGHIJ/dev-1', 'gateway-operation-result'],
  [otaUpdateTopic(D), '$ota/update/ABCDEFGHIJ/dev-1', 'ota-update'],
  [otaReportTopic(D), '$ota/report/ABCDEFGHIJ/dev-1', 'ota-report'],
  [shadowOperationTopic(D), '$shadow/operation/ABCDEFGHIJ/dev-1', 'shadow-operation'],
  [shadowOperationResultTopic(D), '$shadow/operation/result/ABCDEFGHIJ/dev-1', 'shadow-operation-result'],
] as const;

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
