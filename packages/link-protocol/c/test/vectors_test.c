/*
 * Checks the C implementation against packages/link-protocol/test/vectors.json (spec §11):
 * CRC check values, COBS pairs, every frame encoded and decoded (both CRCs, both revisions),
 * malformed payloads dropped, later-revision payloads accepted, and every scenario played by
 * the subdevice engine in virtual time, byte for byte.
 *
 * Usage: vectors_test path/to/vectors.json   (exit 0 when every check passed)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lp_cobs.h"
#include "../src/lp_crc.h"
#include "../src/lp_frame.h"
#include "../src/lp_msg.h"
#include "../src/lp_subdevice.h"
#include "json.h"
#include "sim.h"

static unsigned checks, failures;
static char where[256];

static void check(int ok, const char *fmt, const char *detail) {
  checks++;
  if (ok) return;
  failures++;
  fprintf(stderr, "FAIL %s: ", where);
  fprintf(stderr, fmt, detail ? detail : "");
  fputc('\n', stderr);
}

/* ---- hex ---- */
static size_t hex_decode(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  while (hex[0] && hex[1] && n < cap) {
    unsigned v;
    if (sscanf(hex, "%2x", &v) != 1) break;
    out[n++] = (uint8_t)v;
    hex += 2;
  }
  return n;
}

/* ---- messages from their JSON form ---- */
static uint8_t type_of(const char *name) {
  static const struct {
    const char *name;
    uint8_t type;
  } names[] = {{"hello", LP_HELLO},           {"hello_ack", LP_HELLO_ACK},   {"keepalive", LP_KEEPALIVE},
               {"keepalive_ack", LP_KEEPALIVE_ACK}, {"hello_refused", LP_HELLO_REFUSED}, {"data", LP_DATA},
               {"data_ack", LP_DATA_ACK},     {"fw_offer", LP_FW_OFFER},     {"fw_accept", LP_FW_ACCEPT},
               {"fw_chunk", LP_FW_CHUNK},     {"fw_ack", LP_FW_ACK},         {"fw_commit", LP_FW_COMMIT},
               {"fw_applying", LP_FW_APPLYING}, {"fw_result", LP_FW_RESULT}, {"fw_result_ack", LP_FW_RESULT_ACK},
               {"fw_cancel", LP_FW_CANCEL},   {"bye", LP_BYE}};
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i].name, name) == 0) return names[i].type;
  return 0;
}

static lp_bytes_t text(const char *s) {
  lp_bytes_t b;
  b.ptr = (const uint8_t *)s;
  b.len = s ? strlen(s) : 0;
  return b;
}

