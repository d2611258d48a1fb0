/* Session and data of the subdevice side (spec §3, §4, §6, §7). Firmware: lp_firmware.c. */
#include <string.h>

#include "lp_internal.h"

static size_t str_len(const char *s, size_t max) {
  size_t n = 0;
  while (n <= max && s[n] != '\0') n++;
  return n;
}

static void set_state(lp_sub_t *s, lp_state_t state) {
  if (s->state == state) return;
  s->state = state;
  if (s->hooks.state) s->hooks.state(s->hooks.ctx, state);
}

uint16_t lp__next_seq(lp_sub_t *s) { return ++s->seq; /* wraps 65535 -> 0 (§3.2) */ }

/* The largest raw frame we may send: the peer's max (known in a session), our buffer otherwise. */
static size_t send_limit(const lp_sub_t *s) {
  size_t limit = LP_MAX_FRAME;
  if (s->state == LP_STATE_CONNECTED && s->peer_max_frame < limit) limit = s->peer_max_frame;
  return limit;
}

int lp__send(lp_sub_t *s, const lp_msg_t *m, uint16_t seq) {
  size_t overhead = LP_HEADER_SIZE + lp_crc_size(s->cfg.crc);
  size_t limit = send_limit(s);
  long n = lp_msg_encode(m, s->tx + LP_HEADER_SIZE, limit - overhead);
  size_t raw;
  if (n < 0) return 0;
  raw = lp_frame_seal(s->tx, (size_t)n, s->cfg.crc, s->cfg.address, (uint8_t)(m->type | LP_DIR_UPLINK), seq);
  lp_frame_send(s->tx, raw, s->hooks.write, s->hooks.ctx);
  return 1;
}

static void send_simple(lp_sub_t *s, uint8_t type, uint16_t seq) {
  lp_msg_t m;
  memset(&m, 0, sizeof m);
  m.type = type;
  (void)lp__send(s, &m, seq);
}

size_t lp__text_cut(const char *text, size_t len, size_t max) {
  size_t n = len < max ? len : max;
  /* Never end inside a UTF-8 sequence: back off to the start of a cut one. */
  if (n < len) {
    while (n > 0 && ((uint8_t)text[n] & 0xC0u) == 0x80u) n--;
  }
  return n;
}

void lp__send_result(lp_sub_t *s, int ok, int16_t code, const char *text) {
  lp_msg_t m;
  size_t room = send_limit(s) - LP_HEADER_SIZE - lp_crc_size(s->cfg.crc) - 4u; /* ok, code, str8 length */
  if (room > 255u) room = 255u;
  memset(&m, 0, sizeof m);
  m.type = LP_FW_RESULT;
  m.u.fw_result.ok = ok ? 1u : 0u;
  m.u.fw_result.code = ok ? 0 : code;
  m.u.fw_result.text.ptr = (const uint8_t *)text;
  m.u.fw_result.text.len = lp__text_cut(text, str_len(text, 255u), room);
  (void)lp__send(s, &m, lp__next_seq(s));
}

static void send_hello(lp_sub_t *s) {
  lp_msg_t m;
  memset(&m, 0, sizeof m);
  m.type = LP_HELLO;
  m.u.hello.product_id.ptr = (const uint8_t *)s->cfg.product_id;
  m.u.hello.product_id.len = strlen(s->cfg.product_id);
  m.u.hello.device_name.ptr = (const uint8_t *)s->cfg.device_name;
  m.u.hello.device_name.len = strlen(s->cfg.device_name);
  m.u.hello.firmware_version.ptr = (const uint8_t *)s->version;
  m.u.hello.firmware_version.len = strlen(s->version);
  m.u.hello.max_frame = s->cfg.max_frame;
  m.u.hello.capabilities = (uint8_t)((s->cfg.firmware ? LP_CAP_FIRMWARE : 0u) | (s->cfg.reliable_data ? LP_CAP_RELIABLE_DATA : 0u) |
                                     (s->cfg.firmware && s->cfg.reorder_chunks > 0u ? LP_CAP_REORDER_BUFFER : 0u));
  m.u.hello.revision = s->cfg.revision;
  m.u.hello.features = 0; /* announces none of the optional features (§4.1, §12): DATA only, on the channel `data` */
  (void)lp__send(s, &m, lp__next_seq(s));
  s->hellos_unanswered++;
  s->hello_due = s->now + ((s->cfg.hello_backoff && s->hellos_unanswered >= LP_HELLO_BACKOFF_AFTER) ? LP_HELLO_BACKOFF_MS : LP_HELLO_RETRY_MS);
}

