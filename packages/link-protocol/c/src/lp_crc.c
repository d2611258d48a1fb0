/* Nibble-table CRCs: 96 bytes of tables, two lookups per byte (a middle way for small MCUs
 * between the bitwise loop and 1.5 KiB of byte tables). */
#include "lp_crc.h"

static const uint32_t crc32c_nibble[16] = {
    0x00000000u, 0x105EC76Fu, 0x20BD8EDEu, 0x30E349B1u, 0x417B1DBCu, 0x5125DAD3u, 0x61C69362u, 0x7198540Du,
    0x82F63B78u, 0x92A8FC17u, 0xA24BB5A6u, 0xB21572C9u, 0xC38D26C4u, 0xD3D3E1ABu, 0xE330A81Au, 0xF36E6F75u};

static const uint16_t crc16_nibble[16] = {0x0000u, 0x1021u, 0x2042u, 0x3063u, 0x4084u, 0x50A5u, 0x60C6u, 0x70E7u,
                                          0x8108u, 0x9129u, 0xA14Au, 0xB16Bu, 0xC18Cu, 0xD1ADu, 0xE1CEu, 0xF1EFu};

uint32_t lp_crc32c(const uint8_t *bytes, size_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  size_t i;
  for (i = 0; i < len; i++) {
    crc ^= bytes[i];
    crc = (crc >> 4) ^ crc32c_nibble[crc & 0x0Fu];
    crc = (crc >> 4) ^ crc32c_nibble[crc & 0x0Fu];
  }
  return crc ^ 0xFFFFFFFFu;
}

uint16_t lp_crc16(const uint8_t *bytes, size_t len) {
  uint16_t crc = 0xFFFFu;
  size_t i;
  for (i = 0; i < len; i++) {
    crc = (uint16_t)((crc << 4) ^ crc16_nibble[((crc >> 12) ^ (bytes[i] >> 4)) & 0x0Fu]);
    crc = (uint16_t)((crc << 4) ^ crc16_nibble[((crc >> 12) ^ (bytes[i] & 0x0Fu)) & 0x0Fu]);
  }
  return crc;
}

size_t lp_crc_size(lp_crc_kind_t kind) { return kind == LP_CRC16 ? 2u : 4u; }

void lp_crc_put(lp_crc_kind_t kind, const uint8_t *bytes, size_t len, uint8_t *out) {
  if (kind == LP_CRC16) {
    uint16_t c = lp_crc16(bytes, len);
    out[0] = (uint8_t)(c >> 8);
    out[1] = (uint8_t)c;
  } else {
    uint32_t c = lp_crc32c(bytes, len);
    out[0] = (uint8_t)(c >> 24);
    out[1] = (uint8_t)(c >> 16);
    out[2] = (uint8_t)(c >> 8);
    out[3] = (uint8_t)c;
  }
}

int lp_crc_check(lp_crc_kind_t kind, const uint8_t *bytes, size_t len) {
  uint8_t expect[4];
  size_t n = lp_crc_size(kind), i;
  lp_crc_put(kind, bytes, len, expect);
  for (i = 0; i < n; i++)
    if (expect[i] != bytes[len + i]) return 0;
  return 1;
}
