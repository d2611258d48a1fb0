/* The firmware receiver of the subdevice side (spec §8): offer, chunks on the grid with SACK,
 * commit with MD5 check, applying, the held verdict, cancel. The image lives in the caller's flash
 * slot; only the offset below which every byte is held is committed (the resume offset). */
#include <string.h>

#include "lp_internal.h"
#include "lp_md5.h"

void lp__fw_init(lp_sub_t *s) {
  lp_slot_t slot;
  memset(&slot, 0, sizeof slot);
  if (s->hooks.flash_load(s->hooks.ctx, &slot) && slot.size > 0u && slot.held <= slot.size) s->fw.slot = slot;
}

static void send_applying(lp_sub_t *s) {
  lp_msg_t m;
  memset(&m, 0, sizeof m);
  m.type = LP_FW_APPLYING;
  m.u.fw_applying = s->fw.percent;
  (void)lp__send(s, &m, lp__next_seq(s));
}

static void send_ack(lp_sub_t *s) {
  lp_msg_t m;
  memset(&m, 0, sizeof m);
  m.type = LP_FW_ACK;
  m.u.fw_ack.offset = s->fw.slot.held;
  m.u.fw_ack.sack = s->fw.sack;
  (void)lp__send(s, &m, lp__next_seq(s));
}

static void send_verdict(lp_sub_t *s) {
  lp__send_result(s, s->fw.verdict_ok, s->fw.verdict_code, s->fw.verdict_text);
  s->fw.verdict_at = s->now; /* resultHold counts from the last FW_RESULT sent */
}

/* The verdict is settled (FW_RESULT_ACK, or resultHold without another FW_COMMIT). */
static void settle(lp_sub_t *s) {
  s->fw.settled = 1;
  if (s->fw.verdict_ok && s->hooks.reboot) {
    lp_sub_bye(s, LP_BYE_REBOOT); /* then IDLE: the application reboots into the new image */
    s->hooks.reboot(s->hooks.ctx);
  }
}

/* An offer accepted in this session (revision 1: in any session since power-on, §8.6). */
static int offer_current(const lp_sub_t *s) {
  return s->fw.offer_valid && (s->revision < 2u || s->fw.offer_session == s->session);
}

static void on_offer(lp_sub_t *s, const lp_msg_t *m) {
  lp_offer_t offer;
  const char *why = "refused";
  int code;
  size_t vlen = m->u.fw_offer.version.len;
  if (s->fw.applying) {
    lp__send_result(s, 0, LP_FW_REFUSED, "busy applying an image"); /* the apply's verdict follows */
    return;
  }
  if (s->fw.verdict) {
    /* The next offer ends the held verdict: the gateway has moved on, so it is settled too. */
    s->fw.verdict = 0;
    if (!s->fw.settled) {
      settle(s);
      if (s->state != LP_STATE_CONNECTED) return; /* rebooting */
    }
  }
  s->fw.offer_valid = 0; /* an offer always replaces the transfer in progress */
  if (vlen == 0u || vlen > LP_MAX_VERSION || m->u.fw_offer.size == 0u || m->u.fw_offer.chunk_size == 0u) {
    lp__send_result(s, 0, LP_FW_REFUSED, "offer not acceptable");
    return;
  }
  memcpy(s->fw.version, m->u.fw_offer.version.ptr, vlen);
  s->fw.version[vlen] = '\0';
  offer.version = s->fw.version;
  offer.size = m->u.fw_offer.size;
  offer.md5 = m->u.fw_offer.md5;
  offer.chunk_size = m->u.fw_offer.chunk_size;
  code = s->hooks.offer ? s->hooks.offer(s->hooks.ctx, &offer, &why) : 0;
  if (code != 0) {
    lp__send_result(s, 0, (int16_t)code, why ? why : "refused");
    return;
  }
  if (s->fw.slot.size != offer.size || memcmp(s->fw.slot.md5, offer.md5, 16) != 0) {
    /* Another image: start it at 0 (the slot forgets the old one). */
    lp_slot_t fresh;
    memcpy(fresh.md5, offer.md5, 16);
    fresh.size = offer.size;
    fresh.held = 0;
    if (!s->hooks.flash_commit(s->hooks.ctx, &fresh)) {
      lp__send_result(s, 0, LP_FW_REFUSED, "cannot store the image");
      return;
    }
    s->fw.slot = fresh;
    s->fw.sack = 0;
  }
  /* The chunks held beyond a gap stay valid on the same grid (same image, same chunk size): kept,
   * so they are never written twice (flash that cannot be rewritten without an erase). */
  if (offer.chunk_size != s->fw.chunk_size) s->fw.sack = 0;
  s->fw.offer_valid = 1;
  s->fw.offer_session = s->session;
  s->fw.chunk_size = offer.chunk_size;
  {
    lp_msg_t a;
    memset(&a, 0, sizeof a);
    a.type = LP_FW_ACCEPT;
    a.u.fw_accept = s->fw.slot.held; /* the resume offset: bytes of this image already held */
    (void)lp__send(s, &a, lp__next_seq(s));
  }
  if (s->hooks.accepted) s->hooks.accepted(s->hooks.ctx, &offer, s->fw.slot.held);
}