/* store holds the hex-decoded byte fields. */
static int msg_from_json(const json_t *j, lp_msg_t *m, uint8_t *store, size_t cap) {
  memset(m, 0, sizeof *m);
  m->type = type_of(json_str(j, "type", ""));
  switch (m->type) {
  case LP_HELLO:
    m->u.hello.product_id = text(json_str(j, "productId", ""));
    m->u.hello.device_name = text(json_str(j, "deviceName", ""));
    m->u.hello.firmware_version = text(json_str(j, "firmwareVersion", ""));
    m->u.hello.max_frame = (uint16_t)json_num(j, "maxFrameSize", 0);
    m->u.hello.capabilities = (uint8_t)json_num(j, "capabilities", 0);
    m->u.hello.revision = (uint8_t)json_num(j, "revision", 1);
    m->u.hello.features = (uint16_t)json_num(j, "features", 0);
    break;
  case LP_HELLO_ACK:
    m->u.hello_ack.keepalive_ms = (uint32_t)json_num(j, "keepaliveIntervalMs", 0);
    m->u.hello_ack.max_frame = (uint16_t)json_num(j, "maxFrameSize", 0);
    m->u.hello_ack.revision = (uint8_t)json_num(j, "revision", 1);
    m->u.hello_ack.features = (uint16_t)json_num(j, "features", 0);
    break;
  case LP_HELLO_REFUSED:
    m->u.hello_refused.reason = (uint8_t)json_num(j, "reason", 0);
    m->u.hello_refused.retry_after_ms = (uint32_t)json_num(j, "retryAfterMs", 0);
    m->u.hello_refused.message = text(json_str(j, "message", ""));
    break;
  case LP_DATA:
    m->u.data.ptr = store;
    m->u.data.len = hex_decode(json_str(j, "payload", ""), store, cap);
    break;
  case LP_FW_OFFER:
    m->u.fw_offer.version = text(json_str(j, "version", ""));
    m->u.fw_offer.size = (uint32_t)json_num(j, "size", 0);
    hex_decode(json_str(j, "md5", ""), m->u.fw_offer.md5, 16);
    m->u.fw_offer.chunk_size = (uint16_t)json_num(j, "chunkSize", 0);
    break;
  case LP_FW_ACCEPT:
    m->u.fw_accept = (uint32_t)json_num(j, "resumeOffset", 0);
    break;
  case LP_FW_CHUNK:
    m->u.fw_chunk.offset = (uint32_t)json_num(j, "offset", 0);
    m->u.fw_chunk.bytes.ptr = store;
    m->u.fw_chunk.bytes.len = hex_decode(json_str(j, "bytes", ""), store, cap);
    break;
  case LP_FW_ACK:
    m->u.fw_ack.offset = (uint32_t)json_num(j, "offset", 0);
    m->u.fw_ack.sack = (uint32_t)json_num(j, "sack", 0);
    break;
  case LP_FW_APPLYING:
    m->u.fw_applying = (uint8_t)json_num(j, "percent", 0);
    break;
  case LP_FW_RESULT:
    m->u.fw_result.ok = (uint8_t)json_bool(j, "ok", 0);
    m->u.fw_result.code = (int16_t)json_num(j, "code", 0);
    m->u.fw_result.text = text(json_str(j, m->u.fw_result.ok ? "version" : "message", ""));
    break;
  case LP_FW_CANCEL:
    m->u.fw_cancel = (uint8_t)json_num(j, "reason", 0);
    break;
  case LP_BYE:
    m->u.bye = (uint8_t)json_num(j, "reason", 0);
    break;
  case LP_KEEPALIVE:
  case LP_KEEPALIVE_ACK:
  case LP_DATA_ACK:
  case LP_FW_COMMIT:
  case LP_FW_RESULT_ACK:
    break;
  default:
    return 0;
  }
  return 1;
}

static int bytes_eq(lp_bytes_t a, lp_bytes_t b) { return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0); }

static int msg_equal(const lp_msg_t *a, const lp_msg_t *b, int ignore_text) {
  if (a->type != b->type) return 0;
  switch (a->type) {
  case LP_HELLO:
    return bytes_eq(a->u.hello.product_id, b->u.hello.product_id) && bytes_eq(a->u.hello.device_name, b->u.hello.device_name) &&
           bytes_eq(a->u.hello.firmware_version, b->u.hello.firmware_version) && a->u.hello.max_frame == b->u.hello.max_frame &&
           a->u.hello.capabilities == b->u.hello.capabilities && a->u.hello.revision == b->u.hello.revision &&
           a->u.hello.features == b->u.hello.features;
  case LP_HELLO_ACK:
    return a->u.hello_ack.keepalive_ms == b->u.hello_ack.keepalive_ms && a->u.hello_ack.max_frame == b->u.hello_ack.max_frame &&
           a->u.hello_ack.revision == b->u.hello_ack.revision && a->u.hello_ack.features == b->u.hello_ack.features;
  case LP_HELLO_REFUSED:
    return a->u.hello_refused.reason == b->u.hello_refused.reason && a->u.hello_refused.retry_after_ms == b->u.hello_refused.retry_after_ms &&
           (ignore_text || bytes_eq(a->u.hello_refused.message, b->u.hello_refused.message));
  case LP_DATA:
    return bytes_eq(a->u.data, b->u.data);
  case LP_FW_OFFER:
    return bytes_eq(a->u.fw_offer.version, b->u.fw_offer.version) && a->u.fw_offer.size == b->u.fw_offer.size &&
           memcmp(a->u.fw_offer.md5, b->u.fw_offer.md5, 16) == 0 && a->u.fw_offer.chunk_size == b->u.fw_offer.chunk_size;
  case LP_FW_ACCEPT:
    return a->u.fw_accept == b->u.fw_accept;
  case LP_FW_CHUNK:
    return a->u.fw_chunk.offset == b->u.fw_chunk.offset && bytes_eq(a->u.fw_chunk.bytes, b->u.fw_chunk.bytes);
  case LP_FW_ACK:
    return a->u.fw_ack.offset == b->u.fw_ack.offset && a->u.fw_ack.sack == b->u.fw_ack.sack;
  case LP_FW_APPLYING:
    return a->u.fw_applying == b->u.fw_applying;
  case LP_FW_RESULT:
    return a->u.fw_result.ok == b->u.fw_result.ok && a->u.fw_result.code == b->u.fw_result.code &&
           (ignore_text || bytes_eq(a->u.fw_result.text, b->u.fw_result.text));
  case LP_FW_CANCEL:
    return a->u.fw_cancel == b->u.fw_cancel;
  case LP_BYE:
    return a->u.bye == b->u.bye;
  default:
    return 1;
  }
}

