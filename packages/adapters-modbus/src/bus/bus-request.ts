import type { ModbusFunction } from '../model/modbus-model.schema.js';

/** One Modbus transaction, as the bus hands it to the connection. */
export type BusRequest =
  | { readonly op: 'read'; readonly unitId: number; readonly function: ModbusFunction; readonly address: number; readonly count: number }
  | { readonly op: 'writeCoil'; readonly unitId: number; readonly address: number; readonly value: boolean }
  | { readonly op: 'writeRegister'; readonly unitId: number; readonly address: number; readonly value: number }
  | { readonly op: 'writeRegisters'; readonly unitId: number; readonly address: number; readonly values: readonly number[] };

/**
 * How a transaction ended. Failures by kind, because each is handled differently:
 * - `timeout`: no (usable) answer in time — the unit may be gone;
 * - `crc`: an answer with a bad checksum — the unit is there, the line is noisy: asked again;
 * - `frame`: an answer of the wrong length, unit or function (garbled) — asked again, like crc;
 * - `exception`: the unit answered with a Modbus exception (`exceptionCode`) — it is there, the
 *   request is wrong for it (an address its map lacks, a value it refuses): not asked again;
 * - `port`: the port or connection failed — it is reopened.
 */
export type BusOutcome =
  | { readonly ok: true; readonly registers?: readonly number[]; readonly bits?: readonly boolean[] }
  | {
      readonly ok: false;
      readonly kind: 'timeout' | 'crc' | 'frame' | 'exception' | 'port';
      readonly message: string;
      readonly exceptionCode?: number;
    };

export function describeRequest(r: BusRequest): string {
  switch (r.op) {
    case 'read':
      return `read ${r.count} ${r.function}${r.count === 1 ? '' : 's'} at ${r.address} from unit ${r.unitId}`;
    case 'writeCoil':
      return `write coil ${r.address} of unit ${r.unitId}`;
    case 'writeRegister':
      return `write holding register ${r.address} of unit ${r.unitId}`;
    case 'writeRegisters':
      return `write ${r.values.length} holding registers at ${r.address} of unit ${r.unitId}`;
  }
}
