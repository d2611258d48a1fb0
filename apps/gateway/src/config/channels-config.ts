import { z } from 'zod';
import { isValidChannel } from '@iotgw/protocol-tencent';


const channelList = z
  .array(
    z
      .string()
      .max(64, 'must be at most 64 characters')
      .refine(isValidChannel, 'must be topic levels after "{productId}/{deviceName}/", e.g. "event" or "user/alarm" (letters, digits, _ - . : @; no wildcard)'),
  )
  .default([]);

/**
 * `channels`: each product's topics beyond `data`, keyed by product id, as its topic list in the
 * hub's console has them: `publish` (uplink: subdevices send on them; `event` needs no
 * declaration) and `subscribe` (downlink: followed for its online subdevices). A subdevice's
 * reading on any other channel is refused (the hub would close the gateway's connection).
 */
export const productChannelsSchema = z
  .record(z.string(), z.object({ publish: channelList, subscribe: channelList }).strict())
  .superRefine((products, ctx) => {
    for (const pid of Object.keys(products)) {
      if (!/^[A-Z0-9]{10}$/.test(pid)) ctx.addIssue({ code: 'custom', path: [pid], message: `"${pid}" is not a product id: use the 10 upper-case letters or digits of the product, e.g. "SB00000001"` });
    }
  })
  .default({});
