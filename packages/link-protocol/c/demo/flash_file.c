#define _POSIX_C_SOURCE 200809L
#include "flash_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void path_of(const flash_file_t *f, const char *name, char *out, size_t cap) { snprintf(out, cap, "%s/%s", f->dir, name); }

int flash_file_open(flash_file_t *f, const char *dir) {
  char path[600];
  snprintf(f->dir, sizeof f->dir, "%s", dir);
  mkdir(dir, 0700); /* may exist */
  path_of(f, "image.bin", path, sizeof path);
  f->image_fd = open(path, O_RDWR | O_CREAT, 0600);
  return f->image_fd >= 0;
}

/* Writes text to name atomically (temp + rename): a crash leaves the old or the new, never half. */
static int replace_file(const flash_file_t *f, const char *name, const char *text) {
  char path[600], tmp[640];
  int fd;
  size_t n = strlen(text);
  path_of(f, name, path, sizeof path);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 0;
  if (write(fd, text, n) != (ssize_t)n) {
    close(fd);
    return 0;
  }
  close(fd);
  return rename(tmp, path) == 0;
}

static int read_text(const flash_file_t *f, const char *name, char *out, size_t cap) {
  char path[600];
  ssize_t n;
  int fd;
  path_of(f, name, path, sizeof path);
  fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  n = read(fd, out, cap - 1u);
  close(fd);
  if (n < 0) return 0;
  out[n] = '\0';
  return 1;
}

int flash_file_load(flash_file_t *f, lp_slot_t *slot) {
  char text[128], md5[33];
  unsigned long size, held;
  unsigned i, v;
  if (!read_text(f, "slot", text, sizeof text)) return 0;
  if (sscanf(text, "%32s %lu %lu", md5, &size, &held) != 3 || strlen(md5) != 32u) return 0;
  for (i = 0; i < 16u; i++) {
    if (sscanf(md5 + 2u * i, "%2x", &v) != 1) return 0;
    slot->md5[i] = (uint8_t)v;
  }
  slot->size = (uint32_t)size;
  slot->held = (uint32_t)held;
  return 1;
}

int flash_file_write(flash_file_t *f, uint32_t offset, const uint8_t *bytes, size_t len) {
  return pwrite(f->image_fd, bytes, len, (off_t)offset) == (ssize_t)len;
}

int flash_file_read(flash_file_t *f, uint32_t offset, uint8_t *bytes, size_t len) {
  return pread(f->image_fd, bytes, len, (off_t)offset) == (ssize_t)len;
}

int flash_file_commit(flash_file_t *f, const lp_slot_t *slot) {
  char text[128];
  unsigned i;
  lp_slot_t old;
  /* A new image: the old bytes go (flash would erase the slot here). */
  if (slot->held == 0u && (!flash_file_load(f, &old) || old.size != slot->size || memcmp(old.md5, slot->md5, 16) != 0))
    if (ftruncate(f->image_fd, 0) != 0) return 0;
  for (i = 0; i < 16u; i++) sprintf(text + 2u * i, "%02x", slot->md5[i]);
  sprintf(text + 32, " %lu %lu\n", (unsigned long)slot->size, (unsigned long)slot->held);
  return replace_file(f, "slot", text);
}

int flash_file_installed(flash_file_t *f, char *version, size_t cap) {
  char *nl;
  if (!read_text(f, "version", version, cap)) {
    version[0] = '\0';
    return 0;
  }
  nl = strchr(version, '\n');
  if (nl) *nl = '\0';
  return version[0] != '\0';
}

int flash_file_install(flash_file_t *f, const char *version, uint32_t size) {
  char path[700], line[64];
  uint8_t buf[4096];
  uint32_t at = 0;
  int out;
  snprintf(path, sizeof path, "%s/firmware-%s.bin", f->dir, version);
  out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (out < 0) return 0;
  while (at < size) {
    size_t n = size - at < sizeof buf ? size - at : sizeof buf;
    if (pread(f->image_fd, buf, n, (off_t)at) != (ssize_t)n || write(out, buf, n) != (ssize_t)n) {
      close(out);
      return 0;
    }
    at += (uint32_t)n;
  }
  close(out);
  snprintf(line, sizeof line, "%s\n", version);
  return replace_file(f, "version", line);
}
