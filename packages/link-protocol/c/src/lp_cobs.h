/* Consistent Overhead Byte Stuffing (spec §2): removes every 0x00 so that 0x00 delimits frames. */
#ifndef LP_COBS_H
#define LP_COBS_H

#include <stddef.h>
#include <stdint.h>

/* A byte sink: the transport's write, or a buffer. */
typedef void (*lp_write_fn)(void *ctx, const uint8_t *bytes, size_t len);

/* Streams COBS(raw) to write, without delimiters, passing runs of raw straight through (no copy):
 * one call per code byte and one per run. */
void lp_cobs_write(const uint8_t *raw, size_t len, lp_write_fn write, void *ctx);

/* Worst-case encoded size of len raw bytes. */
#define LP_COBS_MAX(len) ((len) + (len) / 254u + 1u)

/* Encodes raw into out (capacity >= LP_COBS_MAX(len)); returns the encoded length. */
size_t lp_cobs_encode(const uint8_t *raw, size_t len, uint8_t *out);

/* Decodes one encoded block (no delimiters, no 0x00 inside) into out; returns the raw length,
 * or -1 when the block is not valid COBS or does not fit cap. */
long lp_cobs_decode(const uint8_t *enc, size_t len, uint8_t *out, size_t cap);

#endif /* LP_COBS_H */
