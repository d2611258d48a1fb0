/* MD5 (RFC 1321), to verify a received image against FW_OFFER's md5 (spec §8.5). */
#ifndef LP_MD5_H
#define LP_MD5_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t state[4];
  uint32_t count_lo, count_hi; /* bytes so far */
  uint8_t block[64];
} lp_md5_t;

void lp_md5_init(lp_md5_t *c);
void lp_md5_update(lp_md5_t *c, const uint8_t *bytes, size_t len);
void lp_md5_final(lp_md5_t *c, uint8_t digest[16]);

#endif /* LP_MD5_H */
