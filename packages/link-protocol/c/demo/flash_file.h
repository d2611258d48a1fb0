/* The demo's "flash": the image slot as two files in a state directory.
 *   image.bin  the received image bytes (written at their offsets)
 *   slot       "md5hex size held" — the identity and the resume offset, replaced atomically
 *   version    the version installed by the last successful update (survives restarts)
 */
#ifndef DEMO_FLASH_FILE_H
#define DEMO_FLASH_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "../src/lp_subdevice.h"

typedef struct {
  char dir[512];
  int image_fd;
} flash_file_t;

int flash_file_open(flash_file_t *f, const char *dir);
/* The engine's flash hooks, on this slot. */
int flash_file_load(flash_file_t *f, lp_slot_t *slot);
int flash_file_write(flash_file_t *f, uint32_t offset, const uint8_t *bytes, size_t len);
int flash_file_read(flash_file_t *f, uint32_t offset, uint8_t *bytes, size_t len);
int flash_file_commit(flash_file_t *f, const lp_slot_t *slot);

/* The installed version ("" when none was installed yet), and installing one: the image is copied
 * to firmware-<version>.bin and the version recorded. */
int flash_file_installed(flash_file_t *f, char *version, size_t cap);
int flash_file_install(flash_file_t *f, const char *version, uint32_t size);

#endif
