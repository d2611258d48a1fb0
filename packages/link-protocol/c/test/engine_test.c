/*
 * Behaviour of the C subdevice engine beyond test/vectors.json: the choices this implementation
 * made where the spec leaves room (README "Spec findings") and its robustness. Each test plays the
 * gateway with the same codec and checks what the engine sends and does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lp_subdevice.h"
#include "../src/lp_md5.h"
#include "sim.h"

static unsigned checks, failures;
static const char *current;
#define CHECK(cond)                                                                  \
  do {                                                                               \
    checks++;                                                                        \
    if (!(cond)) {                                                                   \
      failures++;                                                                    \
      fprintf(stderr, "FAIL %s (line %d): %s\n", current, __LINE__, #cond);          \
    }                                                                                \
  } while (0)

/* ---- the virtual device, the image and the gateway's seq ---- */
#define IMAGE 1000u
static sim_t g;
static uint8_t image_bytes[IMAGE], image_md5[16];
static uint16_t gw_seq;

static void count_reboot(void *ctx) { ((sim_t *)ctx)->reboots++; }

static lp_sub_t sub;
static lp_sub_config_t cfg;
static lp_sub_hooks_t hooks;

static void setup(const char *name, uint16_t max_frame) {
  unsigned i;
  lp_md5_t m;
  current = name;
  memset(&g, 0, sizeof g);
  gw_seq = 0;
  for (i = 0; i < IMAGE; i++) image_bytes[i] = (uint8_t)(i * 7u + 3u);
  lp_md5_init(&m);
  lp_md5_update(&m, image_bytes, IMAGE);
  lp_md5_final(&m, image_md5);
  memset(&cfg, 0, sizeof cfg);
  cfg.address = 1;
  cfg.product_id = "ABCDEFGHIJ";
  cfg.device_name = "sub1";
  cfg.firmware_version = "1.0.0";
  cfg.revision = 2;
  cfg.crc = LP_CRC32C;
  cfg.max_frame = max_frame;
  cfg.reliable_data = 1;
  cfg.firmware = 1;
  cfg.reorder_chunks = 8;
  cfg.hello_backoff = 1;
  sim_hooks(&g, &hooks);
}

static void start(void) {
  CHECK(lp_sub_init(&sub, &cfg, &hooks));
  lp_sub_start(&sub);
}

/* Frames the engine sent since the last call: decoded into msgs (payloads copied to store). */
static lp_msg_t msgs[64];
static uint16_t seqs[64];
static uint8_t store[64][1200];
static size_t take(void) {
  lp_frame_decoder_t d;
  size_t i, n = 0;
  lp_frame_decoder_init(&d, cfg.crc, LP_MAX_FRAME);
  for (i = 0; i < g.out_len; i++) {
    lp_frame_t f;
    if (lp_frame_decoder_push(&d, g.out[i], &f) && n < 64) {
      memcpy(store[n], f.payload, f.payload_len);
      seqs[n] = f.seq;
      if (lp_msg_decode((uint8_t)(f.type & 0x7Fu), store[n], f.payload_len, 2, &msgs[n]) == LP_MSG_OK) n++;
    }
  }
  g.out_len = 0;
  return n;
}

static void send(const lp_msg_t *m) {
  uint8_t raw[1200];
  uint8_t wire[2500];
  size_t n = 0, len;
  long p = lp_msg_encode(m, raw + 5, sizeof raw - 9);
  len = lp_frame_seal(raw, (size_t)p, cfg.crc, 1, m->type, ++gw_seq);
  wire[n++] = 0;
  n += lp_cobs_encode(raw, len, wire + n);
  wire[n++] = 0;
  lp_sub_feed(&sub, wire, n);
}

static void send_simple(uint8_t type) {
  lp_msg_t m;
  memset(&m, 0, sizeof m);
  m.type = type;
  send(&m);
}

static void hello_ack(uint16_t max_frame, uint32_t keepalive) {
  lp_msg_t m;
  memset(&m, 0, sizeof m);
  m.type = LP_HELLO_ACK;
  m.u.hello_ack.keepalive_ms = keepalive;
  m.u.hello_ack.max_frame = max_frame;
  m.u.hello_ack.revision = 2;
  send(&m);
}

