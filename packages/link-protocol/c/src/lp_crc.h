/* Frame checksums of the link protocol (spec §2). */
#ifndef LP_CRC_H
#define LP_CRC_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  LP_CRC32C = 0, /* CRC-32C Castagnoli, 4 bytes on the wire (the default) */
  LP_CRC16 = 1   /* CRC-16/CCITT-FALSE, 2 bytes on the wire */
} lp_crc_kind_t;

/* CRC-32C: reflected poly 0x82F63B78, init and xorout 0xFFFFFFFF. check("123456789") = 0xE3069283. */
uint32_t lp_crc32c(const uint8_t *bytes, size_t len);

/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, not reflected, no xorout. check = 0x29B1. */
uint16_t lp_crc16(const uint8_t *bytes, size_t len);

/* Size of the CRC field on the wire: 4 or 2. */
size_t lp_crc_size(lp_crc_kind_t kind);

/* Writes the CRC of bytes[0..len) big-endian at out (lp_crc_size(kind) bytes). */
void lp_crc_put(lp_crc_kind_t kind, const uint8_t *bytes, size_t len, uint8_t *out);

/* 1 when the CRC stored big-endian at bytes[len..] matches bytes[0..len). */
int lp_crc_check(lp_crc_kind_t kind, const uint8_t *bytes, size_t len);

#endif /* LP_CRC_H */
