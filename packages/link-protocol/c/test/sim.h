/* A virtual device for the engine tests: a clock, the bytes the engine wrote, a RAM flash slot,
 * and counters of what the hooks were told. sim_hooks() wires every hook but reboot. */
#ifndef LP_TEST_SIM_H
#define LP_TEST_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "../src/lp_subdevice.h"

#define SIM_FLASH 65536u

typedef struct {
  uint32_t now;
  uint8_t out[16384];
  size_t out_len;
  uint8_t flash[SIM_FLASH];
  unsigned writes_at[SIM_FLASH]; /* how often each flash byte was written */
  lp_slot_t slot;
  int has_slot;
  unsigned applied, reboots, cancels, given_up;
  char delivered[32][256]; /* downlinks, as lowercase hex */
  size_t delivered_count;
} sim_t;

void sim_hooks(sim_t *sim, lp_sub_hooks_t *hooks);

/* Lowercase hex of p[0..n), in one of two rotating static buffers. */
char *hex_encode(const uint8_t *p, size_t n);

#endif
