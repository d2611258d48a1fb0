#include "lp_msg.h"

#include <string.h>

/* ---- writer: every put checks room; a failed put poisons the writer ---- */
typedef struct {
  uint8_t *out;
  size_t cap, len;
  int bad;
} writer_t;

static void put_u8(writer_t *w, uint32_t v) {
  if (w->len + 1u > w->cap) {
    w->bad = 1;
    return;
  }
  w->out[w->len++] = (uint8_t)v;
}
static void put_u16(writer_t *w, uint32_t v) {
  put_u8(w, v >> 8);
  put_u8(w, v);
}
static void put_u32(writer_t *w, uint32_t v) {
  put_u16(w, v >> 16);
  put_u16(w, v & 0xFFFFu);
}
static void put_bytes(writer_t *w, const uint8_t *p, size_t n) {
  if (n > 0 && (p == NULL || w->len + n > w->cap)) {
    w->bad = 1;
    return;
  }
  if (n > 0) memcpy(w->out + w->len, p, n);
  w->len += n;
}
static void put_str8(writer_t *w, lp_bytes_t s) {
  if (s.len > 255u) {
    w->bad = 1;
    return;
  }
  put_u8(w, (uint32_t)s.len);
  put_bytes(w, s.ptr, s.len);
}

long lp_msg_encode(const lp_msg_t *m, uint8_t *out, size_t cap) {
  writer_t w;
  w.out = out;
  w.cap = cap;
  w.len = 0;
  w.bad = 0;
  switch (m->type) {
  case LP_HELLO:
    put_str8(&w, m->u.hello.product_id);
    put_str8(&w, m->u.hello.device_name);
    put_str8(&w, m->u.hello.firmware_version);
    put_u16(&w, m->u.hello.max_frame);
    put_u8(&w, m->u.hello.capabilities);
    if (m->u.hello.revision >= 2u) {
      put_u8(&w, m->u.hello.revision);
      put_u16(&w, m->u.hello.features);
    }
    break;
  case LP_HELLO_ACK:
    put_u32(&w, m->u.hello_ack.keepalive_ms);
    put_u16(&w, m->u.hello_ack.max_frame);
    if (m->u.hello_ack.revision >= 2u) {
      put_u8(&w, m->u.hello_ack.revision);
      put_u16(&w, m->u.hello_ack.features);
    }
    break;
  case LP_HELLO_REFUSED:
    put_u8(&w, m->u.hello_refused.reason);
    put_u32(&w, m->u.hello_refused.retry_after_ms);
    put_str8(&w, m->u.hello_refused.message);
    break;
  case LP_KEEPALIVE:
  case LP_KEEPALIVE_ACK:
  case LP_DATA_ACK:
  case LP_FW_COMMIT:
  case LP_FW_RESULT_ACK:
    break;
  case LP_DATA:
    put_bytes(&w, m->u.data.ptr, m->u.data.len);
    break;
  case LP_FW_OFFER:
    put_str8(&w, m->u.fw_offer.version);
    put_u32(&w, m->u.fw_offer.size);
    put_bytes(&w, m->u.fw_offer.md5, 16);
    put_u16(&w, m->u.fw_offer.chunk_size);
    break;
  case LP_FW_ACCEPT:
    put_u32(&w, m->u.fw_accept);
    break;
  case LP_FW_CHUNK:
    if (m->u.fw_chunk.bytes.len > 0xFFFFu) w.bad = 1;
    put_u32(&w, m->u.fw_chunk.offset);
    put_bytes(&w, m->u.fw_chunk.bytes.ptr, m->u.fw_chunk.bytes.len);
    break;
  case LP_FW_ACK:
    put_u32(&w, m->u.fw_ack.offset);
    if (m->u.fw_ack.sack != 0) put_u32(&w, m->u.fw_ack.sack);
    break;
  case LP_FW_APPLYING:
    if (m->u.fw_applying > 100u) w.bad = 1;
    put_u8(&w, m->u.fw_applying);
    break;
  case LP_FW_RESULT:
    put_u8(&w, m->u.fw_result.ok ? 1u : 0u);
    put_u16(&w, (uint32_t)((int32_t)m->u.fw_result.code & 0xFFFF));
    put_str8(&w, m->u.fw_result.text);
    break;
  case LP_FW_CANCEL:
    put_u8(&w, m->u.fw_cancel);
    break;
  case LP_BYE:
    put_u8(&w, m->u.bye);
    break;
  default:
    return -1;
  }
  return w.bad ? -1 : (long)w.len;
}

/* ---- reader: a failed get marks the reader short ---- */
typedef struct {
  const uint8_t *p;
  size_t len, at;
  int bad;
} reader_t;

static uint32_t get_u8(reader_t *r) {
  if (r->at + 1u > r->len) {
    r->bad = 1;
    return 0;
  }
  return r->p[r->at++];
}
static uint32_t get_u16(reader_t *r) {
  uint32_t hi = get_u8(r);
  return (hi << 8) | get_u8(r);
}
static uint32_t get_u32(reader_t *r) {
  uint32_t hi = get_u16(r);
  return (hi << 16) | get_u16(r);
}
static lp_bytes_t get_bytes(reader_t *r, size_t n) {
  lp_bytes_t b;
  b.ptr = r->p + r->at;
  b.len = 0;
  if (r->at + n > r->len) {
    r->bad = 1;
    return b;
  }
  b.len = n;
  r->at += n;
  return b;
}
static lp_bytes_t get_str8(reader_t *r) {
  size_t n = get_u8(r);
  lp_bytes_t b = get_bytes(r, n);
  if (!r->bad && !lp_utf8_valid(b.ptr, b.len)) r->bad = 1;
  return b;
}
static size_t left(const reader_t *r) { return r->len - r->at; }

