import { SubdeviceSimulator, type SubdeviceSimulatorOptions } from '@iotgw/simulators';
import { SerialPortStream } from '../src/index.js';

/** The subdevice end of a pty pair, opened the way a simulated subdevice opens its port. */
export async function openPort(path: string): Promise<SerialPortStream> {
  const stream = await SerialPortStream.open(path, 115_200);
  stream.on('error', () => undefined); // the far end vanishing is part of these tests
  return stream;
}

export function closePort(port: SerialPortStream): Promise<void> {
  return port.close();
}

export function simulatorOn(port: SerialPortStream, options: SubdeviceSimulatorOptions): SubdeviceSimulator {
  return new SubdeviceSimulator(port, options);
}