/* Pending reliable DATA ends with the session: handed back to the application. */
static void drop_pending_data(lp_sub_t *s) {
  unsigned i;
  for (i = 0; i < LP_DATA_SLOTS; i++) {
    if (!s->out[i].used) continue;
    s->out[i].used = 0;
    if (s->hooks.data_sent) s->hooks.data_sent(s->hooks.ctx, s->out[i].seq, 0);
  }
}

void lp__rehello(lp_sub_t *s) {
  drop_pending_data(s);
  s->hellos_unanswered = 0;
  set_state(s, LP_STATE_CONNECTING);
  send_hello(s);
}

int lp_sub_init(lp_sub_t *s, const lp_sub_config_t *cfg, const lp_sub_hooks_t *hooks) {
  memset(s, 0, sizeof *s);
  if (!cfg || !hooks || !hooks->write || !hooks->now_ms || !cfg->product_id || !cfg->device_name || !cfg->firmware_version) return 0;
  if (cfg->address == 0u || cfg->address == 0xFFu || cfg->revision < 1u || cfg->revision > LP_REVISION) return 0;
  if (cfg->reorder_chunks > LP_MAX_REORDER) return 0;
  if (str_len(cfg->product_id, 255u) > 255u || str_len(cfg->device_name, 255u) > 255u) return 0;
  if (str_len(cfg->firmware_version, LP_MAX_VERSION) > LP_MAX_VERSION) return 0;
  if (cfg->firmware && (!hooks->flash_load || !hooks->flash_write || !hooks->flash_read || !hooks->flash_commit || !hooks->apply)) return 0;
  s->cfg = *cfg;
  if (s->cfg.max_frame == 0u) s->cfg.max_frame = LP_MAX_FRAME;
  if (s->cfg.max_frame < 32u || s->cfg.max_frame > LP_MAX_FRAME) return 0;
  s->hooks = *hooks;
  strcpy(s->version, cfg->firmware_version);
  s->state = LP_STATE_IDLE;
  s->revision = cfg->revision;
  lp_frame_decoder_init(&s->rx, cfg->crc, s->cfg.max_frame);
  if (cfg->firmware) lp__fw_init(s);
  return 1;
}

void lp_sub_start(lp_sub_t *s) {
  s->now = s->hooks.now_ms(s->hooks.ctx);
  lp__rehello(s);
}

static void start_session(lp_sub_t *s, const lp_msg_t *ack) {
  s->revision = ack->u.hello_ack.revision < s->cfg.revision ? ack->u.hello_ack.revision : s->cfg.revision;
  /* A keepalive interval of 0 would flood the line: take the spec's default instead. Intervals
   * are capped so that 3 of them stay within the wrap-safe half of the 32-bit clock. */
  s->keepalive_ms = ack->u.hello_ack.keepalive_ms != 0u ? ack->u.hello_ack.keepalive_ms : 1000u;
  if (s->keepalive_ms > LP_MAX_TIMER_MS / LP_KEEPALIVE_MISSES) s->keepalive_ms = LP_MAX_TIMER_MS / LP_KEEPALIVE_MISSES;
  s->peer_max_frame = ack->u.hello_ack.max_frame < 32u ? 32u : ack->u.hello_ack.max_frame;
  s->session = (uint16_t)(s->session + 1u == 0u ? 1u : s->session + 1u);
  s->last_heard = s->now;
  s->keepalive_due = s->now + s->keepalive_ms;
  s->history_len = 0;
  s->history_at = 0;
  s->hellos_unanswered = 0;
  set_state(s, LP_STATE_CONNECTED);
}

/* 1 when seq was delivered in this session; remembers it otherwise. */
static int seen_before(lp_sub_t *s, uint16_t seq) {
  unsigned i;
  for (i = 0; i < s->history_len; i++)
    if (s->history[i] == seq) return 1;
  s->history[s->history_at] = seq;
  s->history_at = (uint8_t)((s->history_at + 1u) % LP_DATA_HISTORY);
  if (s->history_len < LP_DATA_HISTORY) s->history_len++;
  return 0;
}

