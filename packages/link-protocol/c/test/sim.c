#include "sim.h"

#include <stdio.h>
#include <string.h>

char *hex_encode(const uint8_t *p, size_t n) {
  static char buf[2][8192];
  static int which;
  char *out = buf[which ^= 1];
  size_t i;
  for (i = 0; i < n && i * 2 + 2 < sizeof buf[0]; i++) sprintf(out + i * 2, "%02x", p[i]);
  out[i * 2] = '\0';
  return out;
}

static sim_t *of(void *ctx) { return (sim_t *)ctx; }

static void sim_write(void *ctx, const uint8_t *b, size_t n) {
  sim_t *s = of(ctx);
  if (s->out_len + n <= sizeof s->out) memcpy(s->out + s->out_len, b, n);
  s->out_len += n;
}
static uint32_t sim_now(void *ctx) { return of(ctx)->now; }
static void sim_data(void *ctx, const uint8_t *p, size_t n) {
  sim_t *s = of(ctx);
  if (s->delivered_count < 32) snprintf(s->delivered[s->delivered_count++], 256, "%s", hex_encode(p, n));
}
static void sim_data_sent(void *ctx, uint16_t seq, int acked) {
  (void)seq;
  if (!acked) of(ctx)->given_up++;
}
static int sim_load(void *ctx, lp_slot_t *slot) {
  sim_t *s = of(ctx);
  if (s->has_slot) *slot = s->slot;
  return s->has_slot;
}
static int sim_flash_write(void *ctx, uint32_t off, const uint8_t *b, size_t n) {
  sim_t *s = of(ctx);
  size_t i;
  if (off + n > SIM_FLASH) return 0;
  for (i = 0; i < n; i++) s->writes_at[off + i]++;
  memcpy(s->flash + off, b, n);
  return 1;
}
static int sim_flash_read(void *ctx, uint32_t off, uint8_t *b, size_t n) {
  sim_t *s = of(ctx);
  if (off + n > SIM_FLASH) return 0;
  memcpy(b, s->flash + off, n);
  return 1;
}
static int sim_commit(void *ctx, const lp_slot_t *slot) {
  sim_t *s = of(ctx);
  s->slot = *slot;
  s->has_slot = 1;
  return 1;
}
static void sim_apply(void *ctx, const lp_offer_t *image) {
  (void)image; /* the test reports progress and the verdict itself */
  of(ctx)->applied++;
}
static void sim_cancelled(void *ctx, uint8_t reason) {
  (void)reason;
  of(ctx)->cancels++;
}

void sim_hooks(sim_t *sim, lp_sub_hooks_t *hooks) {
  memset(hooks, 0, sizeof *hooks);
  hooks->ctx = sim;
  hooks->write = sim_write;
  hooks->now_ms = sim_now;
  hooks->data = sim_data;
  hooks->data_sent = sim_data_sent;
  hooks->flash_load = sim_load;
  hooks->flash_write = sim_flash_write;
  hooks->flash_read = sim_flash_read;
  hooks->flash_commit = sim_commit;
  hooks->apply = sim_apply;
  hooks->cancelled = sim_cancelled;
}
