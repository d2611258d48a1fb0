import { z } from 'zod';
import { SUBDEVICE_KEY_PATTERN } from '@iotgw/domain';

/**
 * Option schemas every link speaking the iotgw link protocol shares (serial, BLE, a user's
 * own), so each link's config says the same thing the same way.
 */

/** A subdevice named in a link's options. */
export const subdeviceKeyOption = z.string().regex(SUBDEVICE_KEY_PATTERN, 'must be "PRODUCTID/deviceName", e.g. "SB00000001/sensor1"');

/** The link protocol's frame checksum; both ends of a link must use the same one. */
export const crcOption = z
  .enum(['crc32c', 'crc16'], { message: 'must be "crc32c" (the default) or "crc16", as the subdevices on this link use' })
  .default('crc32c');
