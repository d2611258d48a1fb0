#include "lp_cobs.h"

void lp_cobs_write(const uint8_t *raw, size_t len, lp_write_fn write, void *ctx) {
  size_t start = 0; /* first byte of the current run */
  for (;;) {
    size_t end = start;
    uint8_t code;
    /* A run is up to 254 non-zero bytes, ended by a zero, the end of input, or its length. */
    while (end < len && raw[end] != 0 && end - start < 254u) end++;
    code = (uint8_t)(end - start + 1u);
    write(ctx, &code, 1);
    if (end > start) write(ctx, raw + start, end - start);
    if (end >= len) {
      /* The input ends here. A block shorter than 254 already stands for the phantom trailing
       * zero; after a full one that zero needs a block of its own (the canonical 0x01). */
      if (code == 0xFFu) {
        code = 1;
        write(ctx, &code, 1);
      }
      return;
    }
    /* A zero that ended the run is implied by the code; a full run (0xFF) implies none. */
    start = (code != 0xFFu && raw[end] == 0) ? end + 1u : end;
  }
}

typedef struct {
  uint8_t *out;
  size_t len;
} cobs_buffer_t;

static void append(void *ctx, const uint8_t *bytes, size_t len) {
  cobs_buffer_t *b = (cobs_buffer_t *)ctx;
  size_t i;
  for (i = 0; i < len; i++) b->out[b->len++] = bytes[i];
}

size_t lp_cobs_encode(const uint8_t *raw, size_t len, uint8_t *out) {
  cobs_buffer_t b;
  b.out = out;
  b.len = 0;
  lp_cobs_write(raw, len, append, &b);
  return b.len;
}

long lp_cobs_decode(const uint8_t *enc, size_t len, uint8_t *out, size_t cap) {
  size_t i = 0, n = 0;
  while (i < len) {
    uint8_t code = enc[i++];
    uint8_t k;
    if (code == 0) return -1;
    for (k = 1; k < code; k++) {
      if (i >= len || enc[i] == 0 || n >= cap) return -1;
      out[n++] = enc[i++];
    }
    /* A block shorter than 254 stands for its bytes and a zero, except the last one. */
    if (code != 0xFFu && i < len) {
      if (n >= cap) return -1;
      out[n++] = 0;
    }
  }
  return (long)n;
}
