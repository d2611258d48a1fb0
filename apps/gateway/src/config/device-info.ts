import { z } from 'zod';
import { subdeviceId, type GatewayIdentity, type SubdeviceId } from '@iotgw/domain';
import { isBase64Secret } from '@iotgw/protocol-tencent';
import { parseWithSchema } from './schema-errors.js';

/** The vendor's device_info.json, accepted as-is (extra fields are ignored). */
const productId = z.string().regex(/^[A-Z0-9]{10}$/, 'must be 10 upper-case letters or digits, as shown in the console');
const deviceName = z.string().regex(/^[A-Za-z0-9_\-.:@]{1,48}$/, 'must be 1 to 48 letters, digits or _ - . : @');

const deviceInfoSchema = z
  .object({
    auth_mode: z.enum(['KEY', 'CERT'], { message: 'must be "KEY" or "CERT"' }),
    productId,
    deviceName,
    region: z.string().optional(),
    key_deviceinfo: z
      .object({ deviceSecret: z.string().optional() })
      .optional(),
    cert_deviceinfo: z
      .object({
        devCaFile: z.string().optional(),
        devCertFile: z.string().optional(),
        devPrivateKeyFile: z.string().optional(),
      })
      .optional(),
    subDev: z
      .object({
        subdev_num: z.number().int().nonnegative().optional(),
        subdev_list: z.array(z.object({ sub_productId: productId, sub_devName: deviceName })).default([]),
      })
      .optional(),
  })
  .superRefine((info, ctx) => {
    if (info.auth_mode === 'KEY') {
      const secret = info.key_deviceinfo?.deviceSecret ?? '';
      if (secret === '' || secret.startsWith('YOUR_')) {
        ctx.addIssue({
          code: 'custom',
          path: ['key_deviceinfo', 'deviceSecret'],
          message: 'is required for auth_mode "KEY": paste the device secret (base64) from the console',
        });
      } else if (!isBase64Secret(secret)) {
        ctx.addIssue({ code: 'custom', path: ['key_deviceinfo', 'deviceSecret'], message: 'must be base64, as the console shows it' });
      }
    } else {
      for (const field of ['devCertFile', 'devPrivateKeyFile'] as const) {
        if (!info.cert_deviceinfo?.[field]) {
          ctx.addIssue({
            code: 'custom',
            path: ['cert_deviceinfo', field],
            message: 'is required for auth_mode "CERT": give the path of the file downloaded from the console',
          });
        }
      }
    }
  });

export type GatewayAuth =
  | { readonly mode: 'key'; readonly deviceSecret: string }
  | { readonly mode: 'cert'; readonly caFile?: string; readonly certFile: string; readonly keyFile: string };

export interface DeviceInfo {
  readonly gateway: GatewayIdentity;
  readonly auth: GatewayAuth;
  readonly region: string;
  readonly subdevices: readonly SubdeviceId[];
}

/** Parses the vendor file's JSON text; throws ConfigError naming the field and the fix. */
export function parseDeviceInfo(text: string, source = 'device_info.json'): DeviceInfo {
  const info = parseWithSchema(deviceInfoSchema, text, source, 'device-info');
  const auth: GatewayAuth =
    info.auth_mode === 'KEY'
      ? { mode: 'key', deviceSecret: info.key_deviceinfo?.deviceSecret ?? '' }
      : {
          mode: 'cert',
          ...(info.cert_deviceinfo?.devCaFile ? { caFile: info.cert_deviceinfo.devCaFile } : {}),
          certFile: info.cert_deviceinfo?.devCertFile ?? '',
          keyFile: info.cert_deviceinfo?.devPrivateKeyFile ?? '',
        };
  return {
    gateway: subdeviceId(info.productId, info.deviceName),
    auth,
    region: info.region ?? 'china',
    subdevices: (info.subDev?.subdev_list ?? []).map((s) => subdeviceId(s.sub_productId, s.sub_devName)),
  };
}