static lp_crc_kind_t crc_of(const char *name) { return strcmp(name, "crc16") == 0 ? LP_CRC16 : LP_CRC32C; }

/* Decodes one wire frame (delimiters included) completely. */
static int decode_wire(const uint8_t *wire, size_t n, lp_crc_kind_t crc, lp_frame_t *f, lp_frame_decoder_t *d) {
  size_t i;
  int got = 0;
  lp_frame_decoder_init(d, crc, LP_MAX_FRAME);
  for (i = 0; i < n; i++) {
    lp_frame_t tmp;
    if (lp_frame_decoder_push(d, wire[i], &tmp)) {
      *f = tmp;
      got++;
    }
  }
  return got == 1;
}

/* ---- crc, cobs ---- */
static void test_primitives(const json_t *v) {
  const json_t *crc = json_get(v, "crc"), *cobs = json_get(v, "cobs");
  uint8_t in[64], raw[1024], enc[1100];
  size_t n = hex_decode(json_str(crc, "input", ""), in, sizeof in), i;
  char got[16];
  snprintf(where, sizeof where, "crc32c check");
  sprintf(got, "%08lx", (unsigned long)lp_crc32c(in, n));
  check(strcmp(got, json_str(crc, "crc32c", "")) == 0, "got %s", got);
  snprintf(where, sizeof where, "crc16 check");
  sprintf(got, "%04x", (unsigned)lp_crc16(in, n));
  check(strcmp(got, json_str(crc, "crc16", "")) == 0, "got %s", got);
  for (i = 0; i < cobs->count; i++) {
    const json_t *c = cobs->items[i];
    size_t rn = hex_decode(json_str(c, "raw", ""), raw, sizeof raw);
    size_t en = lp_cobs_encode(raw, rn, enc);
    uint8_t back[1024];
    long bn;
    snprintf(where, sizeof where, "cobs[%zu] encode", i);
    check(strcmp(hex_encode(enc, en), json_str(c, "encoded", "")) == 0, "got %s", hex_encode(enc, en));
    en = hex_decode(json_str(c, "encoded", ""), enc, sizeof enc);
    bn = lp_cobs_decode(enc, en, back, sizeof back);
    snprintf(where, sizeof where, "cobs[%zu] decode", i);
    check(bn == (long)rn && memcmp(back, raw, rn) == 0, "got %s", bn < 0 ? "error" : hex_encode(back, (size_t)bn));
  }
}

