/*
 * Framing (spec §2): wire = 0x00 | COBS(version | address | type | seq BE | payload | CRC BE) | 0x00.
 * The decoder undoes COBS byte by byte straight into the raw frame buffer, so a receiver needs
 * one buffer of the max frame size and nothing for the encoded form.
 */
#ifndef LP_FRAME_H
#define LP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "lp_cobs.h"
#include "lp_config.h"
#include "lp_crc.h"

#define LP_FRAME_VERSION 1u
#define LP_HEADER_SIZE 5u
#define LP_DIR_UPLINK 0x80u /* type bit 7: set on frames a subdevice sends */

typedef struct {
  uint8_t version;
  uint8_t address;
  uint8_t type; /* as on the wire: bit 7 = direction, bits 0..6 = message type */
  uint16_t seq;
  const uint8_t *payload; /* points into the decoder's buffer: valid until the next byte is fed */
  size_t payload_len;
} lp_frame_t;

typedef struct {
  uint32_t frames;      /* frames accepted */
  uint32_t bad_cobs;    /* ended inside a COBS block */
  uint32_t too_short;   /* shorter than header + CRC */
  uint32_t bad_crc;     /* checksum wrong (other_crc counts those right for the other kind) */
  uint32_t other_crc;   /* checksum right for the other CRC kind: a misconfigured peer */
  uint32_t bad_version; /* version byte other than 1 */
  uint32_t too_large;   /* more than max_frame bytes: discarded up to the next 0x00 */
} lp_frame_stats_t;

typedef struct {
  uint8_t buf[LP_MAX_FRAME];
  size_t len;
  size_t max_frame;    /* largest raw frame accepted, <= LP_MAX_FRAME */
  lp_crc_kind_t crc;
  uint8_t remaining;   /* bytes left in the current COBS block; 0 = next byte is a code */
  uint8_t prev_code;   /* code of the previous block, 0 at the start of a frame */
  uint8_t discarding;  /* overflowed: skip to the next 0x00 */
  lp_frame_stats_t stats;
} lp_frame_decoder_t;

void lp_frame_decoder_init(lp_frame_decoder_t *d, lp_crc_kind_t crc, size_t max_frame);

/* Feeds one byte from the stream. Returns 1 when it completed a valid frame (CRC right, version
 * 1, long enough), described in *frame; 0 otherwise. Never fails on input. */
int lp_frame_decoder_push(lp_frame_decoder_t *d, uint8_t byte, lp_frame_t *frame);

/* Completes a raw frame in buf whose payload (payload_len bytes) is already at buf + 5: writes
 * the header and the CRC. Returns the raw frame length (5 + payload_len + CRC size). buf must hold
 * it. */
size_t lp_frame_seal(uint8_t *buf, size_t payload_len, lp_crc_kind_t crc, uint8_t address, uint8_t type, uint16_t seq);

/* Writes a sealed raw frame to the wire: 0x00, COBS(raw), 0x00. */
void lp_frame_send(const uint8_t *raw, size_t len, lp_write_fn write, void *ctx);

#endif /* LP_FRAME_H */
