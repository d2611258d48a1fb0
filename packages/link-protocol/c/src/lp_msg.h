/* Message codec (spec §4, §5): payload layouts of every message, both directions. No buffers:
 * decoded strings and byte fields point into the payload they were decoded from. */
#ifndef LP_MSG_H
#define LP_MSG_H

#include <stddef.h>
#include <stdint.h>

#define LP_REVISION 2u /* the highest protocol revision this implementation speaks */

typedef enum {
  LP_HELLO = 0x01,
  LP_HELLO_ACK = 0x02,
  LP_KEEPALIVE = 0x03,
  LP_KEEPALIVE_ACK = 0x04,
  LP_HELLO_REFUSED = 0x05, /* rev 2 */
  LP_DATA = 0x10,
  LP_DATA_ACK = 0x11,
  LP_FW_OFFER = 0x20,
  LP_FW_ACCEPT = 0x21,
  LP_FW_CHUNK = 0x22,
  LP_FW_ACK = 0x23,
  LP_FW_COMMIT = 0x24,
  LP_FW_APPLYING = 0x25,
  LP_FW_RESULT = 0x26,
  LP_FW_RESULT_ACK = 0x27, /* rev 2 */
  LP_FW_CANCEL = 0x28,     /* rev 2 */
  LP_BYE = 0x7F
} lp_type_t;

/* HELLO capabilities */
#define LP_CAP_FIRMWARE 0x01u
#define LP_CAP_RELIABLE_DATA 0x02u
#define LP_CAP_REORDER_BUFFER 0x04u

/* BYE reasons */
#define LP_BYE_SHUTDOWN 0u
#define LP_BYE_REBOOT 1u
#define LP_BYE_UNKNOWN_SESSION 2u

/* HELLO_REFUSED reasons (any other value: refused all the same) */
#define LP_REFUSED_NOT_DECLARED 1u
#define LP_REFUSED_WRONG_ADDRESS 2u
#define LP_REFUSED_BAD_IDENTITY 3u
#define LP_REFUSED_UNSUPPORTED_REVISION 4u

/* FW_CANCEL reasons */
#define LP_CANCEL_UNSPECIFIED 0u
#define LP_CANCEL_SUPERSEDED 1u
#define LP_CANCEL_SHUTDOWN 2u

/* FW_RESULT codes with a meaning in the spec */
#define LP_FW_MD5_MISMATCH (-4)
#define LP_FW_APPLY_FAILED (-5)
#define LP_FW_REFUSED (-100)
#define LP_FW_NO_TRANSFER (-101)
#define LP_FW_CANCELLED (-102)

typedef struct {
  const uint8_t *ptr;
  size_t len;
} lp_bytes_t;

typedef struct {
  uint8_t type; /* lp_type_t, without the direction bit */
  union {
    struct {
      lp_bytes_t product_id, device_name, firmware_version;
      uint16_t max_frame;
      uint8_t capabilities;
      uint8_t revision; /* 1: encoded without the extension */
      uint16_t features;
    } hello;
    struct {
      uint32_t keepalive_ms;
      uint16_t max_frame;
      uint8_t revision; /* 1: encoded without the extension */
      uint16_t features;
    } hello_ack;
    struct {
      uint8_t reason;
      uint32_t retry_after_ms;
      lp_bytes_t message;
    } hello_refused;
    lp_bytes_t data;
    struct {
      lp_bytes_t version;
      uint32_t size;
      uint8_t md5[16];
      uint16_t chunk_size;
    } fw_offer;
    uint32_t fw_accept; /* resume offset */
    struct {
      uint32_t offset;
      lp_bytes_t bytes;
    } fw_chunk;
    struct {
      uint32_t offset;
      uint32_t sack; /* 0: omitted on the wire */
    } fw_ack;
    uint8_t fw_applying; /* percent */
    struct {
      uint8_t ok;
      int16_t code;
      lp_bytes_t text; /* ok: the version now running; else a message */
    } fw_result;
    uint8_t fw_cancel; /* reason */
    uint8_t bye;       /* reason */
  } u;
} lp_msg_t;

typedef enum {
  LP_MSG_OK = 0,
  LP_MSG_MALFORMED = 1, /* dropped as if never received (§5) */
  LP_MSG_UNKNOWN = 2    /* a type this revision does not know: dropped silently (§4) */
} lp_decode_result_t;

/* Encodes m's payload into out (cap bytes). Returns its length, or -1 when it does not fit or a
 * field cannot be encoded (a str8 over 255 bytes, FW_APPLYING over 100, a chunk over 65535). */
long lp_msg_encode(const lp_msg_t *m, uint8_t *out, size_t cap);

/* Decodes a payload of message type `type` (bits 0..6) as a receiver of `revision` (1 or 2). */
lp_decode_result_t lp_msg_decode(uint8_t type, const uint8_t *payload, size_t len, uint8_t revision, lp_msg_t *m);

/* 1 when bytes[0..len) is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
int lp_utf8_valid(const uint8_t *bytes, size_t len);

#endif /* LP_MSG_H */