/* ---- frames ---- */
static void test_frames(const json_t *v) {
  const json_t *frames = json_get(v, "frames");
  size_t i;
  for (i = 0; i < frames->count; i++) {
    const json_t *fj = frames->items[i];
    const char *name = json_str(fj, "name", "?");
    lp_crc_kind_t crc = crc_of(json_str(fj, "crc", ""));
    uint8_t store[1100], payload[1100], wire[2400], raw[1200], expect_wire[2400];
    lp_msg_t m, d;
    long n;
    size_t raw_len, wn = 0, ew;
    int uplink = strcmp(json_str(fj, "direction", ""), "from_subdevice") == 0;
    uint8_t revision = (uint8_t)json_num(fj, "revision", 2);
    uint16_t seq = (uint16_t)json_num(fj, "seq", 0);
    lp_frame_t f;
    lp_frame_decoder_t dec;

    snprintf(where, sizeof where, "frame %s (%s) encode payload", name, json_str(fj, "crc", ""));
    msg_from_json(json_get(fj, "message"), &m, store, sizeof store);
    n = lp_msg_encode(&m, payload, sizeof payload);
    check(n >= 0 && strcmp(hex_encode(payload, (size_t)n), json_str(fj, "payload", "")) == 0, "got %s", n < 0 ? "error" : hex_encode(payload, (size_t)n));

    snprintf(where, sizeof where, "frame %s (%s) encode wire", name, json_str(fj, "crc", ""));
    memcpy(raw + LP_HEADER_SIZE, payload, n < 0 ? 0 : (size_t)n);
    raw_len = lp_frame_seal(raw, n < 0 ? 0 : (size_t)n, crc, (uint8_t)json_num(fj, "address", 0), (uint8_t)(m.type | (uplink ? LP_DIR_UPLINK : 0u)), seq);
    wire[wn++] = 0;
    wn += lp_cobs_encode(raw, raw_len, wire + wn);
    wire[wn++] = 0;
    check(strcmp(hex_encode(wire, wn), json_str(fj, "wire", "")) == 0, "got %s", hex_encode(wire, wn));

    snprintf(where, sizeof where, "frame %s (%s) decode", name, json_str(fj, "crc", ""));
    ew = hex_decode(json_str(fj, "wire", ""), expect_wire, sizeof expect_wire);
    if (!decode_wire(expect_wire, ew, crc, &f, &dec)) {
      check(0, "%s", "the frame decoder dropped it");
      continue;
    }
    check(f.address == (uint8_t)json_num(fj, "address", 0) && f.seq == seq && (f.type & 0x7Fu) == m.type &&
              ((f.type & LP_DIR_UPLINK) != 0) == uplink &&
              lp_msg_decode((uint8_t)(f.type & 0x7Fu), f.payload, f.payload_len, LP_REVISION, &d) == LP_MSG_OK && msg_equal(&d, &m, 0),
          "%s", "decoded header or message differs");
    if (revision == 1u) {
      /* A revision-1 receiver reads revision-1 layouts the same. */
      snprintf(where, sizeof where, "frame %s (%s) decode as revision 1", name, json_str(fj, "crc", ""));
      check(lp_msg_decode((uint8_t)(f.type & 0x7Fu), f.payload, f.payload_len, 1, &d) == LP_MSG_OK && msg_equal(&d, &m, 0), "%s", "differs");
    } else if (m.type == LP_HELLO_REFUSED || m.type == LP_FW_RESULT_ACK || m.type == LP_FW_CANCEL) {
      snprintf(where, sizeof where, "frame %s (%s) unknown to revision 1", name, json_str(fj, "crc", ""));
      check(lp_msg_decode((uint8_t)(f.type & 0x7Fu), f.payload, f.payload_len, 1, &d) == LP_MSG_UNKNOWN, "%s", "decoded");
    }
  }
}

static void test_malformed_and_accepted(const json_t *v) {
  const char *lists[2] = {"malformed", "accepted"};
  int k;
  for (k = 0; k < 2; k++) {
    const json_t *list = json_get(v, lists[k]);
    size_t i;
    for (i = 0; i < list->count; i++) {
      const json_t *e = list->items[i];
      uint8_t wire[1200];
      size_t wn = hex_decode(json_str(e, "wire", ""), wire, sizeof wire);
      lp_frame_t f;
      lp_frame_decoder_t dec;
      lp_msg_t m;
      lp_decode_result_t r;
      snprintf(where, sizeof where, "%s: %s", lists[k], json_str(e, "why", "?"));
      if (!decode_wire(wire, wn, LP_CRC32C, &f, &dec)) {
        check(0, "%s", "the frame itself was dropped (CRC?)");
        continue;
      }
      r = lp_msg_decode((uint8_t)(f.type & 0x7Fu), f.payload, f.payload_len, LP_REVISION, &m);
      check(k == 0 ? r == LP_MSG_MALFORMED : r == LP_MSG_OK, "%s", k == 0 ? "not rejected" : "not accepted");
    }
  }
}