/* After the chunk at held was stored: take the chunks beyond it that are already written. */
static void absorb(lp_sub_t *s) {
  lp_fw_state_t *fw = &s->fw;
  for (;;) {
    uint32_t next_held = fw->sack & 1u, len;
    fw->sack >>= 1;
    if (!next_held || fw->slot.held >= fw->slot.size) break;
    len = fw->slot.size - fw->slot.held;
    if (len > fw->chunk_size) len = fw->chunk_size;
    fw->slot.held += len;
  }
  if (fw->slot.held >= fw->slot.size) fw->sack = 0;
}

static void on_chunk(lp_sub_t *s, const lp_msg_t *m) {
  lp_fw_state_t *fw = &s->fw;
  uint32_t o = m->u.fw_chunk.offset, h = fw->slot.held, size = fw->slot.size;
  size_t n = m->u.fw_chunk.bytes.len;
  if (!offer_current(s) || fw->applying) return; /* stale (another session's offer) or too late: silence */
  /* No upper bound on n against chunkSize here: the spec's rule for o = h has none, and the
   * vectors send a whole 1000-byte image as one chunk of a 256-byte grid (spec finding F6). */
  if (n == 0u || o > size || n > size - o) {
    send_ack(s); /* nothing to store: tell where we stand */
    return;
  }
  if (o == h) {
    if (s->hooks.flash_write(s->hooks.ctx, o, m->u.fw_chunk.bytes.ptr, n)) {
      fw->slot.held = h + (uint32_t)n;
      if (n == fw->chunk_size) absorb(s);
      else fw->sack = 0; /* a chunk off the grid size moved the grid: held chunks no longer line up */
      (void)s->hooks.flash_commit(s->hooks.ctx, &fw->slot);
    }
    send_ack(s);
    return;
  }
  if (o > h && s->cfg.reorder_chunks > 0u && (o - h) % fw->chunk_size == 0u) {
    /* A gap: keep the chunk if it lies on the grid within the reorder window (its bit in SACK). */
    uint32_t k = (o - h) / fw->chunk_size; /* 1 = the chunk right after the one at held */
    if (k >= 1u && k <= s->cfg.reorder_chunks && (n == fw->chunk_size || o + n == size) && !(fw->sack & (1ul << (k - 1u)))) {
      if (s->hooks.flash_write(s->hooks.ctx, o, m->u.fw_chunk.bytes.ptr, n)) fw->sack |= (uint32_t)(1ul << (k - 1u));
    }
  }
  send_ack(s); /* o < h: a duplicate, never written again; o > h: a duplicate ack */
}

/* MD5 over the whole image, read back from flash. */
static int image_verified(lp_sub_t *s) {
  lp_md5_t md5;
  uint8_t block[LP_VERIFY_BLOCK], digest[16];
  uint32_t at = 0;
  lp_md5_init(&md5);
  while (at < s->fw.slot.size) {
    uint32_t n = s->fw.slot.size - at;
    if (n > LP_VERIFY_BLOCK) n = LP_VERIFY_BLOCK;
    if (!s->hooks.flash_read(s->hooks.ctx, at, block, n)) return 0;
    lp_md5_update(&md5, block, n);
    at += n;
  }
  lp_md5_final(&md5, digest);
  return memcmp(digest, s->fw.slot.md5, 16) == 0;
}

static void hold_verdict(lp_sub_t *s, int ok, int16_t code, const char *text) {
  size_t len = strlen(text);
  s->fw.verdict = 1;
  s->fw.verdict_ok = ok ? 1u : 0u;
  s->fw.verdict_code = ok ? 0 : code;
  s->fw.settled = 0;
  len = lp__text_cut(text, len, LP_MAX_RESULT_TEXT);
  memcpy(s->fw.verdict_text, text, len);
  s->fw.verdict_text[len] = '\0';
  s->fw.verdict_at = s->now;
}