static void on_session_message(lp_sub_t *s, const lp_frame_t *f, const lp_msg_t *m) {
  unsigned i;
  switch (m->type) {
  case LP_DATA:
    if (s->cfg.reliable_data) {
      send_simple(s, LP_DATA_ACK, f->seq); /* every copy is acknowledged, each seq delivered once */
      if (seen_before(s, f->seq)) return;
    }
    if (s->hooks.data) s->hooks.data(s->hooks.ctx, m->u.data.ptr, m->u.data.len);
    return;
  case LP_DATA_ACK:
    if (!s->cfg.reliable_data) return;
    for (i = 0; i < LP_DATA_SLOTS; i++) {
      if (s->out[i].used && s->out[i].seq == f->seq) {
        s->out[i].used = 0;
        if (s->hooks.data_sent) s->hooks.data_sent(s->hooks.ctx, f->seq, 1);
      }
    }
    return;
  case LP_BYE:
    lp__rehello(s); /* any BYE from the gateway: a new session at once (§6.1) */
    return;
  case LP_FW_OFFER:
  case LP_FW_CHUNK:
  case LP_FW_COMMIT:
  case LP_FW_CANCEL:
  case LP_FW_RESULT_ACK:
    lp__fw_message(s, m);
    return;
  default:
    return; /* HELLO_ACK again (a duplicate), KEEPALIVE_ACK, a stale HELLO_REFUSED: "last heard" only */
  }
}

static void on_frame(lp_sub_t *s, const lp_frame_t *f) {
  lp_msg_t m;
  uint8_t revision;
  /* Other subdevices' uplink on a shared bus, other addresses (0xFF included): not ours. */
  if ((f->type & LP_DIR_UPLINK) != 0u || f->address != s->cfg.address) return;
  if (s->state == LP_STATE_IDLE || s->state == LP_STATE_REFUSED) return;
  revision = s->state == LP_STATE_CONNECTED ? s->revision : s->cfg.revision;
  if (lp_msg_decode(f->type, f->payload, f->payload_len, revision, &m) != LP_MSG_OK) return;
  if (s->state == LP_STATE_CONNECTING) {
    if (m.type == LP_HELLO_ACK) {
      start_session(s, &m);
    } else if (m.type == LP_HELLO_REFUSED) {
      /* Beyond the wrap-safe range a deadline would look past at once: cap it (24.8 days). */
      s->refused_until = s->now + (m.u.hello_refused.retry_after_ms > LP_MAX_TIMER_MS ? LP_MAX_TIMER_MS : m.u.hello_refused.retry_after_ms);
      set_state(s, LP_STATE_REFUSED);
      if (s->hooks.refused)
        s->hooks.refused(s->hooks.ctx, m.u.hello_refused.reason, m.u.hello_refused.retry_after_ms, m.u.hello_refused.message.ptr,
                         m.u.hello_refused.message.len);
    }
    return; /* without a session everything else is ignored, and nothing answered */
  }
  s->last_heard = s->now;
  on_session_message(s, f, &m);
}

void lp_sub_feed(lp_sub_t *s, const uint8_t *bytes, size_t len) {
  size_t i;
  lp_frame_t f;
  s->now = s->hooks.now_ms(s->hooks.ctx);
  for (i = 0; i < len; i++)
    if (lp_frame_decoder_push(&s->rx, bytes[i], &f)) on_frame(s, &f);
}

/* The wait after the n-th copy of a DATA frame: ackTimeout, doubled each time, at most 8x (§7).
 * Backing off keeps a congested bus from being buried under copies when acks come late. */
static uint32_t lp__data_wait_ms(uint8_t attempts) {
  uint8_t doublings = (uint8_t)(attempts - 1u);
  if (doublings > 3u) doublings = 3u;
  return LP_DATA_ACK_TIMEOUT_MS << doublings;
}

