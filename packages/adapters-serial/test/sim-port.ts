import { SubdeviceSimulator, type SubdeviceSimulatorOptions } from '@iotgw/testkit';
import { SerialPort } from 'serialport';
import { serialByteStream } from '../src/index.js';

export async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  port.on('error', () => undefined); // the far end vanishing is part of these tests
  return port;
}

export function closePort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
}

export function simulatorOn(port: SerialPort, options: SubdeviceSimulatorOptions): SubdeviceSimulator {
  return new SubdeviceSimulator(serialByteStream(port), options);
}
