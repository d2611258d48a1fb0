import { ConfigError, parseSubdeviceKey, subdeviceKey } from '@iotgw/domain';
import type { DeviceInfo } from './device-info.js';
import type { GatewayConfig } from './gateway-config.js';

/**
 * Every subdevice a link serves must be one of the gateway's subdevices in the vendor file: the
 * hub only lets a gateway speak for subdevices bound to it, and the device file is where a
 * product lists them. A link naming another one is a typo or a forgotten entry, never intended.
 */
export function checkLinkSubdevices(info: DeviceInfo, config: GatewayConfig, deviceInfoFile = 'device_info.json'): void {
  const declared = new Set(info.subdevices.map(subdeviceKey));
  const strays: Array<{ field: string; id: string }> = [];
  config.links.forEach((link, i) => {
    link.subdevices.forEach((s: string | { readonly id: string }, j) => {
      const id = typeof s === 'string' ? s : s.id;
      if (!declared.has(id)) strays.push({ field: `links.${i}.subdevices.${j}${typeof s === 'string' ? '' : '.id'}`, id });
    });
  });
  const [first] = strays;
  if (!first) return;
  const example = parseSubdeviceKey(first.id);
  throw new ConfigError(
    strays.map((s) => s.field).join(', '),
    `${strays.map((s) => s.id).join(', ')} ${strays.length > 1 ? 'are' : 'is'} not in the subdevice list of ${deviceInfoFile} (subDev.subdev_list): ` +
      `add ${strays.length > 1 ? 'each' : 'it'} there, e.g. {"sub_productId": "${example.productId}", "sub_devName": "${example.deviceName}"}, or remove ${strays.length > 1 ? 'them' : 'it'} from the link`,
  );
}
