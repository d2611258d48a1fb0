import { ValidationError } from '@iotgw/domain';
import { LinkProtocolSubdeviceLink } from '@iotgw/stream-link';
import type { SerialSubdeviceLinkOptions } from './serial-subdevice-link.options.js';
import { SerialStreamProvider } from './serial-stream-provider.js';

/**
 * SubdeviceLink over one serial port carrying the iotgw link protocol. Several subdevices may
 * share the port (RS-485 multi-drop), each at its own address. The port is reopened when it
 * vanishes (USB unplug) and the subdevices reattach by themselves.
 */
export class SerialSubdeviceLink extends LinkProtocolSubdeviceLink {
  constructor(options: SerialSubdeviceLinkOptions) {
    if (!options.path) throw new ValidationError('serial link needs a port path (option "path"), e.g. /dev/ttyUSB0');
    const { path, baudRate, reopenIntervalMs, name, ...link } = options;
    super({
      ...link,
      name: name ?? `serial:${path}`,
      provider: new SerialStreamProvider({
        path,
        ...(baudRate !== undefined ? { baudRate } : {}),
        ...(reopenIntervalMs !== undefined ? { reopenIntervalMs } : {}),
      }),
    });
  }
}