int lp_utf8_valid(const uint8_t *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint8_t c = s[i];
    size_t n, k;
    uint32_t cp, min;
    if (c < 0x80u) {
      i++;
      continue;
    }
    if ((c & 0xE0u) == 0xC0u) {
      n = 1;
      cp = c & 0x1Fu;
      min = 0x80u;
    } else if ((c & 0xF0u) == 0xE0u) {
      n = 2;
      cp = c & 0x0Fu;
      min = 0x800u;
    } else if ((c & 0xF8u) == 0xF0u) {
      n = 3;
      cp = c & 0x07u;
      min = 0x10000u;
    } else {
      return 0;
    }
    if (len - i <= n) return 0;
    for (k = 1; k <= n; k++) {
      if ((s[i + k] & 0xC0u) != 0x80u) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) return 0;
    i += n + 1u;
  }
  return 1;
}

/* A revision >= 2 extension of HELLO / HELLO_ACK: u8 revision, u16 features; later fields ignored. */
static void get_extension(reader_t *r, uint8_t receiver_revision, uint8_t *revision, uint16_t *features) {
  *revision = 1;
  *features = 0;
  if (left(r) == 0) return;
  if (receiver_revision < 2u) {
    r->bad = 1; /* revision 1 knows no extension: trailing bytes */
    return;
  }
  *revision = (uint8_t)get_u8(r);
  *features = (uint16_t)get_u16(r);
  if (*revision < 2u) r->bad = 1;
  r->at = r->len; /* a later revision appends here */
}

lp_decode_result_t lp_msg_decode(uint8_t type, const uint8_t *payload, size_t len, uint8_t revision, lp_msg_t *m) {
  reader_t r;
  r.p = payload;
  r.len = len;
  r.at = 0;
  r.bad = 0;
  memset(m, 0, sizeof *m);
  m->type = type;
  switch (type) {
  case LP_HELLO:
    m->u.hello.product_id = get_str8(&r);
    m->u.hello.device_name = get_str8(&r);
    m->u.hello.firmware_version = get_str8(&r);
    m->u.hello.max_frame = (uint16_t)get_u16(&r);
    m->u.hello.capabilities = (uint8_t)get_u8(&r);
    if (!r.bad) get_extension(&r, revision, &m->u.hello.revision, &m->u.hello.features);
    break;
  case LP_HELLO_ACK:
    m->u.hello_ack.keepalive_ms = get_u32(&r);
    m->u.hello_ack.max_frame = (uint16_t)get_u16(&r);
    if (!r.bad) get_extension(&r, revision, &m->u.hello_ack.revision, &m->u.hello_ack.features);
    break;
  case LP_HELLO_REFUSED:
    if (revision < 2u) return LP_MSG_UNKNOWN;
    m->u.hello_refused.reason = (uint8_t)get_u8(&r);
    m->u.hello_refused.retry_after_ms = get_u32(&r);
    m->u.hello_refused.message = get_str8(&r);
    break;
  case LP_KEEPALIVE:
  case LP_KEEPALIVE_ACK:
  case LP_DATA_ACK:
  case LP_FW_COMMIT:
    break;
  case LP_FW_RESULT_ACK:
    if (revision < 2u) return LP_MSG_UNKNOWN;
    break;
  case LP_DATA:
    m->u.data = get_bytes(&r, len);
    break;
  case LP_FW_OFFER: {
    lp_bytes_t md5;
    m->u.fw_offer.version = get_str8(&r);
    m->u.fw_offer.size = get_u32(&r);
    md5 = get_bytes(&r, 16);
    if (!r.bad) memcpy(m->u.fw_offer.md5, md5.ptr, 16);
    m->u.fw_offer.chunk_size = (uint16_t)get_u16(&r);
    break;
  }
  case LP_FW_ACCEPT:
    m->u.fw_accept = get_u32(&r);
    break;
  case LP_FW_CHUNK:
    m->u.fw_chunk.offset = get_u32(&r);
    m->u.fw_chunk.bytes = get_bytes(&r, left(&r));
    break;
  case LP_FW_ACK:
    m->u.fw_ack.offset = get_u32(&r);
    if (left(&r) > 0) m->u.fw_ack.sack = get_u32(&r);
    break;
  case LP_FW_APPLYING:
    m->u.fw_applying = (uint8_t)get_u8(&r);
    if (m->u.fw_applying > 100u) r.bad = 1;
    break;
  case LP_FW_RESULT: {
    uint32_t ok = get_u8(&r);
    m->u.fw_result.ok = (uint8_t)ok;
    {
      uint32_t code = get_u16(&r); /* two's complement without implementation-defined casts */
      m->u.fw_result.code = code >= 0x8000u ? (int16_t)((int32_t)code - 0x10000) : (int16_t)code;
    }
    m->u.fw_result.text = get_str8(&r);
    if (ok > 1u) r.bad = 1;
    break;
  }
  case LP_FW_CANCEL:
    if (revision < 2u) return LP_MSG_UNKNOWN;
    m->u.fw_cancel = (uint8_t)get_u8(&r);
    break;
  case LP_BYE:
    m->u.bye = (uint8_t)get_u8(&r);
    break;
  default:
    return LP_MSG_UNKNOWN;
  }
  if (r.bad || left(&r) != 0) return LP_MSG_MALFORMED;
  return LP_MSG_OK;
}