static void offer(uint16_t chunk) {
  lp_msg_t m;
  memset(&m, 0, sizeof m);
  m.type = LP_FW_OFFER;
  m.u.fw_offer.version.ptr = (const uint8_t *)"2.0.0";
  m.u.fw_offer.version.len = 5;
  m.u.fw_offer.size = IMAGE;
  memcpy(m.u.fw_offer.md5, image_md5, 16);
  m.u.fw_offer.chunk_size = chunk;
  send(&m);
}

static void chunk(uint32_t off, uint32_t len) {
  lp_msg_t m;
  memset(&m, 0, sizeof m);
  m.type = LP_FW_CHUNK;
  m.u.fw_chunk.offset = off;
  m.u.fw_chunk.bytes.ptr = image_bytes + off;
  m.u.fw_chunk.bytes.len = len;
  send(&m);
}

static void advance(uint32_t ms) {
  while (ms--) {
    g.now++;
    lp_sub_tick(&sub);
  }
}

static void connected(uint16_t gateway_max) {
  start();
  hello_ack(gateway_max, 60000);
  CHECK(lp_sub_state(&sub) == LP_STATE_CONNECTED);
  take();
}

/* ---- tests ---- */
static void cancel_keeps_chunks_beyond_a_gap(void) {
  size_t n;
  setup("chunks held beyond a gap survive a cancel and a re-offer: never written twice", 1100);
  connected(1100);
  offer(256);
  chunk(512, 256); /* a gap at 0 and 256 */
  n = take();
  CHECK(n == 2 && msgs[1].type == LP_FW_ACK && msgs[1].u.fw_ack.offset == 0 && msgs[1].u.fw_ack.sack == 2u);
  send_simple(LP_FW_CANCEL);
  n = take();
  CHECK(n == 1 && msgs[0].type == LP_FW_RESULT && msgs[0].u.fw_result.code == LP_FW_CANCELLED && g.cancels == 1);
  offer(256);
  chunk(0, 256);
  chunk(256, 256);
  chunk(512, 256); /* the gateway did not know: a duplicate now */
  n = take();
  CHECK(n == 4 && msgs[0].u.fw_accept == 0 && msgs[1].u.fw_ack.offset == 256 && msgs[1].u.fw_ack.sack == 1u && msgs[2].u.fw_ack.offset == 768 &&
        msgs[2].u.fw_ack.sack == 0 && msgs[3].u.fw_ack.offset == 768);
  CHECK(g.writes_at[512] == 1 && g.writes_at[767] == 1);
}

static void md5_mismatch_discards(void) {
  size_t n;
  setup("an MD5 mismatch answers -4 and forgets the bytes: the next offer starts at 0", 1100);
  connected(1100);
  offer(512);
  image_bytes[10] ^= 0xFF; /* corrupted on the way */
  chunk(0, 512);
  chunk(512, IMAGE - 512);
  image_bytes[10] ^= 0xFF;
  send_simple(LP_FW_COMMIT);
  n = take();
  CHECK(n == 4 && msgs[3].type == LP_FW_RESULT && !msgs[3].u.fw_result.ok && msgs[3].u.fw_result.code == LP_FW_MD5_MISMATCH);
  CHECK(g.applied == 0 && g.slot.held == 0 && lp_sub_held(&sub) == 0);
  send_simple(LP_FW_COMMIT); /* the verdict is held */
  n = take();
  CHECK(n == 1 && msgs[0].u.fw_result.code == LP_FW_MD5_MISMATCH);
  offer(512);
  n = take();
  CHECK(n == 1 && msgs[0].type == LP_FW_ACCEPT && msgs[0].u.fw_accept == 0);
}

static void verdict_settled_reboots(void) {
  size_t n;
  setup("an ok verdict, settled by FW_RESULT_ACK, sends BYE(reboot) and calls the reboot hook", 1100);
  hooks.reboot = count_reboot;
  connected(1100);
  offer(1000);
  chunk(0, IMAGE);
  send_simple(LP_FW_COMMIT);
  CHECK(g.applied == 1);
  CHECK(lp_sub_result(&sub, 1, 0, "2.0.0"));
  take();
  send_simple(LP_FW_RESULT_ACK);
  n = take();
  CHECK(n == 1 && msgs[0].type == LP_BYE && msgs[0].u.bye == LP_BYE_REBOOT && g.reboots == 1 && lp_sub_state(&sub) == LP_STATE_IDLE);
  CHECK(strcmp(lp_sub_version(&sub), "2.0.0") == 0);
}

