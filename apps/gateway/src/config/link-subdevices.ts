import { ConfigError, parseSubdeviceKey, subdeviceKey } from '@iotgw/domain';
import type { AdapterRegistry } from '@iotgw/app';
import { fieldNaming, namedSubdevices } from './adapter-sections.js';
import type { DeviceInfo } from './device-info.js';
import { bundledRegistry, type GatewayConfig } from './gateway-config.js';

/**
 * Every subdevice a link serves must be one of the gateway's subdevices in the vendor file: the
 * hub only lets a gateway speak for subdevices bound to it, and the device file is where a
 * product lists them. A link naming another one is a typo or a forgotten entry, never intended.
 */
export function checkLinkSubdevices(
  info: DeviceInfo,
  config: GatewayConfig,
  deviceInfoFile = 'device_info.json',
  registry: AdapterRegistry = bundledRegistry(),
): void {
  const declared = new Set(info.subdevices.map(subdeviceKey));
  const strays: Array<{ field: string; id: string }> = [];
  config.links.forEach((link, i) => {
    for (const id of namedSubdevices(registry, link)) {
      const at = fieldNaming(link, id);
      if (!declared.has(id)) strays.push({ field: at ? `links.${i}.${at}` : `links.${i}`, id });
    }
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
