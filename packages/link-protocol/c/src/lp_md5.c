#include "lp_md5.h"

#include <string.h>

static const uint32_t K[64] = {
    0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu, 0xf57c0fafu, 0x4787c62au, 0xa8304613u, 0xfd469501u,
    0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu, 0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u,
    0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau, 0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u,
    0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu, 0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au,
    0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu, 0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u,
    0x289b7ec6u, 0xeaa127fau, 0xd4ef3085u, 0x04881d05u, 0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u,
    0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u, 0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u,
    0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u, 0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u};

static const uint8_t S[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

static uint32_t rotl(uint32_t x, unsigned n) { return (x << n) | (x >> (32u - n)); }

static void transform(uint32_t st[4], const uint8_t b[64]) {
  uint32_t m[16], a = st[0], bb = st[1], c = st[2], d = st[3];
  unsigned i;
  for (i = 0; i < 16; i++)
    m[i] = (uint32_t)b[i * 4] | ((uint32_t)b[i * 4 + 1] << 8) | ((uint32_t)b[i * 4 + 2] << 16) | ((uint32_t)b[i * 4 + 3] << 24);
  for (i = 0; i < 64; i++) {
    uint32_t f, t;
    unsigned g, round = i / 16u;
    if (round == 0) {
      f = (bb & c) | (~bb & d);
      g = i;
    } else if (round == 1) {
      f = (d & bb) | (~d & c);
      g = (5u * i + 1u) % 16u;
    } else if (round == 2) {
      f = bb ^ c ^ d;
      g = (3u * i + 5u) % 16u;
    } else {
      f = c ^ (bb | ~d);
      g = (7u * i) % 16u;
    }
    t = d;
    d = c;
    c = bb;
    bb = bb + rotl(a + f + K[i] + m[g], S[round * 4u + (i % 4u)]);
    a = t;
  }
  st[0] += a;
  st[1] += bb;
  st[2] += c;
  st[3] += d;
}

void lp_md5_init(lp_md5_t *c) {
  c->state[0] = 0x67452301u;
  c->state[1] = 0xefcdab89u;
  c->state[2] = 0x98badcfeu;
  c->state[3] = 0x10325476u;
  c->count_lo = c->count_hi = 0;
}

void lp_md5_update(lp_md5_t *c, const uint8_t *bytes, size_t len) {
  size_t used = c->count_lo & 63u;
  uint32_t lo = c->count_lo + (uint32_t)len;
  if (lo < c->count_lo) c->count_hi++;
  c->count_lo = lo;
  while (len > 0) {
    size_t n = 64u - used;
    if (n > len) n = len;
    memcpy(c->block + used, bytes, n);
    used += n;
    bytes += n;
    len -= n;
    if (used == 64u) {
      transform(c->state, c->block);
      used = 0;
    }
  }
}

void lp_md5_final(lp_md5_t *c, uint8_t digest[16]) {
  static const uint8_t pad[64] = {0x80};
  uint8_t bits[8];
  uint32_t lo = c->count_lo << 3, hi = (c->count_hi << 3) | (c->count_lo >> 29);
  size_t used = c->count_lo & 63u, i;
  for (i = 0; i < 4; i++) {
    bits[i] = (uint8_t)(lo >> (8u * i));
    bits[i + 4] = (uint8_t)(hi >> (8u * i));
  }
  lp_md5_update(c, pad, used < 56u ? 56u - used : 120u - used);
  lp_md5_update(c, bits, 8);
  for (i = 0; i < 4; i++) {
    digest[i * 4] = (uint8_t)c->state[i];
    digest[i * 4 + 1] = (uint8_t)(c->state[i] >> 8);
    digest[i * 4 + 2] = (uint8_t)(c->state[i] >> 16);
    digest[i * 4 + 3] = (uint8_t)(c->state[i] >> 24);
  }
}