/* ---- scenarios ---- */
static int ignores_message(const json_t *frame) {
  const json_t *ig = json_get(frame, "ignore");
  size_t i;
  for (i = 0; ig && i < ig->count; i++)
    if (ig->items[i]->kind == J_STRING && strcmp(ig->items[i]->string, "message") == 0) return 1;
  return 0;
}

/* Compares what the engine wrote since the last step with the step's "out". */
static void compare_out(sim_t *sim, const json_t *out, lp_crc_kind_t crc) {
  size_t at = 0, k = 0, expected = out ? out->count : 0;
  char detail[9000];
  int ok = 1;
  detail[0] = '\0';
  while (at < sim->out_len) {
    size_t start = at, end;
    if (sim->out[at] != 0) {
      ok = 0;
      snprintf(detail, sizeof detail, "output does not start with a delimiter at byte %zu", at);
      break;
    }
    end = at + 1;
    while (end < sim->out_len && sim->out[end] != 0) end++;
    at = end + 1; /* past the closing delimiter */
    if (k >= expected) {
      ok = 0;
      snprintf(detail, sizeof detail, "an extra frame %s", hex_encode(sim->out + start, at - start));
      break;
    }
    {
      const json_t *ef = out->items[k++];
      const char *want = json_str(ef, "wire", "");
      const char *got = hex_encode(sim->out + start, at - start);
      if (ignores_message(ef)) {
        lp_frame_t f;
        lp_frame_decoder_t dec;
        lp_msg_t d, m;
        uint8_t store[1100];
        msg_from_json(json_get(ef, "message"), &m, store, sizeof store);
        if (!decode_wire(sim->out + start, at - start, crc, &f, &dec) || f.seq != (uint16_t)json_num(ef, "seq", -1) ||
            lp_msg_decode((uint8_t)(f.type & 0x7Fu), f.payload, f.payload_len, LP_REVISION, &d) != LP_MSG_OK || !msg_equal(&d, &m, 1)) {
          ok = 0;
          snprintf(detail, sizeof detail, "frame %zu: got %s, want (message ignored) %s", k, got, want);
          break;
        }
      } else if (strcmp(got, want) != 0) {
        ok = 0;
        snprintf(detail, sizeof detail, "frame %zu: got %s want %s", k, got, want);
        break;
      }
    }
  }
  if (ok && k < expected) {
    ok = 0;
    snprintf(detail, sizeof detail, "%zu frame(s) missing, first %s", expected - k, json_str(out->items[k], "wire", ""));
  }
  check(ok, "%s", detail);
  sim->out_len = 0;
}

