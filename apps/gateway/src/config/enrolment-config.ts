import { z } from 'zod';
import type { DeviceRegistrar } from '@iotgw/domain';
import { HttpDeviceRegistrar } from '@iotgw/adapters-http';

const productId = z.string().regex(/^[A-Z0-9]{10}$/, 'must be a product id (10 upper-case letters or digits)');
const secretRef = z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()], {
  message: 'must be {"env": "VARIABLE"} or {"file": "path"}: secrets are referenced, never written in the config',
});

/**
 * `subdevices` in the iotgw config: what happens to a subdevice that attaches without being
 * declared. `"register-bind-online"` gets its secret by the platform's dynamic registration,
 * for the products given a product secret here (and only those: their subdevices are admitted
 * on the links), then binds it and brings it online.
 */
export const enrolmentSchema = z
  .object({
    onAttach: z.enum(['ignore', 'register-bind-online'], { message: 'must be "ignore" (the default) or "register-bind-online"' }).default('ignore'),
    /** productId → reference to its product secret. */
    productSecrets: z.record(productId, secretRef).default({}),
    /** The platform's registration endpoint base (default Tencent's; the hub emulator: its HTTP URL). */
    registrationUrl: z.string().url('must be a URL like "https://ap-guangzhou.gateway.tencentdevices.com"').optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.onAttach === 'register-bind-online' && Object.keys(s.productSecrets).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['productSecrets'], message: 'needs at least one product ("PRODUCTID": {"env": "..."}) with "register-bind-online"' });
    }
  })
  .optional();

export type EnrolmentConfig = NonNullable<z.infer<typeof enrolmentSchema>>;

/** The registrar and the products its links admit, from the resolved product secrets. */
export function enrolmentAssembly(
  config: EnrolmentConfig | undefined,
  productSecrets: Readonly<Record<string, string>>,
  timeoutMs: number,
): { registrar?: DeviceRegistrar; admitProducts: string[]; onUndeclaredAttach?: 'register-bind-online' } {
  if (!config || config.onAttach !== 'register-bind-online') return { admitProducts: [] };
  const registrar = new HttpDeviceRegistrar({ productSecrets, timeoutMs, ...(config.registrationUrl ? { baseUrl: config.registrationUrl } : {}) });
  return { registrar, admitProducts: Object.keys(productSecrets), onUndeclaredAttach: 'register-bind-online' };
}