static void on_commit(lp_sub_t *s) {
  lp_fw_state_t *fw = &s->fw;
  lp_offer_t image;
  if (fw->verdict) {
    send_verdict(s);
    return;
  }
  if (fw->applying) {
    send_applying(s);
    return;
  }
  if (!offer_current(s)) {
    /* Revision 2: say so, the gateway offers again. Revision 1 had no answer for this. */
    if (s->revision >= 2u) lp__send_result(s, 0, LP_FW_NO_TRANSFER, "no transfer in progress");
    return;
  }
  if (fw->slot.held < fw->slot.size) {
    send_ack(s); /* the gateway resumes sending from held */
    return;
  }
  fw->offer_valid = 0;
  if (!image_verified(s)) {
    /* Forget the bytes: a resume of a corrupt image would fail the same way forever. */
    fw->slot.held = 0;
    fw->sack = 0;
    (void)s->hooks.flash_commit(s->hooks.ctx, &fw->slot);
    hold_verdict(s, 0, LP_FW_MD5_MISMATCH, "md5 mismatch");
    send_verdict(s);
    return;
  }
  fw->applying = 1;
  fw->percent = 0;
  fw->applying_session = s->session;
  send_applying(s);
  image.version = fw->version;
  image.size = fw->slot.size;
  image.md5 = fw->slot.md5;
  image.chunk_size = fw->chunk_size;
  s->hooks.apply(s->hooks.ctx, &image);
}

static void on_cancel(lp_sub_t *s, uint8_t reason) {
  if (s->fw.applying) {
    send_applying(s); /* too late to cancel: the verdict follows as usual */
  } else if (s->fw.verdict) {
    send_verdict(s);
  } else if (offer_current(s)) {
    s->fw.offer_valid = 0; /* the bytes stay (held and beyond a gap): the next offer of this image resumes */
    lp__send_result(s, 0, LP_FW_CANCELLED, "transfer cancelled");
    if (s->hooks.cancelled) s->hooks.cancelled(s->hooks.ctx, reason);
  } else {
    lp__send_result(s, 0, LP_FW_NO_TRANSFER, "no transfer in progress");
  }
}

void lp__fw_message(lp_sub_t *s, const lp_msg_t *m) {
  if (!s->cfg.firmware) {
    if (m->type == LP_FW_OFFER) lp__send_result(s, 0, LP_FW_REFUSED, "no firmware support");
    return;
  }
  switch (m->type) {
  case LP_FW_OFFER:
    on_offer(s, m);
    break;
  case LP_FW_CHUNK:
    on_chunk(s, m);
    break;
  case LP_FW_COMMIT:
    on_commit(s);
    break;
  case LP_FW_CANCEL:
    on_cancel(s, m->u.fw_cancel);
    break;
  case LP_FW_RESULT_ACK:
    if (s->fw.verdict && !s->fw.settled) settle(s);
    break;
  default:
    break;
  }
}

void lp__fw_tick(lp_sub_t *s) {
  if (s->fw.verdict && !s->fw.settled && (uint32_t)(s->now - s->fw.verdict_at) >= LP_RESULT_HOLD_MS) settle(s);
}

void lp_sub_applying(lp_sub_t *s, uint8_t percent) {
  s->now = s->hooks.now_ms(s->hooks.ctx);
  if (!s->fw.applying || percent > 100u) return;
  s->fw.percent = percent;
  if (s->state == LP_STATE_CONNECTED) send_applying(s);
}

int lp_sub_result(lp_sub_t *s, int ok, int16_t code, const char *text) {
  s->now = s->hooks.now_ms(s->hooks.ctx);
  if (!s->fw.applying) return 0;
  s->fw.applying = 0;
  if (text == NULL) text = ok ? s->fw.version : "apply failed";
  hold_verdict(s, ok, code, text);
  if (ok) {
    /* From now on HELLO announces the version that runs. */
    size_t n = lp__text_cut(text, strlen(text), LP_MAX_VERSION);
    memcpy(s->version, text, n);
    s->version[n] = '\0';
  }
  if (s->state == LP_STATE_CONNECTED) {
    send_verdict(s);
    /* The session changed while applying: the gateway now listening never offered this image and
     * ignores the verdict, so a new HELLO tells it the version that really runs (§8.6). */
    if (s->fw.applying_session != s->session) lp__rehello(s);
  }
  return 1;
}

int lp_sub_settled(const lp_sub_t *s) { return s->fw.verdict && s->fw.settled; }
uint32_t lp_sub_held(const lp_sub_t *s) { return s->fw.slot.held; }
