import test from 'ava';
import { SubdeviceOperationRefusedError, isGatewayError, type SubdeviceRefusalReason } from '@iotgw/domain';
import { describeGatewayResult, GATEWAY_RESULT, gatewayRefusal, gatewayResultReason } from '../src/index.js';

const SUB = { productId: 'ABCDEFGHIJ', deviceName: 'sub1' };

/** Every documented code, its stable name, and a word of the platform's meaning the message must carry. */
const TABLE: Array<[number, SubdeviceRefusalReason, RegExp]> = [
  [GATEWAY_RESULT.notBound, 'not_bound', /not bound/],
  [GATEWAY_RESULT.systemError, 'hub_system_error', /system error/],
  [GATEWAY_RESULT.bindParameterError, 'invalid_parameters', /parameters/],
  [GATEWAY_RESULT.subdeviceNotFound, 'subdevice_not_found', /does not exist/],
  [GATEWAY_RESULT.bindSignatureMismatch, 'signature_mismatch', /signature does not match/],
  [GATEWAY_RESULT.bindSignMethodUnsupported, 'sign_method_unsupported', /sign method/],
  [GATEWAY_RESULT.bindSignatureExpired, 'signature_expired', /expired/],
  [GATEWAY_RESULT.boundToAnotherGateway, 'bound_to_another_gateway', /another gateway/],
  [GATEWAY_RESULT.bindNotAllowed, 'not_bindable', /cannot be bound/],
  [GATEWAY_RESULT.operationNotPermitted, 'not_permitted', /not permitted/],
  [GATEWAY_RESULT.alreadyBound, 'already_bound', /already bound to this gateway/],
  [GATEWAY_RESULT.subdeviceUnsupported, 'subdevice_unsupported', /not supported/],
];

for (const [code, reason, meaning] of TABLE) {
  test(`hub result ${code} is the named refusal ${reason}`, (t) => {
    t.is(gatewayResultReason(code), reason);
    const error = gatewayRefusal('bind', SUB, code);
    t.true(error instanceof SubdeviceOperationRefusedError);
    t.true(isGatewayError(error));
    t.is(error?.code, 'hub.subdevice_refused');
    t.is(error?.reason, reason);
    t.is(error?.hubCode, code);
    t.is(error?.operation, 'bind');
    t.deepEqual(error?.subdevice, SUB);
    t.regex(error?.message ?? '', meaning);
    t.true(error?.message.includes(describeGatewayResult(code)));
    t.true(error?.message.includes('ABCDEFGHIJ/sub1'));
  });
}

test('the AT command set prints the bind codes unsigned: 806 reads as -806', (t) => {
  t.is(gatewayResultReason(806), 'bound_to_another_gateway');
});

test('success is no refusal; an undocumented code is named as such, its number kept', (t) => {
  t.is(gatewayRefusal('online', SUB, 0), undefined);
  const error = gatewayRefusal('online', SUB, -999);
  t.is(error?.reason, 'undocumented');
  t.is(error?.hubCode, -999);
  t.regex(error?.message ?? '', /undocumented/);
});
