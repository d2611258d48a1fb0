import { firmwareVersionProblem } from '@iotgw/domain';
import type { FirmwareVersionRegister } from './modbus-model.schema.js';

/** What a unit reports when its model declares no version register (or the register is unusable). */
export const UNKNOWN_FIRMWARE_VERSION = 'unknown';

/** Registers read from the model's version register, as the version the hub is told. */
export function decodeFirmwareVersion(register: FirmwareVersionRegister, registers: readonly number[]): string {
  let text: string;
  const first = registers[0] ?? 0;
  switch (register.encoding) {
    case 'uint16':
      text = String(first);
      break;
    case 'majorMinor':
      text = `${first >>> 8}.${first & 0xff}`;
      break;
    case 'ascii': {
      const bytes = Buffer.alloc(registers.length * 2);
      registers.forEach((r, i) => bytes.writeUInt16BE(r & 0xffff, i * 2));
      // Printable ASCII only: a version is sent to the hub and shown in consoles.
      text = bytes.toString('latin1').replace(/[^\x20-\x7e]/g, ' ').trim();
      break;
    }
  }
  return firmwareVersionProblem(text) === undefined ? text : UNKNOWN_FIRMWARE_VERSION;
}