static void data_tick(lp_sub_t *s) {
  unsigned i;
  for (i = 0; i < LP_DATA_SLOTS; i++) {
    lp_data_slot_t *d = &s->out[i];
    lp_msg_t m;
    if (!d->used || !LP_DUE(s->now, d->due)) continue;
    if (d->attempts >= LP_DATA_ATTEMPTS) {
      /* Given up: the session goes on, the application gets the frame back (§7). */
      d->used = 0;
      if (s->hooks.data_sent) s->hooks.data_sent(s->hooks.ctx, d->seq, 0);
      continue;
    }
    memset(&m, 0, sizeof m);
    m.type = LP_DATA;
    m.u.data.ptr = d->bytes;
    m.u.data.len = d->len;
    (void)lp__send(s, &m, d->seq); /* byte for byte again: same seq */
    d->attempts++;
    d->due = s->now + lp__data_wait_ms(d->attempts);
  }
}

void lp_sub_tick(lp_sub_t *s) {
  s->now = s->hooks.now_ms(s->hooks.ctx);
  switch (s->state) {
  case LP_STATE_CONNECTING:
    if (LP_DUE(s->now, s->hello_due)) send_hello(s);
    break;
  case LP_STATE_REFUSED:
    if (LP_DUE(s->now, s->refused_until)) lp__rehello(s);
    break;
  case LP_STATE_CONNECTED:
    if ((uint32_t)(s->now - s->last_heard) >= LP_KEEPALIVE_MISSES * s->keepalive_ms) {
      lp__rehello(s); /* the gateway is gone (or restarted): a new session */
      break;
    }
    if (LP_DUE(s->now, s->keepalive_due)) {
      send_simple(s, LP_KEEPALIVE, lp__next_seq(s));
      s->keepalive_due += s->keepalive_ms;
      if (LP_DUE(s->now, s->keepalive_due)) s->keepalive_due = s->now + s->keepalive_ms; /* ticks came late */
    }
    data_tick(s);
    break;
  default:
    return;
  }
  if (s->cfg.firmware) lp__fw_tick(s);
}

int32_t lp_sub_send_data(lp_sub_t *s, const uint8_t *payload, size_t len) {
  lp_msg_t m;
  unsigned i;
  uint16_t seq;
  s->now = s->hooks.now_ms(s->hooks.ctx);
  if (s->state != LP_STATE_CONNECTED) return LP_ERR_NOT_CONNECTED;
  if (len > send_limit(s) - LP_HEADER_SIZE - lp_crc_size(s->cfg.crc)) return LP_ERR_TOO_BIG;
  memset(&m, 0, sizeof m);
  m.type = LP_DATA;
  if (!s->cfg.reliable_data) {
    m.u.data.ptr = payload;
    m.u.data.len = len;
    seq = lp__next_seq(s);
    (void)lp__send(s, &m, seq); /* sent once, never acknowledged (§7) */
    return seq;
  }
  if (len > LP_MAX_DATA) return LP_ERR_TOO_BIG;
  for (i = 0; i < LP_DATA_SLOTS && s->out[i].used; i++) {
  }
  if (i == LP_DATA_SLOTS) return LP_ERR_BUSY;
  s->out[i].used = 1;
  s->out[i].attempts = 1;
  s->out[i].seq = seq = lp__next_seq(s);
  s->out[i].due = s->now + lp__data_wait_ms(1);
  s->out[i].len = (uint16_t)len;
  if (len > 0) memcpy(s->out[i].bytes, payload, len);
  m.u.data.ptr = s->out[i].bytes;
  m.u.data.len = len;
  (void)lp__send(s, &m, seq);
  return seq;
}

void lp_sub_bye(lp_sub_t *s, uint8_t reason) {
  lp_msg_t m;
  s->now = s->hooks.now_ms(s->hooks.ctx);
  if (s->state == LP_STATE_CONNECTED) {
    memset(&m, 0, sizeof m);
    m.type = LP_BYE;
    m.u.bye = reason;
    (void)lp__send(s, &m, lp__next_seq(s));
  }
  drop_pending_data(s);
  set_state(s, LP_STATE_IDLE);
}

void lp_sub_stop(lp_sub_t *s) {
  drop_pending_data(s);
  set_state(s, LP_STATE_IDLE);
}

lp_state_t lp_sub_state(const lp_sub_t *s) { return s->state; }
const char *lp_sub_version(const lp_sub_t *s) { return s->version; }
