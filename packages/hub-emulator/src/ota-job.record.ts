import type { OtaReport } from '@iotgw/domain';

export type OtaJobState = 'pushed' | 'downloading' | 'burning' | 'done' | 'fail';

/** One firmware push to one subdevice, with everything the device reported about it. */
export interface OtaJobRecord {
  id: string;
  subdevice: string;
  firmwareId: string;
  version: string;
  url: string;
  /** How long a link to the image is valid from when it is pushed (again). */
  ttlSec: number;
  md5: string;
  size: number;
  createdAt: number;
  state: OtaJobState;
  /** Download leg: the last `downloading` percent (100 once delivery or burning started, or done). */
  percent: number;
  /** Delivery leg (gateway → subdevice): the last `burning` percent, when the gateway reports one. */
  deliveryPercent?: number;
  /** Set when state is fail: the device's result_code and message. */
  failCode?: number;
  failMessage?: string;
  /** The first report and the newest ones (at most 100); `reportCount` counts them all. */
  reports: Array<{ at: number; report: OtaReport }>;
  reportCount?: number;
}
