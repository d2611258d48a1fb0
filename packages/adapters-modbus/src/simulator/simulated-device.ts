/**
 * A Modbus device as the simulator serves it: reads return a value, or undefined for an address
 * the device does not have (answered with exception 2, illegal data address); writes return false
 * for an address it does not have or a value it refuses (exception 2 or 3).
 */
export interface SimulatedModbusDevice {
  readCoil(address: number): boolean | undefined;
  readDiscreteInput(address: number): boolean | undefined;
  readHoldingRegister(address: number): number | undefined;
  readInputRegister(address: number): number | undefined;
  writeCoil(address: number, value: boolean): boolean;
  writeHoldingRegister(address: number, value: number): boolean;
}