static void next_offer_settles(void) {
  size_t n;
  setup("the next FW_OFFER settles a verdict still held (no FW_RESULT_ACK yet)", 1100);
  connected(1100);
  offer(1000);
  chunk(0, IMAGE);
  send_simple(LP_FW_COMMIT);
  lp_sub_result(&sub, 0, LP_FW_APPLY_FAILED, "no");
  take();
  CHECK(!lp_sub_settled(&sub));
  offer(1000);
  n = take();
  CHECK(n == 1 && msgs[0].type == LP_FW_ACCEPT && msgs[0].u.fw_accept == IMAGE); /* the failed image is still held */
  send_simple(LP_FW_COMMIT);
  n = take();
  CHECK(n == 1 && msgs[0].type == LP_FW_APPLYING && g.applied == 2);
}

static void result_without_session(void) {
  size_t n;
  setup("a verdict while no session exists: no FW_RESULT, the next HELLO announces the new version", 1100);
  connected(1100);
  offer(1000);
  chunk(0, IMAGE);
  send_simple(LP_FW_COMMIT);
  send_simple(LP_BYE); /* the gateway restarts */
  take();
  CHECK(lp_sub_state(&sub) == LP_STATE_CONNECTING);
  CHECK(lp_sub_result(&sub, 1, 0, "2.0.0"));
  n = take();
  CHECK(n == 0);
  advance(LP_HELLO_RETRY_MS + 1);
  n = take();
  CHECK(n == 1 && msgs[0].type == LP_HELLO && msgs[0].u.hello.firmware_version.len == 5 && memcmp(msgs[0].u.hello.firmware_version.ptr, "2.0.0", 5) == 0);
  advance(LP_RESULT_HOLD_MS);
  CHECK(lp_sub_settled(&sub));
}

static void pending_data_handed_back(void) {
  setup("reliable DATA pending when the session ends is handed back to the application", 1100);
  connected(1100);
  CHECK(lp_sub_send_data(&sub, (const uint8_t *)"a", 1) >= 0);
  CHECK(lp_sub_send_data(&sub, (const uint8_t *)"b", 1) >= 0);
#if LP_DATA_SLOTS == 2
  CHECK(lp_sub_send_data(&sub, (const uint8_t *)"c", 1) == LP_ERR_BUSY);
#endif
  send_simple(LP_BYE);
  CHECK(g.given_up == 2);
  CHECK(lp_sub_send_data(&sub, (const uint8_t *)"d", 1) == LP_ERR_NOT_CONNECTED);
}

static void result_text_fits_small_gateway_frames(void) {
  size_t n;
  setup("FW_RESULT text cut to the gateway's max frame, never inside a UTF-8 sequence", 1100);
  connected(40); /* the gateway takes frames of 40 bytes: 40 - 5 - 4 - 4 = 27 bytes of text */
  offer(1000);
  {
    uint32_t at;
    for (at = 0; at < IMAGE; at += 100) chunk(at, at + 100 > IMAGE ? IMAGE - at : 100);
    take();
    send_simple(LP_FW_COMMIT);
    take();
    /* 26 ASCII bytes then a 2-byte character: 28 bytes, the character must go whole */
    lp_sub_result(&sub, 0, -5, "abcdefghijklmnopqrstuvwxyz\xc3\xa9");
    n = take();
    CHECK(n == 1 && msgs[0].type == LP_FW_RESULT && msgs[0].u.fw_result.text.len == 26);
  }
}

static void decoder_robustness(void) {
  lp_frame_decoder_t d;
  lp_frame_t f;
  uint8_t raw[64], wire[200];
  size_t n = 0, i, len;
  int got = 0;
  current = "frame decoder: an oversized frame is dropped up to the next 0x00; the other CRC is counted";
  lp_frame_decoder_init(&d, LP_CRC32C, 32);
  wire[n++] = 0;
  for (i = 0; i < 40; i++) wire[n++] = 0x11; /* garbage longer than 32 */
  wire[n++] = 0;
  memset(raw, 0xAB, sizeof raw);
  len = lp_frame_seal(raw, 3, LP_CRC16, 1, LP_DATA, 7); /* crc16 on a crc32c link */
  n += lp_cobs_encode(raw, len, wire + n);
  wire[n++] = 0;
  len = lp_frame_seal(raw, 3, LP_CRC32C, 1, LP_DATA, 8);
  n += lp_cobs_encode(raw, len, wire + n);
  wire[n++] = 0;
  for (i = 0; i < n; i++) got += lp_frame_decoder_push(&d, wire[i], &f);
  CHECK(got == 1 && f.seq == 8 && d.stats.too_large == 1 && d.stats.other_crc == 1);
}