static void play(const json_t *sc) {
  static sim_t sim;
  static lp_sub_t sub;
  const json_t *cfgj = json_get(sc, "config"), *steps = json_get(sc, "steps"), *flash = json_get(cfgj, "flash");
  lp_sub_config_t cfg;
  lp_sub_hooks_t hooks;
  size_t i;
  memset(&sim, 0, sizeof sim);
  memset(&cfg, 0, sizeof cfg);
  cfg.address = (uint8_t)json_num(cfgj, "address", 1);
  cfg.product_id = json_str(cfgj, "productId", "");
  cfg.device_name = json_str(cfgj, "deviceName", "");
  cfg.firmware_version = json_str(cfgj, "firmwareVersion", "");
  cfg.revision = (uint8_t)json_num(cfgj, "revision", 2);
  cfg.crc = crc_of(json_str(cfgj, "crc", "crc32c"));
  cfg.max_frame = (uint16_t)json_num(cfgj, "maxFrameSize", 1100);
  cfg.reliable_data = (uint8_t)json_bool(cfgj, "reliableData", 1);
  cfg.firmware = (uint8_t)json_bool(cfgj, "firmware", 1);
  cfg.reorder_chunks = (uint8_t)json_num(cfgj, "reorderChunks", 0);
  cfg.hello_backoff = 1;
  if (flash) {
    sim.has_slot = 1;
    hex_decode(json_str(flash, "md5", ""), sim.slot.md5, 16);
    sim.slot.size = (uint32_t)json_num(flash, "size", 0);
    sim.slot.held = (uint32_t)json_num(flash, "held", 0);
  }
  sim_hooks(&sim, &hooks);
  snprintf(where, sizeof where, "scenario \"%s\" init", json_str(sc, "name", "?"));
  if (!lp_sub_init(&sub, &cfg, &hooks)) {
    check(0, "%s", "lp_sub_init refused the config");
    return;
  }
  lp_sub_start(&sub);
  for (i = 0; i < steps->count; i++) {
    const json_t *st = steps->items[i], *in = json_get(st, "in"), *app = json_get(st, "app"), *del = json_get(st, "delivered");
    uint32_t at = (uint32_t)json_num(st, "at", 0);
    size_t k;
    int ok = 1;
    /* Housekeeping every millisecond up to the step's time. */
    while (sim.now < at) {
      sim.now++;
      lp_sub_tick(&sub);
    }
    for (k = 0; in && k < in->count; k++) {
      uint8_t wire[1200];
      size_t wn = hex_decode(json_str(in->items[k], "wire", ""), wire, sizeof wire);
      lp_sub_feed(&sub, wire, wn);
    }
    if (app) {
      const json_t *send = json_get(app, "sendData"), *result = json_get(app, "reportResult");
      if (send && send->kind == J_STRING) {
        uint8_t p[1100];
        size_t pn = hex_decode(send->string, p, sizeof p);
        (void)lp_sub_send_data(&sub, p, pn);
      }
      if (json_get(app, "reportApplying")) lp_sub_applying(&sub, (uint8_t)json_num(app, "reportApplying", 0));
      if (result) {
        int rok = json_bool(result, "ok", 0);
        lp_sub_result(&sub, rok, (int16_t)json_num(result, "code", 0), json_str(result, rok ? "version" : "message", ""));
      }
    }
    snprintf(where, sizeof where, "scenario \"%s\" step %zu (at %u ms)", json_str(sc, "name", "?"), i, (unsigned)at);
    compare_out(&sim, json_get(st, "out"), cfg.crc);
    /* delivered: every payload the application received so far, in order */
    if (del) {
      ok = del->count == sim.delivered_count;
      for (k = 0; ok && k < del->count; k++) ok = strcmp(del->items[k]->string, sim.delivered[k]) == 0;
    }
    snprintf(where, sizeof where, "scenario \"%s\" step %zu (at %u ms) delivered", json_str(sc, "name", "?"), i, (unsigned)at);
    check(ok, "%s", "delivered payloads differ");
    snprintf(where, sizeof where, "scenario \"%s\" step %zu (at %u ms) settled", json_str(sc, "name", "?"), i, (unsigned)at);
    check(lp_sub_settled(&sub) == json_bool(st, "settled", 0), "%s", lp_sub_settled(&sub) ? "settled, expected not" : "not settled");
  }
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  long n;
  char *buf;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = (char *)malloc((size_t)n + 1u);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fclose(f);
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "../test/vectors.json";
  const char *error = NULL;
  char *text = read_file(path);
  json_t *v;
  const json_t *scenarios;
  size_t i;
  unsigned before;
  if (!text) {
    fprintf(stderr, "cannot read %s\n", path);
    return 2;
  }
  v = json_parse(text, &error);
  free(text);
  if (!v) {
    fprintf(stderr, "%s: %s\n", path, error);
    return 2;
  }
  if ((int)json_num(v, "revision", 0) != LP_REVISION) fprintf(stderr, "note: vectors are revision %d, this code %u\n", (int)json_num(v, "revision", 0), LP_REVISION);
  before = checks;
  test_primitives(v);
  printf("crc + cobs: %u checks\n", checks - before);
  before = checks;
  test_frames(v);
  printf("frames: %u checks\n", checks - before);
  before = checks;
  test_malformed_and_accepted(v);
  printf("malformed + accepted: %u checks\n", checks - before);
  before = checks;
  scenarios = json_get(v, "scenarios");
  for (i = 0; i < scenarios->count; i++) play(scenarios->items[i]);
  printf("scenarios: %zu played, %u checks\n", scenarios->count, checks - before);
  json_free(v);
  printf("%u vector checks, %u passed, %u failed\n", checks, checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
