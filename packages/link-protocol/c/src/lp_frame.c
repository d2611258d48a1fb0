#include "lp_frame.h"

void lp_frame_decoder_init(lp_frame_decoder_t *d, lp_crc_kind_t crc, size_t max_frame) {
  d->len = 0;
  d->max_frame = (max_frame == 0 || max_frame > LP_MAX_FRAME) ? LP_MAX_FRAME : max_frame;
  d->crc = crc;
  d->remaining = 0;
  d->prev_code = 0;
  d->discarding = 0;
  d->stats.frames = d->stats.bad_cobs = d->stats.too_short = d->stats.bad_crc = 0;
  d->stats.other_crc = d->stats.bad_version = d->stats.too_large = 0;
}

static void restart(lp_frame_decoder_t *d) {
  d->len = 0;
  d->remaining = 0;
  d->prev_code = 0;
  d->discarding = 0;
}

static int put(lp_frame_decoder_t *d, uint8_t byte) {
  if (d->len >= d->max_frame) {
    d->stats.too_large++;
    d->discarding = 1;
    return 0;
  }
  d->buf[d->len++] = byte;
  return 1;
}

static int complete(lp_frame_decoder_t *d, lp_frame_t *frame) {
  size_t crc_size = lp_crc_size(d->crc);
  size_t n = d->len;
  if (d->remaining != 0) {
    d->stats.bad_cobs++;
    return 0;
  }
  if (n < LP_HEADER_SIZE + crc_size) {
    d->stats.too_short++;
    return 0;
  }
  if (!lp_crc_check(d->crc, d->buf, n - crc_size)) {
    lp_crc_kind_t other = d->crc == LP_CRC16 ? LP_CRC32C : LP_CRC16;
    size_t other_size = lp_crc_size(other);
    d->stats.bad_crc++;
    if (n >= LP_HEADER_SIZE + other_size && lp_crc_check(other, d->buf, n - other_size)) d->stats.other_crc++;
    return 0;
  }
  if (d->buf[0] != LP_FRAME_VERSION) {
    d->stats.bad_version++;
    return 0;
  }
  frame->version = d->buf[0];
  frame->address = d->buf[1];
  frame->type = d->buf[2];
  frame->seq = (uint16_t)((d->buf[3] << 8) | d->buf[4]);
  frame->payload = d->buf + LP_HEADER_SIZE;
  frame->payload_len = n - LP_HEADER_SIZE - crc_size;
  d->stats.frames++;
  return 1;
}

int lp_frame_decoder_push(lp_frame_decoder_t *d, uint8_t byte, lp_frame_t *frame) {
  int ok = 0;
  if (byte == 0) {
    /* A delimiter: an empty frame (two in a row) is ignored, anything else is judged. */
    if (!d->discarding && (d->len > 0 || d->prev_code != 0)) ok = complete(d, frame);
    restart(d);
    return ok;
  }
  if (d->discarding) return 0;
  if (d->remaining == 0) {
    /* A code byte: the block before it (if shorter than 254) stood for a zero. */
    if (d->prev_code != 0 && d->prev_code != 0xFFu && !put(d, 0)) return 0;
    d->prev_code = byte;
    d->remaining = (uint8_t)(byte - 1u);
    return 0;
  }
  d->remaining--;
  put(d, byte);
  return 0;
}

size_t lp_frame_seal(uint8_t *buf, size_t payload_len, lp_crc_kind_t crc, uint8_t address, uint8_t type, uint16_t seq) {
  size_t n = LP_HEADER_SIZE + payload_len;
  buf[0] = LP_FRAME_VERSION;
  buf[1] = address;
  buf[2] = type;
  buf[3] = (uint8_t)(seq >> 8);
  buf[4] = (uint8_t)seq;
  lp_crc_put(crc, buf, n, buf + n);
  return n + lp_crc_size(crc);
}

void lp_frame_send(const uint8_t *raw, size_t len, lp_write_fn write, void *ctx) {
  static const uint8_t delimiter = 0;
  write(ctx, &delimiter, 1);
  lp_cobs_write(raw, len, write, ctx);
  write(ctx, &delimiter, 1);
}