static void seq_wraps_and_hello_backs_off(void) {
  size_t n, i;
  setup("HELLO every 500 ms, one per 5 s after 10 unanswered; seq wraps 65535 -> 0", 1100);
  start();
  sub.seq = 65534; /* as if it ran long */
  advance(10 * LP_HELLO_RETRY_MS); /* HELLOs at 0, 500, ..., 4500: the 10th unanswered */
  n = take();
  CHECK(n == 10);
  CHECK(seqs[1] == 65535 && seqs[2] == 0);
  advance(LP_HELLO_BACKOFF_MS - LP_HELLO_RETRY_MS - 1); /* the 11th comes 5 s after the 10th */
  CHECK(take() == 0);
  advance(1);
  CHECK(take() == 1);
  for (i = 0; i < 3; i++) advance(LP_HELLO_BACKOFF_MS);
  CHECK(take() == 3);
}

static void keepalive_zero_and_tiny_offers(void) {
  size_t n;
  setup("HELLO_ACK keepalive 0 means 1000 ms; an offer of chunk size 0 is refused -100", 1100);
  start();
  hello_ack(1100, 0);
  take();
  advance(999);
  CHECK(take() == 0);
  advance(1);
  n = take();
  CHECK(n == 1 && msgs[0].type == LP_KEEPALIVE);
  offer(0);
  n = take();
  CHECK(n == 1 && msgs[0].type == LP_FW_RESULT && msgs[0].u.fw_result.code == LP_FW_REFUSED);
}

static void long_waits_stay_long(void) {
  lp_msg_t m;
  setup("a HELLO_REFUSED retryAfterMs beyond 2^31 ms stays a long silence (no wrap), keepalive likewise", 1100);
  start();
  take();
  memset(&m, 0, sizeof m);
  m.type = LP_HELLO_REFUSED;
  m.u.hello_refused.reason = LP_REFUSED_NOT_DECLARED;
  m.u.hello_refused.retry_after_ms = 0xFFFFFFFFu;
  send(&m);
  CHECK(lp_sub_state(&sub) == LP_STATE_REFUSED);
  advance(60000);
  CHECK(take() == 0 && lp_sub_state(&sub) == LP_STATE_REFUSED);
  setup("a HELLO_REFUSED retryAfterMs beyond 2^31 ms stays a long silence (no wrap), keepalive likewise", 1100);
  start();
  hello_ack(1100, 0xFFFFFFFFu);
  take();
  advance(60000);
  CHECK(take() == 0 && lp_sub_state(&sub) == LP_STATE_CONNECTED);
}

static void bad_configs_refused(void) {
  setup("lp_sub_init refuses a bad config", 1100);
  cfg.address = 0;
  CHECK(!lp_sub_init(&sub, &cfg, &hooks));
  cfg.address = 255;
  CHECK(!lp_sub_init(&sub, &cfg, &hooks));
  cfg.address = 1;
  cfg.max_frame = 31;
  CHECK(!lp_sub_init(&sub, &cfg, &hooks));
  cfg.max_frame = 1100;
  cfg.reorder_chunks = 33;
  CHECK(!lp_sub_init(&sub, &cfg, &hooks));
  cfg.reorder_chunks = 8;
  hooks.flash_read = NULL;
  CHECK(!lp_sub_init(&sub, &cfg, &hooks));
}

int main(void) {
  cancel_keeps_chunks_beyond_a_gap();
  md5_mismatch_discards();
  verdict_settled_reboots();
  next_offer_settles();
  result_without_session();
  pending_data_handed_back();
  result_text_fits_small_gateway_frames();
  decoder_robustness();
  seq_wraps_and_hello_backs_off();
  keepalive_zero_and_tiny_offers();
  long_waits_stay_long();
  bad_configs_refused();
  printf("%u engine checks, %u passed, %u failed\n", checks, checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
